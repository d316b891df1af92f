"""Compute: desktops are nova servers tagged ``heps-desktop``.

Every function takes an api context (api/context.py): a user's, whose calls nova scopes
to the user's project, or the operator's, which acts on every project.
"""

import datetime
import logging

from novaclient import exceptions as nova_exceptions

from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.api import nova_client
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import paging

LOG = logging.getLogger(__name__)

SORT_KEYS = ["created_at", "display_name", "uuid"]
# Servers per page when the reconciler walks every project.
SCAN_PAGE = 500

FeatureNotAvailable = exceptions.FeatureNotAvailable
InvalidMarker = exceptions.InvalidMarker
NotFound = nova_exceptions.NotFound
Conflict = nova_exceptions.Conflict
supports = nova_client.supports


def _servers(ctx, feature="server_tags"):
    return nova_client.for_feature(ctx, feature).servers


def desktop_list_paged(ctx, page_size, marker=None, reversed_order=False,
                       search_opts=None):
    """One page of desktops: a single ``GET /servers/detail?tags=heps-desktop``.

    A user context lists its project; an operator context every project (``all_tenants``)
    unless ``search_opts`` narrows it. Returns ``(servers, has_more, has_prev)`` in
    Horizon's marker-pagination shape; an unknown marker raises ``InvalidMarker``.
    """
    opts = {"tags": names.DESKTOP_TAG, "limit": page_size + 1}
    if ctx.operator:
        opts["all_tenants"] = 1
    else:
        opts["project_id"] = ctx.project_id
    opts.update(search_opts or {})
    if marker:
        opts["marker"] = marker
    sort_dir = "asc" if reversed_order else "desc"
    try:
        servers = _servers(ctx).list(detailed=True, search_opts=opts, sort_keys=SORT_KEYS,
                                     sort_dirs=[sort_dir] * len(SORT_KEYS))
    except nova_exceptions.BadRequest as exc:
        if marker and "marker" in str(exc).lower():
            raise InvalidMarker(marker) from exc
        raise
    return paging.update_pagination(list(servers), page_size, marker, reversed_order)


def desktop_scan(ctx):
    """Every desktop the context can see, page by page (the reconciler's view)."""
    marker = None
    while True:
        opts = {"tags": names.DESKTOP_TAG, "limit": SCAN_PAGE}
        if ctx.operator:
            opts["all_tenants"] = 1
        if marker:
            opts["marker"] = marker
        page = _servers(ctx).list(detailed=True, search_opts=opts, sort_keys=["created_at"],
                                  sort_dirs=["asc"])
        yield from page
        if len(page) < SCAN_PAGE:
            return
        marker = page[-1].id


def server_find(ctx, server_id):
    """Any server by id (desktop or not), or None when nova says it does not exist."""
    try:
        return _servers(ctx).get(server_id)
    except nova_exceptions.NotFound:
        return None


def desktop_get(ctx, desktop_id):
    """One desktop (``GET /servers/{id}``) of the context's project.

    NotFound when the server is not a desktop or, for a user context, belongs to another
    project (an admin token sees other projects' servers: the panel must not act on them).
    """
    server = _servers(ctx).get(desktop_id)
    if not desktops.is_desktop(getattr(server, "tags", None)):
        raise nova_exceptions.NotFound(404, f"server {desktop_id} is not a desktop")
    if not ctx.operator and getattr(server, "tenant_id", None) != ctx.project_id:
        raise nova_exceptions.NotFound(404, f"desktop {desktop_id} is not in this project")
    return server


def desktop_create(ctx, *, name, image_id, flavor_id, metadata, network_id=None,
                   security_groups=None, user_data=None, block_device_mapping_v2=None):
    """Create a desktop server: tagged ``heps-desktop`` at creation, no floating IP.

    With ``block_device_mapping_v2`` (a persistent desktop's root volume) the boot
    device comes from the mapping and no image is sent.
    """
    nics = [{"net-id": network_id}] if network_id else "none"
    return _servers(ctx, "create_with_tags").create(
        name, None if block_device_mapping_v2 else image_id, flavor_id, meta=metadata,
        nics=nics, security_groups=security_groups or None, userdata=user_data,
        tags=[names.DESKTOP_TAG], block_device_mapping_v2=block_device_mapping_v2)


def desktop_discard(ctx, server_id):
    """Delete a server this context has just created (launch clean-up): no tag check,
    the launch may be failing precisely because the tag is missing."""
    nova_client.client(ctx).servers.delete(server_id)


