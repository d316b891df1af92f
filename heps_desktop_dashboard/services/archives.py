"""Archived desktops: a persistent desktop's root volume kept after its server was
deleted at expiry (then, where cinder-backup runs, a backup of it). Users list, restore
(services/launch.py boots from it) and delete their own; the reconciler archives
(``archive_desktop``) and sweeps (services/archive_sweep.py).

An archive is believed only with its signed record (core/archives.py); the owner is the
volume's Cinder ``user_id`` (a backup's signed owner, copied from its volume).
"""

import logging
import time

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.core import archives as core
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import audit

LOG = logging.getLogger(__name__)

VOLUME_PROJECT = "os-vol-tenant-attr:tenant_id"
BACKUP_PROJECT = "os-backup-project-attr:project_id"
VOLUMES_ATTACHED = "os-extended-volumes:volumes_attached"
ROOT_DEVICE = "OS-EXT-SRV-ATTR:root_device_name"
PENDING_STATES = ("creating", "downloading", "restoring-backup", "backing-up",
                  "restoring", "uploading", "deleting")
# Cinder's own metadata key on a volume restored from a backup (the backup's id). A
# restore copies the backup's volume metadata over what was set at create, so the
# plugin signs a restored volume only once it is available.
RESTORED_FROM = "src_backup_id"
# How long a restore from a backup waits for the new volume before it tells the user
# to come back (a fake or small volume is there at once).
RESTORE_WAIT_SECONDS = 20
RESTORE_POLL_SECONDS = 1


class ArchiveNotFound(exceptions.DesktopError):
    """No archive of this user by that id (absent, someone else's, or not signed)."""


class ArchiveNotReady(exceptions.DesktopError):
    """The archive is being made or restored: try again once it shows Ready."""


class RestorePending(exceptions.DesktopError):
    """The backup is being restored to a volume; Restore again once it is Ready."""


def _state(status):
    if status == "available":
        return core.READY
    return core.PENDING if status in PENDING_STATES else core.FAILED


def volume_archive(volume, project_id=None, now=None, kind=names.VOLUME_KIND_ARCHIVE):
    """The Archive of a Cinder volume dict, or None (no valid record, attached, or a
    record of another kind)."""
    project = volume.get(VOLUME_PROJECT) or project_id or ""
    record = core.read(conf.signing_key(), core.RESOURCE_VOLUME, volume.get("id", ""),
                       project, str(volume.get("user_id") or ""), volume.get("metadata"))
    if record is None or record.kind != kind:
        return None
    if kind == names.VOLUME_KIND_ARCHIVE and volume.get("attachments"):
        return None
    return core.Archive(
        id=core.archive_id(core.RESOURCE_VOLUME, volume["id"]),
        resource=core.RESOURCE_VOLUME, resource_id=volume["id"], project_id=project,
        owner_id=str(volume.get("user_id") or ""), record=record,
        size_gb=int(volume.get("size") or 0), state=_state(volume.get("status")),
        expires_at=core.expires_at(record, int(conf.get("archive_days"))))


def backup_archive(backup, project_id=None):
    project = backup.get(BACKUP_PROJECT) or project_id or ""
    record = core.read(conf.signing_key(), core.RESOURCE_BACKUP, backup.get("id", ""),
                       project, None, backup.get("metadata"))
    if record is None or record.kind != names.VOLUME_KIND_ARCHIVE:
        return None
    return core.Archive(
        id=core.archive_id(core.RESOURCE_BACKUP, backup["id"]),
        resource=core.RESOURCE_BACKUP, resource_id=backup["id"], project_id=project,
        owner_id=str((backup.get("metadata") or {}).get(names.VOLUME_META_OWNER) or ""),
        record=record, size_gb=int(backup.get("size") or 0),
        state=_state(backup.get("status")),
        expires_at=core.expires_at(record, int(conf.get("archive_days"))))


def collect(volumes, backups, project_id=None):
    """Archives among volumes and backups: a backup already restored to a volume
    (the source of a signed volume record), or of a volume archive not yet deleted, is
    shown as that volume only."""
    found = [a for a in (volume_archive(v, project_id) for v in volumes) if a]
    sources = {a.record.source for a in found if a.record.source}
    for volume in volumes:
        root = volume_archive(volume, project_id, kind=names.VOLUME_KIND_ROOT)
        if root is not None and root.record.source:
            sources.add(root.record.source)
    # A backup of a volume archive still there (the volume is deleted next) is not a
    # second archive: the volume is shown until then.
    archived_volumes = {a.resource_id for a in found}
    found += [a for a, b in ((backup_archive(b, project_id), b) for b in backups)
              if a and a.resource_id not in sources
              and b.get("volume_id") not in archived_volumes]
    return found


def list_archives(ctx):
    """The user's own archives in the context's project, newest first (one volume
    and one backup list). Raises api.cinder.BlockStorageUnavailable."""
    volumes = api.cinder.volume_list(ctx)
    try:
        backups = api.cinder.backup_list(ctx)
    except api.cinder.NotFound:  # no backup API (no cinder-backup): volumes only
        backups = []
    mine = [a for a in collect(volumes, backups, ctx.project_id) if a.owner_id == ctx.user_id]
    return sorted(mine, key=lambda a: a.record.archived_at, reverse=True)


