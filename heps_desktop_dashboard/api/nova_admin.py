"""Compute reads of the Admin dashboard: desktops of every project, with an admin user's
own token (nova lets admins list ``all_tenants`` and read any project's server).

Every function refuses a context that is not an admin's (``NotAdmin``) instead of
pretending to be the operator. Actions on a desktop read here go through api.nova's
unchecked ``server_*`` calls (services/fleet.py checks first).
"""

from novaclient import exceptions as nova_exceptions

from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.api import nova_client
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import paging

SORT_KEYS = ["created_at", "display_name", "uuid"]
SCAN_PAGE = 500
# Server-list filters nova applies for an admin (``host`` is admin-only; ``flavor`` is
# a flavor id).
FILTERS = ("project_id", "user_id", "flavor", "host", "status")

NotFound = nova_exceptions.NotFound
InvalidMarker = exceptions.InvalidMarker


class NotAdmin(exceptions.DesktopError, PermissionError):
    """A non-admin context asked for every project's desktops."""


def _servers(ctx):
    if not ctx.is_admin:
        raise NotAdmin("listing every project's desktops needs an admin")
    return nova_client.for_feature(ctx, "server_tags").servers


def desktop_page_all_projects(ctx, page_size, marker=None, reversed_order=False,
                              filters=None):
    """One page of every project's desktops: a single
    ``GET /servers/detail?all_tenants=1&tags=heps-desktop`` (plus nova's own filters
    from ``filters``, keys in FILTERS). Returns ``(servers, has_more, has_prev)``;
    an unknown marker raises ``InvalidMarker``."""
    opts = {"tags": names.DESKTOP_TAG, "limit": page_size + 1, "all_tenants": 1}
    opts.update({key: value for key, value in (filters or {}).items()
                 if key in FILTERS and value})
    if marker:
        opts["marker"] = marker
    sort_dir = "asc" if reversed_order else "desc"
    servers = _servers(ctx)
    try:
        found = servers.list(detailed=True, search_opts=opts, sort_keys=SORT_KEYS,
                             sort_dirs=[sort_dir] * len(SORT_KEYS))
    except nova_exceptions.BadRequest as exc:
        if marker and "marker" in str(exc).lower():
            raise InvalidMarker(marker) from exc
        raise
    return paging.update_pagination(list(found), page_size, marker, reversed_order)


def desktops_all_projects(ctx):
    """Every desktop of every project (pages of SCAN_PAGE: one call for most clouds)."""
    servers = _servers(ctx)
    marker = None
    while True:
        opts = {"tags": names.DESKTOP_TAG, "limit": SCAN_PAGE, "all_tenants": 1}
        if marker:
            opts["marker"] = marker
        page = servers.list(detailed=True, search_opts=opts, sort_keys=["created_at"],
                            sort_dirs=["asc"])
        yield from page
        if len(page) < SCAN_PAGE:
            return
        marker = page[-1].id


def desktop_get_any_project(ctx, desktop_id):
    """One desktop of any project (``GET /servers/{id}``); NotFound unless the server is
    tagged ``heps-desktop``."""
    server = _servers(ctx).get(desktop_id)
    if not desktops.is_desktop(getattr(server, "tags", None)):
        raise nova_exceptions.NotFound(404, f"server {desktop_id} is not a desktop")
    return server


def action_list_any_project(ctx, desktop_id):
    """nova instance actions of a desktop of any project, newest first."""
    desktop_get_any_project(ctx, desktop_id)
    actions = nova_client.for_feature(ctx, "server_tags").instance_action.list(desktop_id)
    return sorted(actions, key=lambda a: getattr(a, "start_time", "") or "", reverse=True)