def _checked(ctx, desktop_id):
    """The servers manager, after checking the desktop (tag, project) exists."""
    desktop_get(ctx, desktop_id)
    return _servers(ctx)


def desktop_start(ctx, desktop_id):
    _checked(ctx, desktop_id).start(desktop_id)


def desktop_stop(ctx, desktop_id):
    _checked(ctx, desktop_id).stop(desktop_id)


def desktop_reboot(ctx, desktop_id, hard=False):
    _checked(ctx, desktop_id).reboot(desktop_id, "HARD" if hard else "SOFT")


def desktop_shelve(ctx, desktop_id):
    _checked(ctx, desktop_id).shelve(desktop_id)


def desktop_unshelve(ctx, desktop_id):
    _checked(ctx, desktop_id).unshelve(desktop_id)


def desktop_rename(ctx, desktop_id, name):
    _checked(ctx, desktop_id).update(desktop_id, name=name)


def server_delete(ctx, server_id):
    """Delete a server the caller has already checked (services/revocation.py)."""
    _servers(ctx).delete(server_id)


def server_stop(ctx, server_id):
    _servers(ctx).stop(server_id)


def server_start(ctx, server_id):
    _servers(ctx).start(server_id)


def server_shelve(ctx, server_id):
    _servers(ctx).shelve(server_id)


def server_unshelve(ctx, server_id):
    _servers(ctx).unshelve(server_id)


def server_reboot(ctx, server_id, hard=False):
    _servers(ctx).reboot(server_id, "HARD" if hard else "SOFT")


def server_rename(ctx, server_id, name):
    _servers(ctx).update(server_id, name=name)


def server_set_metadata(ctx, server_id, metadata):
    """Set (add or replace) metadata keys of a server the caller has checked."""
    _servers(ctx).set_meta(server_id, metadata)


def server_delete_metadata(ctx, server_id, keys):
    """Remove metadata keys (absent ones are fine)."""
    for key in keys:
        try:
            _servers(ctx).delete_meta(server_id, [key])
        except nova_exceptions.NotFound:
            pass


def server_create_image(ctx, server_id, name, metadata):
    return _servers(ctx).create_image(server_id, name, metadata)


def console_output(ctx, desktop_id, length=None):
    return _checked(ctx, desktop_id).get_console_output(desktop_id, length=length)


def action_list(ctx, desktop_id):
    """nova instance actions (the Action log tab), newest first."""
    desktop_get(ctx, desktop_id)
    actions = nova_client.for_feature(ctx, "server_tags").instance_action.list(desktop_id)
    return sorted(actions, key=lambda a: getattr(a, "start_time", "") or "", reverse=True)


def recent_desktops(ctx, seconds):
    """The project's desktops created in the last ``seconds`` (one call, changes-since)."""
    since = desktops.utcnow() - datetime.timedelta(seconds=seconds)
    servers = _servers(ctx).list(detailed=True, search_opts={
        "tags": names.DESKTOP_TAG, "project_id": ctx.project_id,
        "changes-since": desktops.format_expiry(since)})
    recent = []
    for server in servers:
        if str(getattr(server, "status", "")).upper() in ("DELETED", "SOFT_DELETED"):
            continue
        try:
            created = desktops.parse_expiry(getattr(server, "created", None))
        except desktops.InvalidDesktopMetadata:
            continue
        if created >= since:
            recent.append(server)
    return recent


# --- nova share attachments (2.97) -----------------------------------------------------

def share_attachments(ctx, server_id):
    """The server's share attachments: dicts with share_id, status, tag."""
    found = nova_client.request(ctx, "GET", f"/servers/{server_id}/shares",
                                "share_attachments")
    return list((found or {}).get("shares", []))


def share_attach(ctx, server_id, share_id, tag):
    nova_client.request(ctx, "POST", f"/servers/{server_id}/shares", "share_attachments",
                        body={"share": {"share_id": share_id, "tag": tag}})


def share_detach(ctx, server_id, share_id):
    nova_client.request(ctx, "DELETE", f"/servers/{server_id}/shares/{share_id}",
                        "share_attachments")


# --- consoles -------------------------------------------------------------------------

def spice_direct_console_url(ctx, desktop_id):
    """URL of a native SPICE console (``spice-direct``, compute microversion 2.99).

    The caller must have verified the desktop. Kept out of the HTTP debug log: the URL
    carries a console token.
    """
    body = {"remote_console": {"protocol": "spice", "type": "spice-direct"}}
    content = nova_client.request(ctx, "POST", f"/servers/{desktop_id}/remote-consoles",
                                  "spice_direct", body=body, log=False)
    return content["remote_console"]["url"]
