"""The reconciler's archive steps (operator context): sign the root volume of each
persistent desktop, back archived volumes up and delete them once backed up
(``archive_to_backup``), delete archives past ``archive_days``, and clean what a crash
or a user's Delete left: a signed root volume whose desktop is gone, a backup the
reconciler made and never signed.

``steps()`` only reads (one volume list, one backup list); every step is one idempotent
write. Nothing without a valid signature of the plugin is ever deleted, except backups
Cinder says the operator itself made under the plugin's name.
"""

import dataclasses
import datetime
import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import archives as core
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import archives
from heps_desktop_dashboard.services import audit

LOG = logging.getLogger(__name__)
# A backup younger than this without a signature may still be getting one.
UNSIGNED_GRACE = datetime.timedelta(minutes=10)


@dataclasses.dataclass
class Step:
    what: str          # sign-root, backup, delete-volume, delete-backup
    target: str        # a label
    project_id: str
    why: str
    call: object
    args: tuple = ()


@dataclasses.dataclass
class Inventory:
    volumes: list
    backups: list
    backup_up: bool


def inventory(ops):
    volumes = api.cinder.volume_list(ops, {"all_tenants": 1})
    try:
        backups = api.cinder.backup_list(ops, {"all_tenants": 1})
    except api.cinder.NotFound:
        backups = []
    backup_up = False
    if conf.get("archive_to_backup"):
        try:
            backup_up = api.cinder.backup_service_up(ops)
        except Exception as exc:
            LOG.info("cinder-backup state unknown (%s): archives stay volumes",
                     type(exc).__name__)
    return Inventory(volumes, backups, backup_up)


def steps(ops, desktops_by_id, now):
    found = inventory(ops)
    yield from root_steps(ops, found.volumes, desktops_by_id)
    yield from volume_steps(ops, found, desktops_by_id, now)
    yield from backup_steps(ops, found.backups, now)


def _project(volume):
    return volume.get(archives.VOLUME_PROJECT) or ""


def _label(volume):
    return f"volume {volume.get('id')}"


def root_steps(ops, volumes, desktops_by_id):
    """Each persistent desktop's root volume carries a root record naming it."""
    by_server = {}
    for volume in volumes:
        for attachment in volume.get("attachments") or ():
            by_server.setdefault(attachment.get("server_id"), []).append(
                (volume, attachment))
    for server_id, server in desktops_by_id.items():
        root_device = getattr(server, archives.ROOT_DEVICE, None)
        for volume, attachment in by_server.get(server_id, ()):
            is_root = (attachment.get("device") == root_device if root_device else
                       str(volume.get("bootable")).lower() == "true"
                       and not getattr(server, "image", None))
            if not is_root:
                continue
            record = core.read(conf.signing_key(), core.RESOURCE_VOLUME, volume["id"],
                               _project(volume), str(volume.get("user_id") or ""),
                               volume.get("metadata"))
            # Its own archive record (being archived) or root record: nothing to do. A
            # record this key cannot verify (edited, or another key) is not overwritten.
            signed = names.VOLUME_META_SIGNATURE in (volume.get("metadata") or {})
            if (record is None and not signed) or (record and record.desktop != server_id):
                yield Step("sign-root", _label(volume), _project(volume),
                           f"root volume of desktop {server.name} ({server_id})",
                           sign_root, (ops, volume, server))


def sign_root(ops, volume, server):
    """Write the root record (image, profile, desktop) on a desktop's root volume."""
    old = core.read(conf.signing_key(), core.RESOURCE_VOLUME, volume["id"],
                    _project(volume), str(volume.get("user_id") or ""),
                    volume.get("metadata"))
    record = core.Record(kind=names.VOLUME_KIND_ROOT, desktop=server.id, name=server.name,
                         profile=desktops.flavor_name(server),
                         image=archives.image_of(volume, server),
                         source=old.source if old else "")
    api.cinder.volume_set_metadata(ops, volume["id"], core.metadata(
        conf.signing_key(), core.RESOURCE_VOLUME, volume["id"], _project(volume),
        str(volume.get("user_id") or ""), record))


def _desktop_gone(ops, server_id, desktops_by_id):
    if not server_id or server_id in desktops_by_id:
        return False
    server = api.nova.server_find(ops, server_id)
    return server is None or str(getattr(server, "status", "")).upper() in (
        "DELETED", "SOFT_DELETED")


