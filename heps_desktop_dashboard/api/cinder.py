"""Block storage (Cinder): the volumes and backups of persistent desktops.

python-cinderclient on the api context's session, one client per context. Every
function raises ``BlockStorageUnavailable`` when Cinder is unreachable, answers 5xx or is
absent from the catalog, so a caller can switch the persistent features off with a
message and keep everything else working.
"""


from cinderclient import client as cinder_client
from cinderclient import exceptions as cinder_exceptions
from keystoneauth1 import exceptions as ks_exceptions

from heps_desktop_dashboard import conf
from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.api import unavailable

SERVICE_TYPE = "volumev3"
# 3.47: volumes created from backups; 3.50: volume-type quotas in the quota set;
# 3.56: a backup's user_id (the reconciler knows its own backups). Supported by every
# Cinder of 2025.1 and later.
MICROVERSION = "3.56"

NotFound = cinder_exceptions.NotFound
BadRequest = cinder_exceptions.BadRequest
OverLimit = cinder_exceptions.OverLimit
ClientException = cinder_exceptions.ClientException


class BlockStorageUnavailable(exceptions.DesktopError):
    """Cinder cannot be reached, failed (5xx), or is not in the catalog."""


_translate_errors = unavailable.translating(
    BlockStorageUnavailable, connection_errors=(cinder_exceptions.ConnectionError,),
    http_errors=(cinder_exceptions.ClientException,))


def in_catalog(ctx):
    """Whether the context's catalog has a block-storage endpoint (no API call)."""
    try:
        return bool(ctx.endpoint(SERVICE_TYPE))
    except (ks_exceptions.EndpointNotFound, ks_exceptions.CatalogException):
        return False


def cinderclient(ctx, microversion=MICROVERSION):
    """The context's cinder client (its session, the catalog's ``volumev3`` endpoint)."""
    def build():
        return cinder_client.Client(
            microversion, session=ctx.session, service_type=SERVICE_TYPE,
            endpoint_type=ctx.interface, region_name=ctx.region,
            timeout=conf.get("api_timeout_seconds"))
    return ctx.cached(("cinder", microversion), build)


def _info(resource):
    return dict(getattr(resource, "_info", None) or resource.to_dict())


@_translate_errors
def volume_get(ctx, volume_id):
    return _info(cinderclient(ctx).volumes.get(volume_id))


@_translate_errors
def volume_list(ctx, search_opts=None):
    """Volumes of the context's project (every project's for an operator with
    ``all_tenants``), as JSON dicts."""
    found = cinderclient(ctx).volumes.list(detailed=True, search_opts=search_opts or {})
    return [_info(volume) for volume in found]


@_translate_errors
def volume_create(ctx, *, size, name, volume_type=None, image_id=None, backup_id=None,
                  metadata=None, description=None):
    created = cinderclient(ctx).volumes.create(
        size, name=name, volume_type=volume_type, imageRef=image_id, backup_id=backup_id,
        metadata=metadata or {}, description=description)
    return _info(created)


@_translate_errors
def volume_delete(ctx, volume_id):
    cinderclient(ctx).volumes.delete(volume_id)


@_translate_errors
def volume_set_metadata(ctx, volume_id, metadata):
    cinderclient(ctx).volumes.set_metadata(volume_id, metadata)


@_translate_errors
def volume_delete_metadata(ctx, volume_id, keys):
    if keys:
        cinderclient(ctx).volumes.delete_metadata(volume_id, list(keys))


@_translate_errors
def backup_create(ctx, volume_id, *, name, description=None, force=False, metadata=None):
    created = cinderclient(ctx).backups.create(
        volume_id, name=name, description=description, force=force,
        metadata=metadata or None)
    return _info(created)


@_translate_errors
def backup_set_metadata(ctx, backup_id, metadata):
    """Replace a backup's metadata (microversion 3.43)."""
    cinderclient(ctx).backups.update(backup_id, metadata=metadata)


@_translate_errors
def backup_service_up(ctx):
    """Whether a cinder-backup service is enabled and up (admin only: the operator)."""
    found = cinderclient(ctx).services.list(binary="cinder-backup")
    return any(getattr(s, "state", "") == "up" and getattr(s, "status", "") == "enabled"
               for s in found)


@_translate_errors
def backup_get(ctx, backup_id):
    return _info(cinderclient(ctx).backups.get(backup_id))


@_translate_errors
def backup_list(ctx, search_opts=None):
    found = cinderclient(ctx).backups.list(detailed=True, search_opts=search_opts or {})
    return [_info(backup) for backup in found]


@_translate_errors
def backup_delete(ctx, backup_id):
    cinderclient(ctx).backups.delete(backup_id)


@_translate_errors
def volume_types(ctx):
    return [_info(kind) for kind in cinderclient(ctx).volume_types.list()]


@_translate_errors
def quota_usage(ctx, project_id=None):
    """The project's block-storage quota set with usage (``{name: {limit, in_use,
    reserved}}``), the context's project unless ``project_id`` is given."""
    quotas = cinderclient(ctx).quotas.get(project_id or ctx.project_id, usage=True)
    return {key: value for key, value in _info(quotas).items() if isinstance(value, dict)}


@_translate_errors
def absolute_limits(ctx):
    """The context project's block-storage limits and usage (``GET /limits``, any
    member): maxTotalVolumes, totalVolumesUsed, maxTotalVolumeGigabytes, ..."""
    return {item.name: item.value for item in cinderclient(ctx).limits.get().absolute}


@_translate_errors
def quota_update(ctx, project_id, values):
    """Set block-storage quotas of a project (admin): ``{name: limit}``, -1 unlimited.
    Returns the quota set Cinder reports afterwards."""
    updated = cinderclient(ctx).quotas.update(project_id, **values)
    return {key: value for key, value in _info(updated).items() if not isinstance(value, dict)}
