"""Archives of persistent desktops with the api layer mocked: signed records
(core/archives.py), archiving at expiry (services/lifetimes + archives.mark_archived:
the record is written before the server is deleted), the user's list, Delete Archive
(owner only), and the reconciler's archive steps (services/archive_sweep.py)."""

import datetime
import types
from unittest import mock

import pytest
from django.test import override_settings

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import archives as core
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.services import archive_sweep
from heps_desktop_dashboard.services import archives
from heps_desktop_dashboard.services import lifetimes
from heps_desktop_dashboard.services import reconcile
from heps_desktop_dashboard.services import revocation
from test_data import contexts
from test_data import desktops_data

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 1, 12, tzinfo=UTC)
USER, OTHER, PROJECT = "u-alice", "u-bob", "p-a"
VOL, VOL2, BACKUP = ("11111111-0000-4000-8000-000000000001",
                     "11111111-0000-4000-8000-000000000002",
                     "22222222-0000-4000-8000-000000000001")
SERVER = "33333333-0000-4000-8000-000000000001"


def record(kind=names.VOLUME_KIND_ARCHIVE, archived_at="2026-11-30T12:00:00Z", **kw):
    return core.Record(kind=kind, desktop=kw.pop("desktop", SERVER), name="alice-desktop",
                       profile="heps.cpu.std", image="img-1", archived_at=archived_at, **kw)


def volume(volume_id=VOL, owner=USER, rec=None, status="available", attachments=(),
           project=PROJECT, **extra):
    meta = {} if rec is False else core.metadata(
        conf.signing_key(), core.RESOURCE_VOLUME, volume_id, project, owner,
        rec or record())
    return {"id": volume_id, "status": status, "size": 40, "user_id": owner,
            "metadata": meta, "attachments": list(attachments), "bootable": "true",
            archives.VOLUME_PROJECT: project, **extra}


def backup(backup_id=BACKUP, owner=USER, rec=None, status="available", volume_id=VOL,
           user_id="operator", **extra):
    meta = {} if rec is False else core.metadata(
        conf.signing_key(), core.RESOURCE_BACKUP, backup_id, PROJECT, owner, rec or record())
    return {"id": backup_id, "status": status, "size": 40, "volume_id": volume_id,
            "metadata": meta, "user_id": user_id, archives.BACKUP_PROJECT: PROJECT,
            "name": names.ARCHIVE_NAME_PREFIX + "alice-desktop",
            "created_at": "2026-11-30T12:00:00.000000", **extra}


def desktop(server_id=SERVER, volumes=(VOL,), image=""):
    return types.SimpleNamespace(
        id=server_id, name="alice-desktop", user_id=USER, tenant_id=PROJECT,
        flavor={"original_name": "heps.cpu.std"}, metadata={}, image=image,
        status="ACTIVE", **{archives.VOLUMES_ATTACHED: [{"id": v} for v in volumes],
                            archives.ROOT_DEVICE: "/dev/vda"})


def attached(server_id=SERVER, device="/dev/vda"):
    return [{"server_id": server_id, "device": device}]


# --- core records -----------------------------------------------------------------------

def test_a_record_is_believed_only_as_signed():
    key = b"k"
    meta = core.metadata(key, core.RESOURCE_VOLUME, VOL, PROJECT, USER, record())
    assert core.read(key, core.RESOURCE_VOLUME, VOL, PROJECT, USER, meta) == record()
    edited = {**meta, names.VOLUME_META_ARCHIVED_AT: "2099-01-01T00:00:00Z"}
    for args in ((core.RESOURCE_VOLUME, VOL2, PROJECT, USER, meta),       # copied
                 (core.RESOURCE_VOLUME, VOL, "p-b", USER, meta),          # other project
                 (core.RESOURCE_VOLUME, VOL, PROJECT, OTHER, meta),       # other owner
                 (core.RESOURCE_BACKUP, VOL, PROJECT, USER, meta),        # other resource
                 (core.RESOURCE_VOLUME, VOL, PROJECT, USER, edited)):     # edited value
        assert core.read(key, *args) is None
    assert core.read(b"other key", core.RESOURCE_VOLUME, VOL, PROJECT, USER, meta) is None
    # a backup's owner is the signed one
    signed = core.metadata(key, core.RESOURCE_BACKUP, BACKUP, PROJECT, USER, record())
    assert core.read(key, core.RESOURCE_BACKUP, BACKUP, PROJECT, None, signed) == record()
    forged = {**signed, names.VOLUME_META_OWNER: OTHER}
    assert core.read(key, core.RESOURCE_BACKUP, BACKUP, PROJECT, None, forged) is None


