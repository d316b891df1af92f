"""My storage at launch (services/launch.py + home_storage): a persistent launch makes
the user's storage once the desktop exists, a failed launch makes none, a failing
storage does not undo the launch, and the user-data mounts it at /home/<user>."""

from unittest import mock

from openstack_dashboard.test import helpers as test
from unit.test_launch import LOAD
from unit.test_launch import LaunchTestBase

from heps_desktop_dashboard import api
from heps_desktop_dashboard.services import home_storage
from test_data import contexts

CINDER = ["in_catalog", "absolute_limits", "volume_list", "volume_create", "quota_usage"]
MOCKS = {**{k: v for k, v in LOAD.items() if k is not api.nova_flavors},
         api.nova_flavors: ["gpu_usage_from_servers"], api.cinder: CINDER}
HOME = {"id": "vol-home", "name": "heps-home-test_user", "size": 10, "status": "creating",
        "user_id": "", "created_at": "2026-11-29T05:00:00", "metadata": {},
        "attachments": []}


@mock.patch.object(api.nova_flavors, "absolute_limits")
class HomeAtLaunchTests(LaunchTestBase):
    def _mock_cinder(self, nova_limits):
        self._mock_catalog()
        nova_limits.return_value = {"maxTotalInstances": 10, "totalInstancesUsed": 0,
                                    "maxTotalCores": 100, "totalCoresUsed": 0,
                                    "maxTotalRAMSize": 10 ** 6, "totalRAMUsed": 0}
        self.mock_in_catalog.return_value = True
        self.mock_absolute_limits.return_value = {
            "maxTotalVolumes": 10, "totalVolumesUsed": 0,
            "maxTotalVolumeGigabytes": 1000, "totalGigabytesUsed": 0}
        self.mock_quota_usage.return_value = {}
        self.mock_volume_list.return_value = []
        self.mock_volume_create.return_value = HOME

    @test.create_mocks(MOCKS)
    def test_a_persistent_launch_makes_my_storage_and_mounts_it(self, nova_limits):
        self._mock_cinder(nova_limits)
        self._mock_created()
        res = self._post(disk="persistent")
        self.assertNoFormErrors(res)
        self.mock_volume_create.assert_called_once()
        kwargs = self.mock_volume_create.call_args.kwargs
        self.assertTrue(kwargs["name"].startswith("heps-home-"))
        self.assertIn("/home/test_user", self.mock_desktop_create.call_args.kwargs["user_data"])

    @test.create_mocks(MOCKS)
    def test_a_plain_launch_makes_no_storage(self, nova_limits):
        self._mock_cinder(nova_limits)
        self._mock_created()
        self.assertNoFormErrors(self._post(disk="ephemeral"))
        self.mock_volume_create.assert_not_called()
        self.assertIsNone(self.mock_desktop_create.call_args.kwargs["user_data"])

    @test.create_mocks(MOCKS)
    def test_a_failed_launch_makes_no_storage(self, nova_limits):
        self._mock_cinder(nova_limits)
        self.mock_desktop_create.side_effect = api.nova.Conflict(409, "no")
        res = self._post(disk="persistent")
        self.assertEqual(res.status_code, 200)
        self.mock_volume_create.assert_not_called()

    @test.create_mocks(MOCKS)
    def test_storage_over_quota_does_not_undo_the_launch(self, nova_limits):
        self._mock_cinder(nova_limits)
        self._mock_created()
        self.mock_quota_usage.return_value = {"volumes": {"limit": 0, "in_use": 0}}
        self.assertNoFormErrors(self._post(disk="persistent"))
        self.mock_volume_create.assert_not_called()
        self.mock_desktop_discard.assert_not_called()


def test_mount_user_for_a_user_with_storage_only():
    ctx = contexts.user_context(username="alice")
    with mock.patch.object(home_storage, "find_home", return_value=None):
        assert home_storage.mount_user(ctx, persistent=False) == ""
        assert home_storage.mount_user(ctx, persistent=True) == "alice"
    with mock.patch.object(home_storage, "find_home", return_value=object()):
        assert home_storage.mount_user(ctx, persistent=False) == "alice"
    with mock.patch.object(home_storage, "find_home",
                           side_effect=home_storage.Unavailable("down")):
        assert home_storage.mount_user(ctx, persistent=False) == ""
