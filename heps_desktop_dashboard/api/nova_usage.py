"""nova's usage API (``os-simple-tenant-usage``): every server's hours in a period, of
every project (admins: ``os_compute_api:os-simple-tenant-usage:list``) or of one project
(its readers: ``…:show``). Raw REST through api/nova_client.request at the feature's
microversion; pages of PAGE servers (2.40+) are followed to the end.

nova counts a server from its last launch (boot or unshelve) to its deletion or the end
of the period, whatever its state in between; a deleted server keeps what this API
reports (id, name, project, flavor name, times), nothing else.
"""

import dataclasses
import datetime
from urllib import parse

from heps_desktop_dashboard.api import nova_admin
from heps_desktop_dashboard.api import nova_client

FEATURE = "tenant_usage"
PAGE = 1000
MAX_PAGES = 1000
_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclasses.dataclass
class UsagePeriod:
    """Server usages (nova's dicts: instance_id, name, tenant_id, flavor, hours,
    started_at, ended_at, state, …) and the period nova reported on (``stop`` is the
    end it used: never later than the time it answered)."""

    start: datetime.datetime
    stop: datetime.datetime
    servers: list = dataclasses.field(default_factory=list)


def _naive(moment):
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


def parse_time(text):
    """nova's naive UTC times (``2026-11-29T02:29:35.000000``) as aware datetimes."""
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _next_marker(links):
    for link in links or ():
        if link.get("rel") == "next":
            query = parse.parse_qs(parse.urlsplit(link.get("href") or "").query)
            return (query.get("marker") or [None])[0]
    return None


def _collect(ctx, path, start, end, read):
    """Follow the pages of ``path``; ``read(body)`` -> (tenant usages, links)."""
    params = {"start": _naive(start).strftime(_FORMAT), "end": _naive(end).strftime(_FORMAT),
              "detailed": 1, "limit": PAGE}
    found = UsagePeriod(start=start, stop=start)
    stops, marker = [], None
    for _page in range(MAX_PAGES):
        query = dict(params, marker=marker) if marker else params
        usages, links = read(nova_client.request(
            ctx, "GET", f"{path}?{parse.urlencode(query)}", FEATURE) or {})
        for usage in usages:
            stops.append(parse_time(usage.get("stop")))
            found.servers += usage.get("server_usages") or []
        marker = _next_marker(links)
        if not marker:
            break
    found.stop = max((s for s in stops if s), default=min(end, _now()))
    return found


def _now():
    return datetime.datetime.now(datetime.UTC)


def usage_all_projects(ctx, start, end):
    """A UsagePeriod of every project's servers (``GET /os-simple-tenant-usage``);
    refused for a non-admin context (``nova_admin.NotAdmin``)."""
    if not ctx.is_admin:
        raise nova_admin.NotAdmin("every project's usage needs an admin")
    return _collect(ctx, "/os-simple-tenant-usage", start, end,
                    lambda body: (body.get("tenant_usages") or [],
                                  body.get("tenant_usages_links")))


def usage_project(ctx, start, end, project_id=None):
    """A UsagePeriod of one project's servers (``GET /os-simple-tenant-usage/{id}``,
    the context's project unless given)."""
    project_id = project_id or ctx.project_id

    def read(body):
        usage = body.get("tenant_usage") or {}
        return ([usage] if usage else []), body.get("tenant_usage_links")

    return _collect(ctx, f"/os-simple-tenant-usage/{parse.quote(project_id)}", start, end,
                    read)