def test_archive_ids_and_sizes():
    assert core.split_archive_id("volume-" + VOL) == ("volume", VOL)
    for bad in ("volume-x", "server-" + VOL, "", None, "backup-../" + VOL[3:]):
        with pytest.raises(ValueError):
            core.split_archive_id(bad)
    assert core.volume_size(40, {}) == 40
    assert core.volume_size(40, {names.SPEC_ROOT_VOLUME_GB: "100"}) == 100
    assert core.volume_size(0, {names.SPEC_ROOT_VOLUME_GB: "x"}, image_min_disk=8) == 8
    assert core.persistent_default({names.SPEC_PERSISTENT: "True"})
    assert not core.persistent_default({})


# --- archiving at expiry -----------------------------------------------------------------

@pytest.fixture
def ops():
    ctx = contexts.user_context(project_id=None, user_id="operator")
    ctx.operator = True
    return ctx


@pytest.mark.parametrize("action", ["archive", "delete"])
def test_expiry_signs_the_archive_record_before_the_server_is_deleted(ops, action):
    server = desktop()
    calls = []
    with mock.patch.object(api.cinder, "volume_get",
                           return_value=volume(rec=False, attachments=attached())), \
            mock.patch.object(api.cinder, "volume_set_metadata",
                              side_effect=lambda *a: calls.append(("record", a))), \
            mock.patch.object(revocation, "mark_revoking",
                              side_effect=lambda *a: calls.append(("revoking",))), \
            mock.patch.object(revocation, "revoke",
                              return_value=types.SimpleNamespace(ok=True)), \
            mock.patch.object(api.nova, "server_delete",
                              side_effect=lambda *a: calls.append(("delete",))):
        lifetimes.apply(ops, server, lifetimes.Decision(action, "expired"), None)
    assert [c[0] for c in calls] == ["record", "revoking", "delete"]
    meta = calls[0][1][2]
    found = core.read(conf.signing_key(), core.RESOURCE_VOLUME, VOL, PROJECT, USER, meta)
    assert (found.kind, found.desktop, found.profile, found.name) == (
        names.VOLUME_KIND_ARCHIVE, SERVER, "heps.cpu.std", "alice-desktop")


def test_a_desktop_with_a_local_disk_is_deleted_as_before(ops):
    server = desktop(volumes=(), image={"id": "img-1"})
    with mock.patch.object(api.cinder, "volume_get") as get, \
            mock.patch.object(revocation, "mark_revoking"), \
            mock.patch.object(revocation, "revoke", return_value=types.SimpleNamespace(ok=True)), \
            mock.patch.object(api.nova, "server_delete") as delete:
        lifetimes.apply(ops, server, lifetimes.Decision("archive", "expired"), None)
    get.assert_not_called()
    delete.assert_called_once_with(ops, SERVER)


def test_a_failed_record_write_deletes_nothing(ops):
    with mock.patch.object(api.cinder, "volume_get",
                           return_value=volume(rec=False, attachments=attached())), \
            mock.patch.object(api.cinder, "volume_set_metadata",
                              side_effect=api.cinder.BlockStorageUnavailable("down")), \
            mock.patch.object(revocation, "mark_revoking") as marking, \
            mock.patch.object(api.nova, "server_delete") as delete:
        with pytest.raises(api.cinder.BlockStorageUnavailable):
            lifetimes.apply(ops, desktop(), lifetimes.Decision("archive", "x"), None)
    marking.assert_not_called()
    delete.assert_not_called()


