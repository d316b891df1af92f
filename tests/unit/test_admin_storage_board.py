"""Admin › Desktops › Archives and Storage: every project's archived desktops and personal
storage volumes, read with the admin's token (one volume and one backup list of all
projects); Cinder absent or down a warning; a member refused."""

from unittest import mock

from django.urls import reverse
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import archives as core
from heps_desktop_dashboard.core import conventions as names
from test_data.contexts import IsUserContext

URL = reverse("horizon:admin:desktops:storage")
PROJECT = "309f93bbf4eb49c9b4ef3296fd701cc6"
ALICE = "a11ce000000000000000000000000000"


def archived(volume_id="vol-arch"):
    record = core.Record(kind=names.VOLUME_KIND_ARCHIVE, name="alice-desktop",
                         profile="heps.vgpu.a16", image="img-1", desktop="srv-1",
                         archived_at="2026-11-28T10:00:00Z")
    meta = core.metadata(conf.signing_key(), core.RESOURCE_VOLUME, volume_id, PROJECT,
                         ALICE, record)
    return {"id": volume_id, "status": "available", "size": 40, "user_id": ALICE,
            "os-vol-tenant-attr:tenant_id": PROJECT, "metadata": meta, "attachments": []}


def home():
    return {"id": "vol-home", "name": "heps-home-alice", "status": "in-use", "size": 10,
            "user_id": ALICE, "os-vol-tenant-attr:tenant_id": PROJECT,
            "created_at": "2026-11-29T05:00:00",
            "metadata": {names.VOLUME_META_KIND: names.VOLUME_KIND_HOME},
            "attachments": [{"server_id": "srv-2"}]}


class StorageBoardTests(test.BaseAdminViewTests):
    def setUp(self):
        super().setUp()
        patch = mock.patch.object
        self.in_catalog = patch(api.cinder, "in_catalog", return_value=True).start()
        self.volumes = patch(api.cinder, "volume_list",
                             return_value=[archived(), home(), {"id": "plain", "metadata": {},
                                                                "user_id": ALICE}]).start()
        self.backups = patch(api.cinder, "backup_list", return_value=[]).start()
        patch(api.identity_names, "project_names",
              return_value={PROJECT: "experiment-a"}).start()
        patch(api.identity_names, "user_names", return_value={ALICE: "alice"}).start()
        self.addCleanup(mock.patch.stopall)

    def test_archives_and_personal_storage_of_every_project(self):
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        archives = res.context["archives_table"].data
        storage = res.context["storage_table"].data
        self.assertEqual([(a.name, a.project, a.owner, a.size) for a in archives],
                         [("alice-desktop", "experiment-a", "alice", 40)])
        self.assertEqual([(h.name, h.owner, h.attached) for h in storage],
                         [("heps-home-alice", "alice", "srv-2")])
        self.volumes.assert_called_once_with(IsUserContext(), {"all_tenants": 1})
        self.backups.assert_called_once_with(IsUserContext(), {"all_tenants": 1})

    def test_the_board_links_to_it(self):
        from heps_desktop_dashboard.dashboards.admin.desktops import storage
        from heps_desktop_dashboard.dashboards.admin.desktops import tables

        self.assertIn(storage.ArchivesLink, tables.FleetTable._meta.table_actions)
        self.assertEqual(storage.ArchivesLink().get_link_url(), URL)

    def test_cinder_down_or_absent_is_a_warning(self):
        self.volumes.side_effect = api.cinder.BlockStorageUnavailable("503")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "absent or does not answer")
        self.in_catalog.return_value = False
        self.volumes.reset_mock()
        res = self.client.get(URL)
        self.assertContains(res, "absent or does not answer")
        self.volumes.assert_not_called()


class MemberTests(test.TestCase):
    def test_a_member_is_refused(self):
        with mock.patch.object(api.cinder, "volume_list") as listing:
            res = self.client.get(URL)
        self.assertEqual(res.status_code, 403)
        listing.assert_not_called()