def get_archive(ctx, archive_id):
    """The user's archive behind an id posted by hand: re-read from Cinder, its record
    and owner checked (another user's or project's volume is refused)."""
    try:
        resource, ident = core.split_archive_id(archive_id)
    except ValueError as exc:
        raise ArchiveNotFound(str(archive_id)) from exc
    try:
        if resource == core.RESOURCE_VOLUME:
            found = volume_archive(api.cinder.volume_get(ctx, ident), ctx.project_id)
        else:
            found = backup_archive(api.cinder.backup_get(ctx, ident), ctx.project_id)
    except api.cinder.NotFound as exc:
        raise ArchiveNotFound(str(archive_id)) from exc
    if found is None or found.owner_id != ctx.user_id or (
            found.project_id and found.project_id != ctx.project_id):
        raise ArchiveNotFound(str(archive_id))
    return found


def delete_archive(ctx, archive_id):
    """Delete one of the user's archives (a restored volume with its source backup)."""
    with audit.outcome(ctx, audit.ARCHIVE_DELETE, archive_id,
                       refusals=(ArchiveNotFound, ArchiveNotReady)) as pending:
        archive = get_archive(ctx, archive_id)
        pending.target_name = archive.name
        if archive.state == core.PENDING:
            raise ArchiveNotReady(archive_id)
        if archive.resource == core.RESOURCE_VOLUME:
            api.cinder.volume_delete(ctx, archive.resource_id)
            if archive.record.source:
                _delete_source(ctx, archive.record.source)
        else:
            api.cinder.backup_delete(ctx, archive.resource_id)
            for volume in _restored_from(ctx, archive.resource_id):
                if volume.get("status") in ("available", "error"):
                    api.cinder.volume_delete(ctx, volume["id"])
    return archive


def _delete_source(ctx, backup_id):
    """Delete the backup a volume was restored from, when it is the user's archive."""
    try:
        source = get_archive(ctx, core.archive_id(core.RESOURCE_BACKUP, backup_id))
        api.cinder.backup_delete(ctx, source.resource_id)
    except (ArchiveNotFound, api.cinder.NotFound):
        return False
    except Exception:
        LOG.warning("archive backup %s not deleted", backup_id, exc_info=True)
        return False
    return True


# --- restore (a launch from an archive: services/launch.py) -------------------------

def restore_volume(ctx, archive, size_gb):
    """The volume to boot a restored desktop from: the archive's own volume, or a new
    one restored from its backup (signed as an archive of the user, waiting a short
    bounded time). Raises ArchiveNotReady or RestorePending."""
    if archive.state != core.READY:
        raise ArchiveNotReady(archive.id)
    if archive.resource == core.RESOURCE_VOLUME:
        return archive.resource_id, False
    earlier = _restored_from(ctx, archive.resource_id)
    ready = next((v for v in earlier if v.get("status") == "available"), None)
    if ready is not None:   # an earlier restore finished after its request gave up
        _sign_restored(ctx, archive, ready["id"])
        return ready["id"], False
    if any(v.get("status") in PENDING_STATES for v in earlier):
        raise RestorePending(archive.id)
    volume = api.cinder.volume_create(
        ctx, size=max(int(size_gb), archive.size_gb), backup_id=archive.resource_id,
        name=names.ARCHIVE_NAME_PREFIX + archive.name[:200],
        volume_type=conf.get("root_volume_type") or None)
    try:
        status = _wait_available(ctx, volume["id"])
        if status == "available":
            _sign_restored(ctx, archive, volume["id"])
    except Exception:
        discard_volume(ctx, volume["id"])
        raise
    if status != "available":
        if status in PENDING_STATES:
            raise RestorePending(archive.id)
        discard_volume(ctx, volume["id"])
        raise api.cinder.ClientException(500, f"restored volume went to {status}")
    return volume["id"], True


def _restored_from(ctx, backup_id):
    """The user's unattached volumes Cinder restored from this backup (one list)."""
    return [v for v in api.cinder.volume_list(ctx)
            if v.get("user_id") == ctx.user_id and not v.get("attachments")
            and (v.get("metadata") or {}).get(RESTORED_FROM) == backup_id]


def _sign_restored(ctx, archive, volume_id):
    record = core.Record(**{**_fields(archive.record), "source": archive.resource_id})
    api.cinder.volume_set_metadata(ctx, volume_id, core.metadata(
        conf.signing_key(), core.RESOURCE_VOLUME, volume_id, ctx.project_id, ctx.user_id,
        record))


def _fields(record):
    return {"kind": record.kind, "desktop": record.desktop, "name": record.name,
            "profile": record.profile, "image": record.image,
            "archived_at": record.archived_at, "source": record.source}


def _wait_available(ctx, volume_id):
    deadline = time.monotonic() + RESTORE_WAIT_SECONDS
    while True:
        status = api.cinder.volume_get(ctx, volume_id).get("status")
        if status != "creating" and status != "restoring-backup" and status != "downloading":
            return status
        if time.monotonic() >= deadline:
            return status
        time.sleep(RESTORE_POLL_SECONDS)


