"""Desktops › Archived: the user's archives listed (name, profile, image, archived at,
size, expires), Restore leads to the Launch form with the archive, Delete Archive is the
owner's only (the service re-reads the archive), Cinder down or absent is a message, and
policy is enforced on GET and POST."""

from unittest import mock

from django.test.utils import override_settings
from django.urls import reverse
from openstack_dashboard.test import helpers as test
from unit.test_archives import BACKUP
from unit.test_archives import VOL
from unit.test_archives import backup
from unit.test_archives import volume
from unit.test_view_policy import deny_all_but_the_panel

from heps_desktop_dashboard import api
from test_data import desktops_data

URL = reverse("horizon:project:desktops:archived")
INDEX = reverse("horizon:project:desktops:index")


class ArchivedViewTests(test.TestCase):
    def _mine(self, **kwargs):
        return volume(owner=self.user.id, project=self.tenant.id, **kwargs)

    @test.create_mocks({api.cinder: ["in_catalog", "volume_list", "backup_list"],
                        api.glance: ["images_by_id"]})
    def test_lists_the_users_archives_with_restore_and_delete(self):
        self.mock_in_catalog.return_value = True
        self.mock_volume_list.return_value = [
            self._mine(), volume(VOL.replace("1", "9"), owner="someone-else",
                                 project=self.tenant.id)]
        self.mock_backup_list.return_value = []
        self.mock_images_by_id.return_value = {"img-1": desktops_data.image(
            image_id="img-1", name="HEPS Imaging 2026.2")}
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        rows = res.context["table"].data
        self.assertEqual([r.resource_id for r in rows], [VOL])
        for text in ("alice-desktop", "heps.cpu.std", "HEPS Imaging 2026.2",
                     "2026-11-30 12:00 UTC", "2026-12-30 12:00 UTC", "Restore",
                     "Delete Archive", "Archived"):
            self.assertContains(res, text)
        self.assertContains(res, reverse("horizon:project:desktops:launch")
                            + "?archive=volume-" + VOL)
        self.assertNotContains(res, "someone-else")

    @test.create_mocks({api.cinder: ["in_catalog", "volume_list"]})
    def test_cinder_down_or_absent_is_a_message(self):
        self.mock_in_catalog.return_value = True
        self.mock_volume_list.side_effect = api.cinder.BlockStorageUnavailable("503")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "block storage service does not answer")
        self.mock_in_catalog.return_value = False
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)

    @test.create_mocks({api.cinder: ["in_catalog", "volume_list", "backup_list",
                                     "volume_get", "backup_get", "volume_delete",
                                     "backup_delete"],
                        api.glance: ["images_by_id"]})
    def test_delete_archive_owner_only_on_post(self):
        self.mock_in_catalog.return_value = True
        self.mock_volume_list.return_value = [self._mine()]
        self.mock_backup_list.return_value = []
        self.mock_images_by_id.return_value = {}
        self.mock_volume_get.return_value = self._mine()
        res = self.client.post(URL, {"action": f"archives__delete_archive__volume-{VOL}"})
        self.assertRedirectsNoFollow(res, URL)
        self.mock_volume_delete.assert_called_once_with(mock.ANY, VOL)
        # someone else's backup posted by hand: refused, nothing deleted
        self.mock_backup_get.return_value = backup(owner="someone-else")
        res = self.client.post(URL, {"action": f"archives__delete_archive__backup-{BACKUP}"})
        self.mock_backup_delete.assert_not_called()
        self.assertEqual(res.status_code, 302)

    @override_settings(POLICY_CHECK_FUNCTION=deny_all_but_the_panel)
    def test_policy_refuses_get_and_post(self):
        with mock.patch.object(api.cinder, "volume_list",
                               side_effect=AssertionError("read")) as listed:
            for method in (self.client.get, self.client.post):
                res = method(URL, {"action": f"archives__delete_archive__volume-{VOL}"})
                self.assertRedirects(res, INDEX, fetch_redirect_response=False)
        listed.assert_not_called()
