"""Persistent desktops in the Launch form: the Disk choice, the root volume's block
device mapping, the volume quota checked before anything is made, Cinder down or absent,
and Restore (the same form with ?archive=): the user's own signed archive only, a
backup restored to a volume first, nothing left behind when nova refuses."""

from unittest import mock

from django.test.utils import override_settings
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test
from unit.test_launch import LAUNCH_URL
from unit.test_launch import LOAD
from unit.test_launch import LaunchTestBase

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import archives as core
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.dashboards.project.desktops import launch_storage
from heps_desktop_dashboard.services import archives
from heps_desktop_dashboard.services import home_storage
from test_data import desktops_data
from test_data import launch_data as data

CINDER = ["in_catalog", "absolute_limits", "volume_get", "volume_list", "volume_create",
          "volume_set_metadata", "volume_delete", "backup_get", "backup_delete",
          "backup_list"]
MOCKS = {**LOAD, api.cinder: CINDER}
VOLUME_ID = "0b5e1c1e-7a3c-4a53-9a8e-5f0d3c2b1a01"
BACKUP_ID = "4a9c2d1e-3b5f-4e6a-8c7d-9e0f1a2b3c4d"
NEW_VOLUME_ID = "7d6c5b4a-3e2f-4a1b-9c8d-7e6f5a4b3c2d"


def cinder_limits(volumes=(0, 10), gigabytes=(0, 1000)):
    return {"maxTotalVolumes": volumes[1], "totalVolumesUsed": volumes[0],
            "maxTotalVolumeGigabytes": gigabytes[1], "totalGigabytesUsed": gigabytes[0]}


def record(name="alice-desktop", image=desktops_data.IMAGE_IMAGING, **kwargs):
    return core.Record(kind=names.VOLUME_KIND_ARCHIVE, desktop="old-server", name=name,
                       profile="heps.cpu.std", image=image,
                       archived_at="2026-11-20T10:00:00Z", **kwargs)


def archived_volume(user_id, project_id, volume_id=VOLUME_ID, status="available",
                    signed_for=None, rec=None):
    """A volume the reconciler archived (signed for ``signed_for`` = (project, owner))."""
    project, owner = signed_for or (project_id, user_id)
    meta = core.metadata(conf.signing_key(), core.RESOURCE_VOLUME, volume_id, project,
                         owner, rec or record())
    return {"id": volume_id, "status": status, "size": 40, "user_id": user_id,
            "metadata": meta, "attachments": [], "bootable": "true"}


def archived_backup(owner, project_id, status="available"):
    meta = core.metadata(conf.signing_key(), core.RESOURCE_BACKUP, BACKUP_ID, project_id,
                         owner, record())
    return {"id": BACKUP_ID, "status": status, "size": 40, "volume_id": VOLUME_ID,
            "metadata": meta}


class PersistentLaunchTests(LaunchTestBase):
    @test.create_mocks({**LOAD, api.cinder: ["in_catalog"]})
    def test_cinder_absent_launches_as_today_and_refuses_persistent(self):
        self._mock_catalog()
        self._mock_created()
        self.mock_in_catalog.return_value = False
        res = self.client.get(LAUNCH_URL)
        self.assertContains(res, "block storage")
        self.assertNoFormErrors(self._post(disk="ephemeral"))
        self.assertNotIn("block_device_mapping_v2", self.mock_desktop_create.call_args.kwargs)
        self.mock_desktop_create.reset_mock()
        res = self._post(disk="persistent", launch_token="b" * 32)
        self._assert_not_created(res, "Persistent desktops are not available")