def discard_volume(ctx, volume_id):
    """Delete a volume this request made (a failed restore); False when that failed."""
    try:
        api.cinder.volume_delete(ctx, volume_id)
    except Exception:
        LOG.exception("Could not delete the restored volume %s", volume_id)
        return False
    return True


def finish_restore(ctx, archive, volume_id, server):
    """After nova accepted the boot: the volume is the new desktop's root (its record
    says so) and the archive's backup is gone. Failures are left to the reconciler."""
    record = core.Record(**{**_fields(archive.record), "kind": names.VOLUME_KIND_ROOT,
                            "desktop": server.id,
                            "source": archive.record.source or (
                                archive.resource_id
                                if archive.resource == core.RESOURCE_BACKUP else "")})
    try:
        api.cinder.volume_set_metadata(ctx, volume_id, core.metadata(
            conf.signing_key(), core.RESOURCE_VOLUME, volume_id, ctx.project_id,
            ctx.user_id, record))
    except Exception:
        LOG.warning("restored volume %s: root record not written", volume_id,
                    exc_info=True)
    if record.source:
        _delete_source(ctx, record.source)
    if archive.resource == core.RESOURCE_VOLUME:
        _delete_backups_of(ctx, volume_id)
    audit.event(ctx, audit.ARCHIVE_RESTORE, archive.id, archive.name,
                desktop_id=server.id, volume_id=volume_id)


def mark_discarded_roots(ctx, server_id, volume_ids):
    """A persistent launch that failed after nova accepted it: the root volume nova
    made (kept on delete) gets a root record naming the deleted server, so the
    reconciler deletes it. Best effort: what fails here is logged."""
    for volume_id in volume_ids:
        try:
            volume = api.cinder.volume_get(ctx, volume_id)
            if volume.get("user_id") != ctx.user_id:
                continue
            api.cinder.volume_set_metadata(ctx, volume_id, core.metadata(
                conf.signing_key(), core.RESOURCE_VOLUME, volume_id, ctx.project_id,
                ctx.user_id, core.Record(kind=names.VOLUME_KIND_ROOT, desktop=server_id)))
        except Exception:
            LOG.warning("root volume %s of failed launch %s not marked", volume_id,
                        server_id, exc_info=True)


def _delete_backups_of(ctx, volume_id):
    """A volume archive restored while its backup was being made: that backup is not
    an archive any more."""
    try:
        backups = api.cinder.backup_list(ctx)
    except Exception:
        LOG.warning("backups of restored volume %s not listed", volume_id, exc_info=True)
        return
    for backup in backups:
        found = backup_archive(backup, ctx.project_id)
        if found and backup.get("volume_id") == volume_id and found.owner_id == ctx.user_id:
            _delete_source(ctx, backup["id"])


# --- archiving at expiry (the reconciler, operator context) --------------------------

def root_volume(ops, server):
    """The Cinder volume a desktop boots from (attached to it at its root device), or
    None for a desktop with a local disk."""
    attached = [v.get("id") for v in getattr(server, VOLUMES_ATTACHED, None) or ()]
    root_device = getattr(server, ROOT_DEVICE, None)
    candidates = []
    for volume_id in attached:
        try:
            volume = api.cinder.volume_get(ops, volume_id)
        except api.cinder.NotFound:
            continue
        for attachment in volume.get("attachments") or ():
            if attachment.get("server_id") != server.id:
                continue
            if root_device and attachment.get("device") == root_device:
                return volume
            if str(volume.get("bootable")).lower() == "true":
                candidates.append(volume)
    if not getattr(server, "image", None) and len(candidates) == 1:
        return candidates[0]
    return None


def image_of(volume, server):
    image = (volume.get("volume_image_metadata") or {}).get("image_id")
    metadata = getattr(server, "metadata", None) or {}
    return str(image or metadata.get(names.META_IMAGE) or "")


def mark_archived(ops, server, why, now=None):
    """Before an expired persistent desktop is deleted: sign the archive record on its
    root volume (still attached: nothing lists it yet), so whatever deletes the server
    next (this pass, or the deletes part after a crash) leaves an archive. Returns the
    volume id, or None for a desktop with a local disk."""
    volume = root_volume(ops, server)
    if volume is None:
        return None
    record = core.Record(
        kind=names.VOLUME_KIND_ARCHIVE, desktop=server.id, name=server.name,
        profile=desktops.flavor_name(server), image=image_of(volume, server),
        archived_at=core.format_time(now or desktops.utcnow()))
    project = volume.get(VOLUME_PROJECT) or server.tenant_id
    with audit.outcome(ops, audit.ARCHIVE_CREATE, server.id, server.name,
                       project_id=server.tenant_id, volume_id=volume["id"], why=why):
        api.cinder.volume_set_metadata(ops, volume["id"], core.metadata(
            conf.signing_key(), core.RESOURCE_VOLUME, volume["id"], project,
            str(volume.get("user_id") or ""), record))
    return volume["id"]
