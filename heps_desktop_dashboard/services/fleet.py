"""Every project's desktops for the Admin dashboard: a filtered page with project and
user names, and an admin's actions on any project's desktop, each one audited.

A page costs one nova list call (``all_tenants``, nova's own filters for project,
owner, profile, host and status), one keystone call for project names and one for user
names, one glance call for the page's image names, whatever the number of rows. The
profile catalog behind the profile and GPU-model filters is one flavor list, cached.
"""

import concurrent.futures
import dataclasses
import datetime

from django.core.cache import cache

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import lifetimes
from heps_desktop_dashboard.services import parallel
from heps_desktop_dashboard.services import revocation

# How far past now an admin may extend a desktop (the users' maximum is the setting
# max_lifetime_hours).
ADMIN_MAX_HOURS = 24 * 90
REASON_MAX = 255
_CATALOG_KEY = "heps-desktops:admin-profile-catalog:%s"
_CATALOG_TTL = 300

# What could not be read (Page.missing).
NAMES = "names"
IMAGES = "images"
PROFILES = "profiles"

NotFound = api.nova_admin.NotFound
InvalidMarker = api.nova_admin.InvalidMarker


@dataclasses.dataclass(frozen=True)
class ProfileRef:
    """A desktop profile (flavor) as the filters know it."""

    name: str
    flavor_id: str
    gpu_model: str


@dataclasses.dataclass(frozen=True)
class Filters:
    project_id: str = ""
    user_id: str = ""
    profile: str = ""         # profile (flavor) name
    gpu_model: str = ""
    host: str = ""
    status: str = ""          # nova status, upper case
    expiring_hours: int | None = None

    @property
    def needs_catalog(self):
        return bool(self.profile or self.gpu_model)


@dataclasses.dataclass
class Page:
    servers: list
    has_more: bool = False
    has_prev: bool = False
    # The first and last server nova returned (markers), before filtering on the page.
    first_id: str = ""
    last_id: str = ""
    projects: dict = dataclasses.field(default_factory=dict)
    users: dict = dataclasses.field(default_factory=dict)
    images: dict = dataclasses.field(default_factory=dict)
    catalog: list = dataclasses.field(default_factory=list)  # ProfileRefs (filter choices)
    missing: set = dataclasses.field(default_factory=set)
    marker_reset: bool = False


def profile_catalog(ctx):
    """ProfileRefs of every desktop profile (one flavor list, cached a few minutes)."""
    key = _CATALOG_KEY % (ctx.region or "")
    found = cache.get(key)
    if found is None:
        found = [ProfileRef(profile.name, profile.id, profile.gpu_model)
                 for profile, _specs in api.nova_flavors.profile_list_with_specs(ctx)]
        cache.set(key, found, _CATALOG_TTL)
    return found


class NoMatch(Exception):
    """The filters exclude every desktop (e.g. a GPU model no profile has)."""


def nova_filters(filters, catalog):
    """(nova filters, profile names to keep on the page or None).

    Nova filters one flavor id at a time: a GPU model of several profiles is matched
    on the page instead."""
    found = {"project_id": filters.project_id, "user_id": filters.user_id,
             "host": filters.host, "status": filters.status}
    keep = None
    if filters.needs_catalog:
        wanted = [ref for ref in catalog
                  if (not filters.profile or ref.name == filters.profile)
                  and (not filters.gpu_model or ref.gpu_model == filters.gpu_model)]
        if not wanted:
            raise NoMatch()
        if len(wanted) == 1:
            found["flavor"] = wanted[0].flavor_id
        else:
            keep = {ref.name for ref in wanted}
    return {k: v for k, v in found.items() if v}, keep


def _matches(server, keep, filters, policy, now):
    if keep is not None and desktops.flavor_name(server) not in keep:
        return False
    if filters.expiring_hours is not None:
        info = desktops.read_desktop(server, policy, now)
        limit = now + datetime.timedelta(hours=filters.expiring_hours)
        if info.expires_at is None or info.expires_at > limit:
            return False
    return True


def _list(ctx, page_size, marker, reversed_order, nova_opts):
    try:
        return api.nova_admin.desktop_page_all_projects(
            ctx, page_size, marker=marker, reversed_order=reversed_order,
            filters=nova_opts), False
    except InvalidMarker:
        return api.nova_admin.desktop_page_all_projects(
            ctx, page_size, filters=nova_opts), True


def _catalog(ctx, filters):
    """The profile catalog; None when unreadable and no filter needs it."""
    try:
        return profile_catalog(ctx)
    except Exception:
        if filters.needs_catalog:
            raise
        return None