def test_the_home_volume_is_not_taken_for_the_root(ops):
    home = volume(VOL2, rec=False, attachments=attached(device="/dev/vdb"),
                  bootable="false")
    with mock.patch.object(api.cinder, "volume_get", return_value=home):
        assert archives.root_volume(ops, desktop(volumes=(VOL2,))) is None


# --- the user's archives ---------------------------------------------------------------

def test_list_shows_only_the_users_signed_detached_archives():
    ctx = contexts.user_context(project_id=PROJECT, user_id=USER)
    restored = volume(VOL2, rec=record(source=BACKUP))
    volumes = [volume(), volume(VOL2.replace("2", "3"), owner=OTHER),
               volume("44444444-0000-4000-8000-000000000001", attachments=attached()),
               restored, {**volume("55555555-0000-4000-8000-000000000001"),
                          "metadata": {names.VOLUME_META_KIND: names.VOLUME_KIND_ARCHIVE}}]
    with mock.patch.object(api.cinder, "volume_list", return_value=volumes), \
            mock.patch.object(api.cinder, "backup_list", return_value=[backup()]):
        found = archives.list_archives(ctx)
    # the backup restored to VOL2 shows as that volume only
    assert sorted(a.resource_id for a in found) == sorted([VOL, VOL2])
    # a backup of a volume archive still there is not a second archive
    other_backup = backup("22222222-0000-4000-8000-000000000002")
    assert [a.resource_id for a in archives.collect([volume()], [other_backup])] == [VOL]
    assert [a.resource_id for a in archives.collect([], [other_backup])] == [
        other_backup["id"]]
    assert all(a.owner_id == USER and a.state == core.READY for a in found)
    expires = found[0].expires_at
    assert expires == core.parse_time("2026-11-30T12:00:00Z") + datetime.timedelta(days=30)


def test_delete_archive_is_for_the_owner_only():
    ctx = contexts.user_context(project_id=PROJECT, user_id=OTHER)
    with mock.patch.object(api.cinder, "volume_get", return_value=volume()), \
            mock.patch.object(api.cinder, "volume_delete") as delete:
        with pytest.raises(archives.ArchiveNotFound):
            archives.delete_archive(ctx, "volume-" + VOL)
        with pytest.raises(archives.ArchiveNotFound):
            archives.delete_archive(ctx, "server-" + SERVER)
    delete.assert_not_called()
    owner = contexts.user_context(project_id=PROJECT, user_id=USER)
    with mock.patch.object(api.cinder, "volume_get", return_value=volume()), \
            mock.patch.object(api.cinder, "volume_delete") as delete:
        archives.delete_archive(owner, "volume-" + VOL)
    delete.assert_called_once_with(owner, VOL)


def test_delete_of_a_restored_volume_deletes_its_backup_too():
    ctx = contexts.user_context(project_id=PROJECT, user_id=USER)
    with mock.patch.object(api.cinder, "volume_get",
                           return_value=volume(rec=record(source=BACKUP))), \
            mock.patch.object(api.cinder, "backup_get", return_value=backup()), \
            mock.patch.object(api.cinder, "volume_delete") as vdelete, \
            mock.patch.object(api.cinder, "backup_delete") as bdelete:
        archives.delete_archive(ctx, "volume-" + VOL)
    vdelete.assert_called_once_with(ctx, VOL)
    bdelete.assert_called_once_with(ctx, BACKUP)


# --- the reconciler's steps --------------------------------------------------------------

def _steps(ops, volumes, backups=(), desktops_by_id=None, backup_up=True, now=NOW,
           server_find=None):
    with mock.patch.object(api.cinder, "volume_list", return_value=list(volumes)), \
            mock.patch.object(api.cinder, "backup_list", return_value=list(backups)), \
            mock.patch.object(api.cinder, "backup_service_up", return_value=backup_up), \
            mock.patch.object(api.nova, "server_find", return_value=server_find):
        return list(archive_sweep.steps(ops, desktops_by_id or {}, now))


