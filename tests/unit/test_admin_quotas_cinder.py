"""Admin › Desktop Quotas, block storage: Cinder's volumes, gigabytes, backups and
per-volume-type quotas of every project beside compute and GPUs, the Edit Block Storage
Quotas modal (only what changed is written, one audit event each), Cinder absent or
down, a member refused."""

from unittest import mock

from django.urls import reverse
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.services import audit
from test_data import quota_data as qdata
from test_data.contexts import IsUserContext

URL = reverse("horizon:admin:desktop_quotas:index")
STORAGE_A = reverse("horizon:admin:desktop_quotas:edit_storage", args=[qdata.PROJECT_A])
READS = qdata.READS


def usage(volumes=(1, 10), gigabytes=(40, 1000), ssd=(40, -1)):
    return {"volumes": {"limit": volumes[1], "in_use": volumes[0], "reserved": 0},
            "gigabytes": {"limit": gigabytes[1], "in_use": gigabytes[0], "reserved": 0},
            "backups": {"limit": 10, "in_use": 0, "reserved": 0},
            "backup_gigabytes": {"limit": 1000, "in_use": 0, "reserved": 0},
            "volumes_heps-ssd": {"limit": -1, "in_use": 1, "reserved": 0},
            "gigabytes_heps-ssd": {"limit": ssd[1], "in_use": ssd[0], "reserved": 0}}


class _Base(test.BaseAdminViewTests):
    def setUp(self):
        super().setUp()
        patch = mock.patch.object
        self.in_catalog = patch(api.cinder, "in_catalog", return_value=True).start()
        patch(api.cinder, "volume_types", return_value=[{"name": "heps-ssd"}]).start()
        self.usage = patch(api.cinder, "quota_usage", return_value=usage()).start()
        self.update = patch(api.cinder, "quota_update").start()
        self.addCleanup(mock.patch.stopall)


class StorageBoardTests(_Base):
    @test.create_mocks(READS)
    def test_cinder_quotas_are_columns_beside_compute(self):
        cloud = qdata.FakeQuotas()
        cloud.install(self)
        self.usage.side_effect = lambda ctx, project: usage(
            gigabytes=(1200, 1000) if project == qdata.PROJECT_B else (40, 1000))
        res = self.client.get(URL)
        rows = {row.name: row for row in res.context["table"].data}
        a = rows["experiment-a"].lines
        self.assertEqual((a["volume:gigabytes"].used, a["volume:gigabytes"].limit), (40, 1000))
        self.assertIsNone(a["volume:gigabytes_heps-ssd"].limit)
        for header in ("Volumes", "Volume GB", "Backups", "Backup GB", "GB (heps-ssd)"):
            self.assertContains(res, header)
        self.assertTrue(rows["experiment-b"].over)
        self.assertContains(res, STORAGE_A)
        self.assertEqual(self.usage.call_count, 3)
        self.usage.assert_any_call(IsUserContext(), qdata.PROJECT_B)

    @test.create_mocks(READS)
    def test_cinder_down_is_a_warning_and_compute_still_shows(self):
        qdata.FakeQuotas().install(self)
        self.usage.side_effect = api.cinder.BlockStorageUnavailable("503")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "Block storage (Cinder) cannot be read right now")
        self.assertContains(res, "Desktops")

    @test.create_mocks(READS)
    def test_cinder_absent_shows_no_block_storage_column(self):
        qdata.FakeQuotas().install(self)
        self.in_catalog.return_value = False
        res = self.client.get(URL)
        self.assertNotContains(res, "Volume GB")
        self.assertNotContains(res, STORAGE_A)
        self.usage.assert_not_called()


class StorageEditTests(_Base):
    def setUp(self):
        super().setUp()
        mock.patch.object(api.identity_names, "project_names",
                          return_value={qdata.PROJECT_A: "experiment-a"}).start()

    def form(self, **values):
        data = {"cinder_volumes": "10", "cinder_gigabytes": "1000", "cinder_backups": "10",
                "cinder_backup_gigabytes": "1000", "cinder_volumes_heps__ssd": "",
                "cinder_gigabytes_heps__ssd": ""}
        data.update(values)
        return data

    def test_only_what_changed_is_written_and_audited(self):
        self.update.return_value = {"gigabytes": 500, "gigabytes_heps-ssd": 200}
        res = self.client.get(STORAGE_A)
        self.assertContains(res, "40 in use")
        with mock.patch.object(audit.AUDIT, "info") as log:
            res = self.client.post(STORAGE_A, self.form(cinder_gigabytes="500",
                                                        cinder_gigabytes_heps__ssd="200"))
        self.assertNoFormErrors(res)
        self.update.assert_called_once_with(IsUserContext(), qdata.PROJECT_A,
                                            {"gigabytes": 500, "gigabytes_heps-ssd": 200})
        events = [call.args[0] for call in log.call_args_list]
        self.assertEqual(len(events), 2)
        self.assertTrue(all('"service": "cinder"' in e and '"quota.set"' in e for e in events))

    def test_empty_is_unlimited_and_negative_is_refused(self):
        self.update.return_value = {"volumes": -1}
        res = self.client.post(STORAGE_A, self.form(cinder_volumes=""))
        self.assertNoFormErrors(res)
        self.update.assert_called_once_with(IsUserContext(), qdata.PROJECT_A, {"volumes": -1})
        self.update.reset_mock()
        res = self.client.post(STORAGE_A, self.form(cinder_volumes="-3"))
        self.assertFormErrors(res, 1)
        self.update.assert_not_called()

    def test_cinder_refusing_is_a_form_error(self):
        self.update.side_effect = api.cinder.BadRequest(400, "Quota limit invalid")
        res = self.client.post(STORAGE_A, self.form(cinder_gigabytes="5"))
        self.assertContains(res, "Nothing was changed")

    def test_cinder_ignoring_a_change_is_an_error(self):
        self.update.return_value = {"gigabytes": 1000}
        res = self.client.post(STORAGE_A, self.form(cinder_gigabytes="5"))
        self.assertContains(res, "Cinder kept its old gigabytes")

    def test_an_unknown_project_or_cinder_down_goes_back_with_a_message(self):
        res = self.client.get(reverse("horizon:admin:desktop_quotas:edit_storage",
                                      args=["nope"]))
        self.assertRedirectsNoFollow(res, URL)
        self.usage.side_effect = api.cinder.BlockStorageUnavailable("down")
        res = self.client.get(STORAGE_A)
        self.assertRedirectsNoFollow(res, URL)


class MemberRefusedTests(test.TestCase):
    def test_a_member_is_refused_and_nothing_is_read(self):
        with mock.patch.object(api.cinder, "quota_usage") as read, \
                mock.patch.object(api.cinder, "quota_update") as write:
            for method in (self.client.get, self.client.post):
                res = method(STORAGE_A)
                self.assertEqual(res.status_code, 403)
        read.assert_not_called()
        write.assert_not_called()
