"""Compute: volume attachments (My storage) and resizes (Boost) of desktops.

Unchecked calls: the services have read and checked the desktop (tag, project, owner)
before they call any of these.
"""

from novaclient import exceptions as nova_exceptions

from heps_desktop_dashboard.api import nova_client

NotFound = nova_exceptions.NotFound
Conflict = nova_exceptions.Conflict
BadRequest = nova_exceptions.BadRequest
Forbidden = nova_exceptions.Forbidden
ClientException = nova_exceptions.ClientException


def _client(ctx):
    return nova_client.for_feature(ctx, "server_tags")


def volume_attachments(ctx, server_id):
    """The server's volume attachments: dicts with volume_id, device, server_id."""
    found = _client(ctx).volumes.get_server_volumes(server_id)
    return [{"volume_id": getattr(item, "volumeId", "") or getattr(item, "id", ""),
             "device": getattr(item, "device", "") or "",
             "server_id": getattr(item, "serverId", server_id) or server_id}
            for item in found]


def volume_attach(ctx, server_id, volume_id):
    """Attach a volume (hot-plug on a running server); nova picks the device."""
    _client(ctx).volumes.create_server_volume(server_id, volume_id)


def volume_detach(ctx, server_id, volume_id):
    _client(ctx).volumes.delete_server_volume(server_id, volume_id)


def server_resize(ctx, server_id, flavor_id):
    """Resize to another flavor; nova then waits in VERIFY_RESIZE for a confirm."""
    _client(ctx).servers.resize(server_id, flavor_id)


def server_confirm_resize(ctx, server_id):
    _client(ctx).servers.confirm_resize(server_id)


def server_revert_resize(ctx, server_id):
    _client(ctx).servers.revert_resize(server_id)