@mock.patch.object(api.nova_flavors, "absolute_limits", return_value=data.absolute_limits())
class PersistentSubmitTests(LaunchTestBase):
    """Nova's limits patched by the class decorator; api.cinder mocked per test."""

    def setUp(self):
        super().setUp()
        # My storage at launch has its own tests (test_home_launch.py).
        for name in ("mount_user", "after_persistent_launch"):
            patcher = mock.patch.object(home_storage, name, return_value=None)
            patcher.start()
            self.addCleanup(patcher.stop)

    def _mock_catalog(self, **kwargs):
        super()._mock_catalog(**kwargs)
        self.mock_in_catalog.return_value = True
        self.mock_absolute_limits.return_value = cinder_limits()
        self.mock_volume_list.return_value = []
        self.mock_backup_list.return_value = []

    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_persistent_launch_boots_from_a_new_volume_of_the_golden_image(self, _nova):
        self._mock_catalog()
        self._mock_created()
        res = self._post(disk="persistent")
        self.assertNoFormErrors(res)
        kwargs = self.mock_desktop_create.call_args.kwargs
        self.assertEqual(kwargs["block_device_mapping_v2"], [{
            "boot_index": 0, "uuid": desktops_data.IMAGE_IMAGING, "source_type": "image",
            "destination_type": "volume", "volume_size": 80, "volume_type": "heps-ssd",
            "delete_on_termination": False}])
        self.assertEqual(kwargs["metadata"][names.META_IMAGE], desktops_data.IMAGE_IMAGING)
        self.mock_volume_create.assert_not_called()   # nova makes the volume

    @override_settings(HEPS_DESKTOPS={"root_volume_type": "gold"})
    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_volume_type_comes_from_the_setting(self, _nova):
        self._mock_catalog()
        self._mock_created()
        self.assertNoFormErrors(self._post(disk="persistent"))
        mapping = self.mock_desktop_create.call_args.kwargs["block_device_mapping_v2"]
        self.assertEqual(mapping[0]["volume_type"], "gold")

    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_volume_quota_exceeded_is_a_form_error_naming_the_resource(self, _nova):
        self._mock_catalog()
        for limits, words in ((cinder_limits(volumes=(10, 10)), "Quota exceeded for Volumes"),
                              (cinder_limits(gigabytes=(950, 1000)),
                               "Quota exceeded for Volume storage (GB)")):
            self.mock_absolute_limits.return_value = limits
            self._assert_not_created(self._post(disk="persistent"), words)
        # the same quota does not stop a desktop without a volume
        self._mock_created()
        self.assertNoFormErrors(self._post(disk="ephemeral"))
        self.assertNotIn("block_device_mapping_v2", self.mock_desktop_create.call_args.kwargs)

    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_cinder_down_disables_the_option_and_plain_launches_work(self, _nova):
        self._mock_catalog()
        self.mock_absolute_limits.side_effect = api.cinder.BlockStorageUnavailable("503")
        res = self.client.get(LAUNCH_URL)
        self.assertContains(res, "Persistent desktops are not available right now")
        self.assertTrue(res.context["form"].fields["disk"].widget.attrs.get("disabled"))
        self._assert_not_created(self._post(disk="persistent"),
                                 "Persistent desktops are not available")
        self._mock_created()
        self.assertNoFormErrors(self._post(launch_token="c" * 32))
        self.assertNotIn("block_device_mapping_v2", self.mock_desktop_create.call_args.kwargs)

    @override_settings(HEPS_DESKTOPS={"persistent_override": False})
    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_without_override_the_profile_decides(self, _nova):
        self._mock_catalog()
        self._mock_created()
        self.assertNoFormErrors(self._post(disk="persistent"))   # A100: not persistent
        self.assertNotIn("block_device_mapping_v2", self.mock_desktop_create.call_args.kwargs)

    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_a_persistent_launch_failing_after_creation_leaves_its_volume_to_the_sweep(
            self, _nova):
        self._mock_catalog()
        server = self._mock_created()
        failed = data.created(server_id=server.id, status="ERROR", fault="no host",
                              user_id=self.user.id, project_id=self.tenant.id)
        setattr(failed, archives.VOLUMES_ATTACHED, [{"id": VOLUME_ID}])
        self.mock_desktop_get.return_value = failed
        self.mock_volume_get.return_value = {"id": VOLUME_ID, "user_id": self.user.id}
        res = self._post(disk="persistent")
        self.assertEqual(res.status_code, 200)
        self.mock_desktop_discard.assert_called_once()
        volume_id, meta = self.mock_volume_set_metadata.call_args.args[1:]
        root = core.read(conf.signing_key(), core.RESOURCE_VOLUME, VOLUME_ID,
                         self.tenant.id, self.user.id, meta)
        self.assertEqual((volume_id, root.kind, root.desktop),
                         (VOLUME_ID, names.VOLUME_KIND_ROOT, server.id))

    # --- restore ------------------------------------------------------------------

    def _restore(self, archive_id, **overrides):
        return self._post(archive=archive_id, profile=data.CPU_ID, **overrides)

    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_restore_of_an_archived_volume_boots_from_it_with_its_image(self, _nova):
        self._mock_catalog()
        self.mock_volume_get.return_value = archived_volume(self.user.id, self.tenant.id)
        res = self.client.get(LAUNCH_URL + "?archive=volume-" + VOLUME_ID)
        self.assertEqual(res.context["form"].fields["name"].initial, "alice-desktop")
        # A restore says so: its own title and button, not "Launch Desktop"
        self.assertContains(res, "<title>Restore Desktop")
        self.assertEqual(str(res.context["submit_label"]), "Restore")
        server = self._mock_created(name="alice-desktop")
        res = self._restore("volume-" + VOLUME_ID, image=desktops_data.IMAGE_IMAGING)
        self.assertNoFormErrors(res)
        kwargs = self.mock_desktop_create.call_args.kwargs
        self.assertEqual(kwargs["block_device_mapping_v2"], [{
            "boot_index": 0, "uuid": VOLUME_ID, "source_type": "volume",
            "destination_type": "volume", "delete_on_termination": False}])
        self.assertEqual(kwargs["metadata"][names.META_IMAGE], desktops_data.IMAGE_IMAGING)
        self.mock_volume_create.assert_not_called()
        written = self.mock_volume_set_metadata.call_args.args[2]
        root = core.read(conf.signing_key(), core.RESOURCE_VOLUME, VOLUME_ID,
                         self.tenant.id, self.user.id, written)
        self.assertEqual((root.kind, root.desktop), (names.VOLUME_KIND_ROOT, server.id))
        self.mock_backup_delete.assert_not_called()

    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_restoring_a_volume_whose_backup_was_made_meanwhile_deletes_the_backup(
            self, _nova):
        self._mock_catalog()
        self.mock_volume_get.return_value = archived_volume(self.user.id, self.tenant.id)
        made_meanwhile = archived_backup(self.user.id, self.tenant.id)
        self.mock_backup_list.return_value = [made_meanwhile, {
            **archived_backup("someone-else", self.tenant.id), "id": NEW_VOLUME_ID}]
        self.mock_backup_get.return_value = made_meanwhile
        self._mock_created(name="alice-desktop")
        self.assertNoFormErrors(self._restore("volume-" + VOLUME_ID))
        self.mock_backup_delete.assert_called_once_with(mock.ANY, BACKUP_ID)

    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_a_restore_failing_after_creation_keeps_the_archive(self, _nova):
        self._mock_catalog()
        self.mock_volume_get.return_value = archived_volume(self.user.id, self.tenant.id)
        server = self._mock_created(name="alice-desktop")
        self.mock_desktop_get.return_value = data.created(
            server_id=server.id, status="ERROR", user_id=self.user.id,
            project_id=self.tenant.id)
        res = self._restore("volume-" + VOLUME_ID)
        self.assertEqual(res.status_code, 200)
        self.mock_desktop_discard.assert_called_once()
        self.mock_volume_set_metadata.assert_not_called()   # still a signed archive
        self.mock_volume_delete.assert_not_called()

    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_another_users_or_projects_or_unsigned_volume_is_refused(self, _nova):
        self._mock_catalog()
        other = desktops_data.OTHER_USER_ID
        for volume in (archived_volume(other, self.tenant.id),
                       archived_volume(self.user.id, self.tenant.id,
                                       signed_for=(desktops_data.OTHER_PROJECT_ID,
                                                   self.user.id)),
                       {**archived_volume(self.user.id, self.tenant.id),
                        "metadata": {**record().values(), "heps:owner": self.user.id}},
                       {**archived_volume(self.user.id, self.tenant.id),
                        "attachments": [{"server_id": "x"}]}):
            self.mock_volume_get.return_value = volume
            self._assert_not_created(self._restore("volume-" + VOLUME_ID),
                                     "not one of yours")
        self._assert_not_created(self._restore("volume-../../etc"), "not one of yours")
        self.mock_volume_set_metadata.assert_not_called()
        self.mock_volume_delete.assert_not_called()

    @mock.patch.object(archives, "RESTORE_WAIT_SECONDS", 0)
    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_restore_of_a_backup_makes_a_volume_boots_it_and_deletes_the_backup(self, _nova):
        self._mock_catalog()
        self.mock_backup_get.return_value = archived_backup(self.user.id, self.tenant.id)
        self.mock_volume_create.return_value = {"id": NEW_VOLUME_ID, "status": "creating"}
        self.mock_volume_get.return_value = {"id": NEW_VOLUME_ID, "status": "available"}
        self._mock_created()
        res = self._restore("backup-" + BACKUP_ID)
        self.assertNoFormErrors(res)
        created = self.mock_volume_create.call_args.kwargs
        self.assertEqual((created["backup_id"], created["size"]), (BACKUP_ID, 40))
        self.assertEqual(self.mock_desktop_create.call_args.kwargs[
            "block_device_mapping_v2"][0]["uuid"], NEW_VOLUME_ID)
        self.mock_backup_delete.assert_called_once_with(mock.ANY, BACKUP_ID)
        self.mock_volume_delete.assert_not_called()

    @mock.patch.object(archives, "RESTORE_WAIT_SECONDS", 0)
    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_slow_backup_restore_says_come_back_and_creates_no_server(self, _nova):
        self._mock_catalog()
        self.mock_backup_get.return_value = archived_backup(self.user.id, self.tenant.id)
        self.mock_volume_create.return_value = {"id": NEW_VOLUME_ID, "status": "creating"}
        self.mock_volume_get.return_value = {"id": NEW_VOLUME_ID,
                                             "status": "restoring-backup"}
        res = self._restore("backup-" + BACKUP_ID)
        self._assert_not_created(res, "being restored from its backup")
        self.mock_backup_delete.assert_not_called()
        self.mock_volume_delete.assert_not_called()     # it is the archive now

    @mock.patch.object(archives, "RESTORE_WAIT_SECONDS", 0)
    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_nova_refusing_a_restore_leaves_only_the_backup(self, _nova):
        self._mock_catalog()
        self.mock_backup_get.return_value = archived_backup(self.user.id, self.tenant.id)
        self.mock_volume_create.return_value = {"id": NEW_VOLUME_ID, "status": "creating"}
        self.mock_volume_get.return_value = {"id": NEW_VOLUME_ID, "status": "available"}
        self.mock_desktop_create.side_effect = nova_exc.Forbidden(
            403, "Quota exceeded for cores")
        res = self._restore("backup-" + BACKUP_ID)
        self.assertEqual(res.status_code, 200)
        self.mock_volume_delete.assert_called_once_with(mock.ANY, NEW_VOLUME_ID)
        self.mock_backup_delete.assert_not_called()

    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_a_restore_that_finished_after_its_request_is_adopted(self, _nova):
        self._mock_catalog()
        self.mock_backup_get.return_value = archived_backup(self.user.id, self.tenant.id)
        earlier = {"id": NEW_VOLUME_ID, "status": "restoring-backup", "user_id": self.user.id,
                   "attachments": [], "metadata": {archives.RESTORED_FROM: BACKUP_ID}}
        self.mock_volume_list.return_value = [earlier]
        self._assert_not_created(self._restore("backup-" + BACKUP_ID),
                                 "being restored from its backup")
        self.mock_volume_list.return_value = [{**earlier, "status": "available"}]
        self._mock_created()
        self.assertNoFormErrors(self._restore("backup-" + BACKUP_ID, launch_token="d" * 32))
        self.mock_volume_create.assert_not_called()
        self.assertEqual(self.mock_desktop_create.call_args.kwargs[
            "block_device_mapping_v2"][0]["uuid"], NEW_VOLUME_ID)
        first = self.mock_volume_set_metadata.call_args_list[0].args
        signed = core.read(conf.signing_key(), core.RESOURCE_VOLUME, NEW_VOLUME_ID,
                           self.tenant.id, self.user.id, first[2])
        self.assertEqual(signed.source, BACKUP_ID)
        self.mock_backup_delete.assert_called_once_with(mock.ANY, BACKUP_ID)

    @test.create_mocks({**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
                        api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER})
    def test_restore_of_a_backup_counts_a_new_volume_against_the_quota(self, _nova):
        self._mock_catalog()
        self.mock_absolute_limits.return_value = cinder_limits(volumes=(10, 10))
        self.mock_backup_get.return_value = archived_backup(self.user.id, self.tenant.id)
        self._assert_not_created(self._restore("backup-" + BACKUP_ID),
                                 "Quota exceeded for Volumes")
        self.mock_volume_create.assert_not_called()