def page(ctx, page_size, marker=None, reversed_order=False, filters=None, now=None):
    """One Page of every project's desktops. Nova errors raise; keystone, glance or
    flavor-list errors leave names, images or the profile choices out (``missing``)."""
    filters = filters or Filters()
    now = now or desktops.utcnow()
    catalog = _catalog(ctx, filters)
    try:
        nova_opts, keep = nova_filters(filters, catalog or [])
    except NoMatch:
        nova_opts = keep = None
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        listed = pool.submit(_list, ctx, page_size, marker, reversed_order, nova_opts) \
            if nova_opts is not None else None
        projects = pool.submit(api.identity_names.project_names, ctx)
        users = pool.submit(api.identity_names.user_names, ctx)
    (servers, has_more, has_prev), reset = listed.result() if listed \
        else (([], False, False), False)
    found = Page([], has_more, has_prev, marker_reset=reset, catalog=catalog or [])
    if catalog is None:
        found.missing.add(PROFILES)
    if servers:
        found.first_id, found.last_id = servers[0].id, servers[-1].id
    try:
        found.projects, found.users = projects.result(), users.result()
    except Exception:
        found.missing.add(NAMES)
    policy = conf.lifetime_policy()
    found.servers = [s for s in servers if _matches(s, keep, filters, policy, now)]
    if found.servers:
        try:
            found.images = api.glance.images_by_id(ctx, _image_ids(found.servers))
        except Exception:
            found.missing.add(IMAGES)
    return found


def _image_ids(servers):
    return {image.get("id") for image in (getattr(s, "image", None) for s in servers)
            if isinstance(image, dict) and image.get("id")}


def desktop(ctx, desktop_id):
    """(server, project name, owner name, {image id: image}) of one desktop of any
    project; NotFound unless it is a desktop. Names and the image are read at once; an
    unreadable one shows as its id."""
    server = api.nova_admin.desktop_get_any_project(ctx, desktop_id)
    projects, users, images = parallel.call_all([
        (api.identity_names.project_names, ctx), (api.identity_names.user_names, ctx),
        (api.glance.images_by_id, ctx, _image_ids([server]))])
    projects, users, images = ({} if isinstance(found, Exception) else found
                               for found in (projects, users, images))
    return (server, projects.get(server.tenant_id, server.tenant_id),
            users.get(server.user_id, server.user_id), images)


# --- actions: each reads the desktop (any project, tag checked) first ---------------

def _acting(ctx, action, desktop_id, **details):
    server = api.nova_admin.desktop_get_any_project(ctx, desktop_id)
    return server, audit.outcome(ctx, action, server.id, server.name,
                                 project_id=server.tenant_id, admin=True, **details)


def start(ctx, desktop_id):
    server, event = _acting(ctx, audit.DESKTOP_START, desktop_id)
    with event:
        api.nova.server_start(ctx, server.id)


def stop(ctx, desktop_id):
    server, event = _acting(ctx, audit.DESKTOP_STOP, desktop_id)
    with event:
        api.nova.server_stop(ctx, server.id)


def shelve(ctx, desktop_id):
    """Shelve (release the GPU): nova offloads the shelved server and frees its
    placement allocation."""
    server, event = _acting(ctx, audit.DESKTOP_SHELVE, desktop_id)
    with event:
        api.nova.server_shelve(ctx, server.id)


def unshelve(ctx, desktop_id):
    server, event = _acting(ctx, audit.DESKTOP_UNSHELVE, desktop_id)
    with event:
        api.nova.server_unshelve(ctx, server.id)


def reboot(ctx, desktop_id, hard=False):
    server, event = _acting(ctx, audit.DESKTOP_REBOOT, desktop_id, hard=hard)
    with event:
        api.nova.server_reboot(ctx, server.id, hard=hard)


def delete(ctx, desktop_id):
    """Delete any project's desktop: data access revoked first
    (services/revocation.revoke_then_delete, which records the event)."""
    server = api.nova_admin.desktop_get_any_project(ctx, desktop_id)
    return revocation.revoke_then_delete(ctx, server)


# Rules of an admin's extend reason whose refusal the admin reads (desktops.RuleError).
REASON_SHORT = "reason_short"
REASON_LONG = "reason_long"


def clean_reason(reason):
    text = " ".join(str(reason or "").split())
    if len(text) < 3:
        raise desktops.RuleError(REASON_SHORT, "give a reason (at least 3 characters)")
    if len(text) > REASON_MAX:
        raise desktops.RuleError(REASON_LONG, f"a reason is at most {REASON_MAX} characters",
                                 max=REASON_MAX)
    return text


def extend(ctx, desktop_id, hours, reason, now=None):
    """Extend any project's desktop by ``hours`` from its (signed) expiry, up to
    ADMIN_MAX_HOURS from now, past the users' maximum; the reason is recorded in the
    ``desktop.extend`` audit event. Writes a new signed expiry; returns it."""
    reason = clean_reason(reason)
    policy = conf.lifetime_policy()
    now = now or desktops.utcnow()
    server = api.nova_admin.desktop_get_any_project(ctx, desktop_id)
    with audit.outcome(ctx, audit.DESKTOP_EXTEND, server.id, server.name,
                       refusals=(ValueError,), project_id=server.tenant_id, admin=True,
                       hours=hours, reason=reason) as pending:
        info = desktops.read_desktop(server, policy, now)
        new = desktops.extended_expiry(info.expires_at, hours, ADMIN_MAX_HOURS, now)
        pending.details["expires_before"] = desktops.format_expiry(info.expires_at)
        pending.details["expires_at"] = desktops.format_expiry(new)
        pending.details["beyond_user_maximum"] = (
            new > now + datetime.timedelta(hours=policy.max_hours))
        lifetimes.write_expiry(ctx, server, new, policy)
    return new