def test_root_volume_of_a_desktop_is_signed_once(ops):
    server = desktop()
    steps = _steps(ops, [volume(rec=False, attachments=attached())], desktops_by_id={
        SERVER: server})
    assert [s.what for s in steps] == ["sign-root"]
    with mock.patch.object(api.cinder, "volume_set_metadata") as write:
        steps[0].call(*steps[0].args)
    meta = write.call_args.args[2]
    signed = volume(rec=False, attachments=attached())
    signed["metadata"] = meta
    assert _steps(ops, [signed], desktops_by_id={SERVER: server}) == []
    # being archived (its own archive record while attached): left alone
    assert _steps(ops, [volume(attachments=attached())], desktops_by_id={SERVER: server}) == []
    # a record this key cannot verify is not overwritten; another desktop's is
    foreign = volume(rec=False, attachments=attached())
    foreign["metadata"] = core.metadata(b"another key", core.RESOURCE_VOLUME, VOL, PROJECT,
                                        USER, record(kind=names.VOLUME_KIND_ROOT,
                                                     desktop="other"))
    assert _steps(ops, [foreign], desktops_by_id={SERVER: server}) == []
    restored = volume(rec=record(desktop="old-desktop"), attachments=attached())
    assert [s.what for s in _steps(ops, [restored], desktops_by_id={SERVER: server})] == [
        "sign-root"]


def test_archived_volume_is_backed_up_then_deleted(ops):
    steps = _steps(ops, [volume()])
    assert [s.what for s in steps] == ["backup"]
    scoped = contexts.user_context(project_id=PROJECT, user_id="operator")
    with mock.patch.object(api.context, "operator_in_project", return_value=scoped), \
            mock.patch.object(api.cinder, "backup_create",
                              return_value={"id": BACKUP}) as create, \
            mock.patch.object(api.cinder, "backup_set_metadata") as sign:
        steps[0].call(*steps[0].args)
    create.assert_called_once()
    assert create.call_args.args[:2] == (scoped, VOL)
    meta = sign.call_args.args[2]
    assert core.read(conf.signing_key(), core.RESOURCE_BACKUP, BACKUP, PROJECT, None,
                     meta) == record()
    # in progress: nothing; done: the volume goes
    assert _steps(ops, [volume()], [backup(status="creating")]) == []
    done = _steps(ops, [volume()], [backup()])
    assert [s.what for s in done] == ["delete-volume"]


def test_no_backup_service_or_setting_keeps_the_volume(ops):
    assert _steps(ops, [volume()], backup_up=False) == []
    with override_settings(HEPS_DESKTOPS={"archive_to_backup": False}):
        with mock.patch.object(api.cinder, "backup_service_up") as asked:
            assert _steps(ops, [volume()]) == []
        asked.assert_not_called()


def test_operator_without_a_role_in_the_project_keeps_the_volume(ops):
    step = _steps(ops, [volume()])[0]
    with mock.patch.object(api.context, "operator_in_project",
                           side_effect=Exception("401")), \
            mock.patch.object(api.cinder, "backup_create") as create:
        assert "kept as a volume" in step.call(*step.args)
    create.assert_not_called()


def test_archives_past_archive_days_are_deleted(ops):
    late = NOW + datetime.timedelta(days=31)
    assert [s.what for s in _steps(ops, [volume()], now=late, backup_up=False)] == [
        "delete-volume"]
    assert [s.what for s in _steps(ops, [], [backup(volume_id="gone")], now=late)] == [
        "delete-backup"]
    with override_settings(HEPS_DESKTOPS={"archive_days": 60}):
        assert _steps(ops, [volume()], now=late, backup_up=False) == []