class RefusalTextTests(test.TestCase):
    def test_every_refusal_has_a_message(self):
        from heps_desktop_dashboard.services import persistent

        line = persistent.QuotaLine(persistent.GIGABYTES, 90, 100, 20)
        for exc in (persistent.Unavailable("down"), persistent.QuotaExceeded([line]),
                    archives.ArchiveNotFound("x"), archives.ArchiveNotReady("x"),
                    archives.RestorePending("x")):
            self.assertTrue(str(launch_storage.refusal_text(exc)))
        self.assertIn("Volume storage (GB)",
                      launch_storage.refusal_text(persistent.QuotaExceeded([line])))


class VolumeBootedRowTests(test.TestCase):
    def test_the_list_names_the_image_of_a_volume_booted_desktop(self):
        from heps_desktop_dashboard.dashboards.project.desktops import rows

        server = desktops_data.server(image_id=None)
        server.metadata[names.META_IMAGE] = desktops_data.IMAGE_IMAGING
        self.assertEqual(rows.image_ids([server]), {desktops_data.IMAGE_IMAGING})
        images = {desktops_data.IMAGE_IMAGING: desktops_data.image()}
        row = rows.DesktopRow(server, images)
        self.assertEqual(row.image_name, "HEPS Imaging 2026.2")
        server.metadata[names.META_IMAGE] = "x,y"      # edited: not looked up
        self.assertEqual(rows.image_ids([server]), set())
        self.assertEqual(rows.DesktopRow(server, images).image_name, "")