def volume_steps(ops, found, desktops_by_id, now):
    days = int(conf.get("archive_days"))
    backups_of = {}
    for backup in found.backups:
        backups_of.setdefault(backup.get("volume_id"), []).append(backup)
    for volume in found.volumes:
        if volume.get("attachments") or volume.get("status") != "available":
            continue
        root = archives.volume_archive(volume, kind=names.VOLUME_KIND_ROOT)
        if root is not None:
            if _desktop_gone(ops, root.record.desktop, desktops_by_id):
                yield Step("delete-volume", _label(volume), _project(volume),
                           f"root volume of deleted desktop {root.record.desktop}",
                           delete_volume, (ops, volume["id"], root))
            continue
        archive = archives.volume_archive(volume)
        if archive is None:
            continue
        if core.is_expired(archive.record, days, now):
            yield Step("delete-volume", _label(volume), _project(volume),
                       f"archive of {archive.name} past {days} days", delete_volume,
                       (ops, volume["id"], archive))
        elif found.backup_up and not archive.record.source:
            yield from _backup_steps(ops, volume, archive,
                                     backups_of.get(volume["id"], ()))


def _backup_steps(ops, volume, archive, backups):
    signed = [b for b in backups if archives.backup_archive(b) is not None]
    done = next((b for b in signed if b.get("status") == "available"), None)
    if done is not None:
        yield Step("delete-volume", _label(volume), _project(volume),
                   f"archive of {archive.name} backed up in {done['id']}",
                   delete_volume, (ops, volume["id"], archive))
    elif not any(b.get("status") in archives.PENDING_STATES for b in signed):
        yield Step("backup", _label(volume), _project(volume),
                   f"archive of {archive.name} to backup", backup_volume,
                   (ops, volume, archive))


def backup_volume(ops, volume, archive):
    """Back an archived volume up in its own project (the operator re-scoped there),
    then sign the backup. A keystone refusal (the operator has no role in the project)
    keeps the volume as the archive."""
    project = _project(volume)
    try:
        scoped = api.context.operator_in_project(ops, project)
    except Exception as exc:
        LOG.info("operator cannot act in project %s: %s", project, exc)
        return "kept as a volume: the operator has no role in the project"
    try:
        backup = api.cinder.backup_create(
            scoped, volume["id"], name=names.ARCHIVE_NAME_PREFIX + archive.name[:200])
    except (api.cinder.OverLimit, api.cinder.BadRequest) as exc:
        # The project's backup quota (backups, backup_gigabytes) is full, or Cinder
        # refuses this volume: it stays the archive; the next passes try again.
        return f"kept as a volume: {exc}"[:200]
    api.cinder.backup_set_metadata(scoped, backup["id"], core.metadata(
        conf.signing_key(), core.RESOURCE_BACKUP, backup["id"], project, archive.owner_id,
        archive.record))
    audit.event(ops, audit.ARCHIVE_BACKUP, archive.id, archive.name, project_id=project,
                backup_id=backup["id"])


def delete_volume(ops, volume_id, archive):
    api.cinder.volume_delete(ops, volume_id)
    audit.event(ops, audit.ARCHIVE_DELETE, archive.id, archive.name,
                project_id=archive.project_id)


def delete_backup(ops, backup_id, label, project_id):
    api.cinder.backup_delete(ops, backup_id)
    audit.event(ops, audit.ARCHIVE_DELETE, backup_id, label, project_id=project_id)


def backup_steps(ops, backups, now):
    days = int(conf.get("archive_days"))
    for backup in backups:
        if backup.get("status") in archives.PENDING_STATES:
            continue
        project = backup.get(archives.BACKUP_PROJECT) or ""
        archive = archives.backup_archive(backup)
        if archive is not None:
            if core.is_expired(archive.record, days, now):
                yield Step("delete-backup", f"backup {backup['id']}", project,
                           f"archive of {archive.name} past {days} days", delete_backup,
                           (ops, backup["id"], archive.name, project))
            elif backup.get("status") == "error":
                yield Step("delete-backup", f"backup {backup['id']}", project,
                           f"failed backup of {archive.name} (made again)",
                           delete_backup, (ops, backup["id"], archive.name, project))
        elif _unsigned_own(ops, backup, now):
            yield Step("delete-backup", f"backup {backup['id']}", project,
                       "backup the reconciler made and never signed (interrupted)",
                       delete_backup, (ops, backup["id"], backup.get("name"), project))


def _unsigned_own(ops, backup, now):
    if backup.get("user_id") != ops.user_id:
        return False
    if not str(backup.get("name") or "").startswith(names.ARCHIVE_NAME_PREFIX):
        return False
    created = core.parse_time(backup.get("created_at") or "")
    return created is not None and now - created > UNSIGNED_GRACE