def test_only_signed_or_own_leftovers_are_cleaned(ops):
    root = volume(rec=record(kind=names.VOLUME_KIND_ROOT, archived_at=""))
    # the user deleted the desktop: its signed root volume goes
    assert [s.what for s in _steps(ops, [root])] == ["delete-volume"]
    # ... but not while the desktop exists
    assert _steps(ops, [root], server_find=desktop()) == []
    # unsigned volumes (a user's own, or forged metadata) are never touched
    forged = {**volume(rec=False), "metadata": {
        names.VOLUME_META_KIND: names.VOLUME_KIND_ROOT, names.VOLUME_META_DESKTOP: "x"}}
    assert _steps(ops, [volume(rec=False), forged], backup_up=False) == []
    # a backup the operator made and never signed (interrupted) goes after a grace time
    unsigned = backup(rec=False, user_id="operator", volume_id="gone")
    assert [s.what for s in _steps(ops, [], [unsigned])] == ["delete-backup"]
    assert _steps(ops, [], [unsigned], now=core.parse_time(
        "2026-11-30T12:05:00Z")) == []
    assert _steps(ops, [], [backup(rec=False, user_id=USER, volume_id="gone")]) == []


def test_reconcile_part_reports_steps_and_skips_when_cinder_is_down(ops):
    lines = []
    with mock.patch.object(api.nova, "desktop_scan", return_value=[]), \
            mock.patch.object(api.cinder, "in_catalog", return_value=True), \
            mock.patch.object(api.cinder, "volume_list",
                              side_effect=api.cinder.BlockStorageUnavailable("503")):
        report = reconcile.Pass(ops, now=NOW, only=["archives"], out=lines.append).run()
    assert not report.failed and "block storage unavailable" in lines[0]
    lines.clear()
    with mock.patch.object(api.nova, "desktop_scan", return_value=[]), \
            mock.patch.object(api.cinder, "in_catalog", return_value=True), \
            mock.patch.object(api.cinder, "volume_list", return_value=[volume()]), \
            mock.patch.object(api.cinder, "backup_list", return_value=[]), \
            mock.patch.object(api.cinder, "backup_service_up", return_value=True):
        report = reconcile.Pass(ops, now=NOW, only=["archives"], dry_run=True,
                                out=lines.append).run()
    assert report.actions[0].what == "archive" and "backup" in report.actions[0].why
    assert lines[0].startswith("dry-run")


def test_expired_action_archive_is_a_setting():
    with override_settings(HEPS_DESKTOPS={"expired_action": "archive"}):
        assert conf.expired_action() == "archive"
    server = desktops_data.server(expires_at="2026-11-27T00:00:00Z")
    decision = lifetimes.decide(server, conf.lifetime_policy(), NOW, "archive")
    assert decision.action == "archive"


def test_delete_of_a_backup_archive_takes_its_unsigned_restored_volume_too():
    ctx = contexts.user_context(project_id=PROJECT, user_id=USER)
    restored = {"id": VOL2, "status": "available", "user_id": USER, "attachments": [],
                "metadata": {archives.RESTORED_FROM: BACKUP}}
    someone_elses = {**restored, "id": VOL, "user_id": OTHER}
    with mock.patch.object(api.cinder, "backup_get", return_value=backup()), \
            mock.patch.object(api.cinder, "volume_list",
                              return_value=[restored, someone_elses]), \
            mock.patch.object(api.cinder, "volume_delete") as vdelete, \
            mock.patch.object(api.cinder, "backup_delete") as bdelete:
        archives.delete_archive(ctx, "backup-" + BACKUP)
    bdelete.assert_called_once_with(ctx, BACKUP)
    vdelete.assert_called_once_with(ctx, VOL2)


def test_backup_quota_exceeded_keeps_the_volume(ops):
    step = _steps(ops, [volume()])[0]
    scoped = contexts.user_context(project_id=PROJECT, user_id="operator")
    with mock.patch.object(api.context, "operator_in_project", return_value=scoped), \
            mock.patch.object(api.cinder, "backup_create", side_effect=api.cinder.OverLimit(
                413, "BackupLimitExceeded: Maximum number of backups allowed (0)")):
        outcome = step.call(*step.args)
    assert outcome.startswith("kept as a volume") and "backups allowed" in outcome
