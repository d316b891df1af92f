"""Usage reports: desktop-hours and GPU-hours of every project (Admin › Usage) or of the
user's project (Desktops › Usage), from nova's usage API and the desktops' profiles.

Calls, in parallel, however many desktops: nova's usage pages (one for most clouds),
the desktops (one list call per 500), the flavors with extra specs (one call), and for
the admin report keystone's project and user names (one call each). Reads only.
"""

import dataclasses
import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import usage as core_usage
from heps_desktop_dashboard.services import parallel

LOG = logging.getLogger(__name__)

# What could not be read (Report.missing); the page says so.
NAMES = "names"
PROFILES = "profiles"


@dataclasses.dataclass
class Report:
    start: object
    stop: object       # the end nova used (never later than when it answered)
    usages: list = dataclasses.field(default_factory=list)   # core.usage.DesktopUsage
    projects: dict = dataclasses.field(default_factory=dict)
    users: dict = dataclasses.field(default_factory=dict)
    missing: set = dataclasses.field(default_factory=set)

    def lines(self, by=core_usage.BY_PROJECT):
        return core_usage.group(self.usages, by)

    def totals(self):
        return core_usage.totals(self.usages)

    def per_day(self, by=core_usage.BY_PROJECT, metric=core_usage.GPU_HOURS):
        return core_usage.per_day_by(self.usages, self.start, self.stop, by, metric)

    def per_gpu_class(self):
        return core_usage.per_day_by_gpu_class(self.usages, self.start, self.stop)


def _run(calls):
    """``{name: (function, *args)}`` in parallel: ``{name: result or exception}``."""
    return dict(zip(calls, parallel.call_all(list(calls.values())), strict=True))


def _specs_by_name(ctx):
    return {flavor.name: specs for flavor, specs in api.nova_flavors.flavors_with_specs(ctx)}


def _build(period, desktops, flavors):
    """A Report of nova's UsagePeriod and the desktops still there; ``flavors``
    (``{name: specs}``) or an exception (gone desktops then cannot be told apart)."""
    report = Report(start=period.start, stop=period.stop)
    if isinstance(flavors, Exception):
        LOG.warning("usage: flavors unavailable: %s", flavors)
        report.missing.add(PROFILES)
        flavors = {}
    report.usages = core_usage.desktop_usages(
        period.servers, {str(server.id): server for server in desktops}, flavors,
        api.nova_usage.parse_time)
    return report


def _raise(result):
    if isinstance(result, Exception):
        raise result
    return result


def admin_report(ctx, start, end):
    """Every project's desktops. nova's usage or desktops unreadable raise; profiles or
    keystone names unreadable are left out (``Report.missing``)."""
    found = _run({
        "usage": (api.nova_usage.usage_all_projects, ctx, start, end),
        "desktops": (lambda: list(api.nova_admin.desktops_all_projects(ctx)),),
        "flavors": (_specs_by_name, ctx),
        "projects": (api.identity_names.project_names, ctx),
        "users": (api.identity_names.user_names, ctx),
    })
    report = _build(_raise(found["usage"]), _raise(found["desktops"]), found["flavors"])
    projects, users = found["projects"], found["users"]
    failed = [found for found in (projects, users) if isinstance(found, Exception)]
    if failed:
        LOG.warning("usage: keystone names unavailable: %s", failed[0])
        report.missing.add(NAMES)
    report.projects = projects if isinstance(projects, dict) else {}
    report.users = users if isinstance(users, dict) else {}
    return report


def project_report(ctx, start, end, project_name="", member_names=None):
    """The context's project's desktops (nova's ``…:show`` usage policy: its readers).
    ``member_names``: a function of ctx giving ``{user id: name}`` (left out when it
    fails: ids are shown, the viewer's own name always)."""
    found = _run({
        "usage": (api.nova_usage.usage_project, ctx, start, end),
        "desktops": (lambda: list(api.nova.desktop_scan(ctx)),),
        "flavors": (_specs_by_name, ctx),
    })
    report = _build(_raise(found["usage"]), _raise(found["desktops"]), found["flavors"])
    report.projects = {ctx.project_id: project_name or ctx.project_id}
    users = {}
    if member_names is not None and any(u.user_id and u.user_id != ctx.user_id
                                        for u in report.usages):
        try:
            users.update(member_names(ctx) or {})
        except Exception as exc:
            LOG.warning("usage: member names unavailable: %s", type(exc).__name__)
    users[ctx.user_id] = ctx.username or ctx.user_id
    report.users = users
    return report
