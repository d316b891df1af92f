"""Bugs the hostile-input suite (tests/integration/test_hostile_*.py) found, pinned by
view tests (api layer mocked)."""

from django.urls import reverse
from openstack_dashboard.test import helpers as test
from unit.test_archives import BACKUP
from unit.test_archives import backup

from heps_desktop_dashboard import api
from test_data import desktops_data as data
from test_data import quota_data as qdata

QUOTAS = reverse("horizon:admin:desktop_quotas:index")


class HandMadePostTests(test.BaseAdminViewTests):
    @test.create_mocks(qdata.READS)
    def test_a_post_to_the_quota_board_renders_it(self):
        # Horizon asks a POSTed table view for its table before its tables: the board's
        # table class, made per page, was not there yet (AttributeError, HTTP 500).
        qdata.FakeQuotas().install(self)
        res = self.client.post(QUOTAS, {"x": "<script>"})
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/admin/desktop_quotas/index.html")


class RenameNameRuleTests(test.TestCase):
    @test.create_mocks({api.nova: ["desktop_get", "server_rename"]})
    def test_names_nova_refuses_are_a_form_error_not_a_failed_call(self):
        # a zero-width space (category Cf), an emoji, a line separator: nova answered
        # 400 and the user read "Unable to rename the desktop."
        self.mock_desktop_get.return_value = data.server()
        url = reverse("horizon:project:desktops:rename", args=[data.server().id])
        for name in ("a\u200bb", "desk \U0001F600", "a\u2028b", "tab\there"):
            res = self.client.post(url, {"name": name})
            self.assertFormErrors(res, 1)
        self.mock_server_rename.assert_not_called()
        res = self.client.post(url, {"name": "桌面-ü Ω"})
        self.assertNoFormErrors(res)
        self.mock_server_rename.assert_called_once()


class ArchivePostedByHandTests(test.TestCase):
    @test.create_mocks({api.cinder: ["in_catalog", "volume_list", "backup_list",
                                     "backup_get", "backup_delete"],
                        api.glance: ["images_by_id"]})
    def test_an_archive_not_in_the_list_is_refused_with_a_message(self):
        # Horizon's default lookup redirected without a word (its Http302 message is
        # dropped by the middleware); the service now reads the id and refuses it.
        self.mock_in_catalog.return_value = True
        self.mock_volume_list.return_value = []
        self.mock_backup_list.return_value = []
        self.mock_backup_get.return_value = backup(owner="someone-else")
        url = reverse("horizon:project:desktops:archived")
        for count, posted in enumerate((f"backup-{BACKUP}", "<script>", "ffffffff"), 1):
            res = self.client.post(url, {"action": f"archives__delete_archive__{posted}"})
            self.assertRedirectsNoFollow(res, url)
            self.assertMessageCount(error=count)  # one more each time
        self.mock_backup_delete.assert_not_called()
