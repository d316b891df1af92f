"""Posted actions on desktops with experiment data (Delete with revocation, Detach) and
the results-export modals (snapshot, share from snapshot, save as image)."""

from unittest import mock

from django.urls import reverse
from manilaclient.common.apiclient import exceptions as manila_exc
from unit.test_experiments_views import CloudTestCase

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import data_attach
from test_data import experiments_data as edata
from test_data.contexts import IsUserContext

INDEX_URL = reverse("horizon:project:desktops:index")
EXP = edata.EXPERIMENT


def messages(res):
    return [str(m) for m in res.wsgi_request._messages]


class DeleteAndDetachTests(CloudTestCase):
    def _post(self, action, server, on_page=True):
        page = [self.cloud.server(server.id)] if on_page else []
        with mock.patch.object(api.nova, "desktop_list_paged",
                               return_value=(page, False, False)):
            return self.client.post(INDEX_URL, {"action": f"desktops__{action}__{server.id}"})

    def test_delete_revokes_the_rules_then_deletes(self):
        server = self.attached_server()
        res = self._post("delete", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertEqual(self.cloud.deleted, [server.id])
        self.assertEqual(self.cloud.mutations(), ["server_set_metadata", "access_deny",
                                                  "access_deny", "server_delete"])
        self.assertEqual({ctx for _name, ctx in self.cloud.contexts}, {"user"})
        self.cloud.finish()
        self.assertEqual(self.cloud.all_rules(), [])

    def test_delete_keeps_the_desktop_when_a_rule_cannot_be_revoked(self):
        server = self.attached_server()
        self.cloud.fail["access_deny"] = manila_exc.Forbidden(403, "locked")
        res = self._post("delete", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertEqual(self.cloud.deleted, [])
        # Why (ours), then the batch action's list of desktops not deleted.
        self.assertMessageCount(error=2)
        self.assertIn("was not deleted", messages(res)[0])
        self.assertIn(edata.RAW_ID, messages(res)[0])

    def test_delete_with_manila_down_deletes_and_warns(self):
        server = self.attached_server()
        self.cloud.fail["experiment_shares"] = api.manila.ShareServiceUnavailable("down")
        res = self._post("delete", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertEqual(self.cloud.deleted, [server.id])
        self.assertMessageCount(warning=1, success=1)
        self.assertTrue(any("reconciler" in m for m in messages(res)))

    def test_delete_while_attaching_leaves_no_rule(self):
        server = self.attaching_server()
        stale = self.cloud.server(server.id)
        # The reconciler grants from a read made before the delete was marked.
        self.cloud.hooks["server_delete"] = lambda: data_attach.advance(self.operator, stale)
        self._post("delete", server)
        self.assertEqual(self.cloud.deleted, [server.id])
        self.assertEqual(self.cloud.calls.count("access_allow"), 0)
        self.cloud.finish()
        self.assertEqual(self.cloud.all_rules(), [])

    def test_delete_of_a_desktop_not_on_the_page_is_read_and_checked(self):
        server = self.attached_server()
        res = self._post("delete", server, on_page=False)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertEqual(self.cloud.deleted, [server.id])
        theirs = self.cloud.add_server(project=edata.OTHER_PROJECT)
        self._post("delete", theirs, on_page=False)
        self.assertIn(theirs.id, self.cloud.servers)

    def test_detach_from_the_detail_page_takes_one_step(self):
        server = self.attached_server()
        res = self._post("detach_experiment", server, on_page=False)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertEqual(self.cloud.metadata(server.id)["heps:data_state"], "detaching")
        self.assertEqual({r["state"] for r in self.cloud.all_rules()}, {"queued_to_deny"})
        edata.reconcile(self.cloud, self.operator, server.id)
        self.assertNotIn("heps:experiment", self.cloud.metadata(server.id))

    def test_detach_of_a_desktop_on_the_first_page(self):
        # The detail page posts to the index, whose first page may hold the desktop as
        # a list row: a posted action still applies.
        server = self.attached_server()
        res = self._post("detach_experiment", server)
        self.assertEqual(self.cloud.metadata(server.id)["heps:data_state"], "detaching")
        self.assertFalse(any("not allowed" in m for m in messages(res)))

    def test_detach_refusal_is_a_message(self):
        server = self.attached_server()
        with mock.patch.object(data_attach, "detach",
                               side_effect=mounts.MountRefused(mounts.BUSY, detail="x")):
            self._post("detach_experiment", server, on_page=False)
        self.assertMessageCount(error=1)


class ExportViewTests(CloudTestCase):
    def _url(self, name, server):
        return reverse(f"horizon:project:desktops:{name}", args=[server.id])

    def test_snapshot_modal_prefills_and_creates(self):
        server = self.attached_server()
        url = self._url("snapshot_results", server)
        res = self.client.get(url)
        self.assertContains(res, f"{EXP}-results-")
        with mock.patch.object(api.manila, "snapshot_create",
                               return_value={"id": "s1", "name": "snap"}) as create:
            res = self.client.post(url, {"name": "snap", "description": "d"})
        self.assertNoFormErrors(res)
        create.assert_called_once_with(IsUserContext(project_id=self.tenant.id),
                                       edata.RESULTS_ID, "snap", "d")

    def test_a_posted_share_id_is_ignored_the_results_share_is_looked_up_again(self):
        server = self.attached_server()
        with mock.patch.object(api.manila, "snapshot_create",
                               return_value={"id": "s1"}) as create:
            self.client.post(self._url("snapshot_results", server),
                             {"share_id": edata.RAW_ID, "desktop_id": "other",
                              "name": "snap"})
        self.assertEqual(create.call_args.args[1], edata.RESULTS_ID)

    def test_a_desktop_without_experiment_has_no_results_to_snapshot(self):
        server = self.cloud.add_server(metadata={})
        res = self.client.get(self._url("snapshot_results", server))
        self.assertEqual(res.status_code, 302)
        self.assertIn("no experiment", " ".join(messages(res)))

    def test_share_from_snapshot_modal_lists_available_snapshots(self):
        server = self.attached_server()
        snapshots = [{"id": "s1", "name": "week-1", "status": "available", "size": 1,
                      "created_at": "2026-11-26T06:00:00.000000", "share_id": edata.RESULTS_ID,
                      "share_proto": "NFS"},
                     {"id": "s2", "name": "busy", "status": "creating", "size": 1,
                      "created_at": "2026-11-26T07:00:00.000000"}]
        with mock.patch.object(api.manila, "snapshot_list", return_value=snapshots) as found:
            res = self.client.get(self._url("share_from_snapshot", server))
        self.assertContains(res, "week-1 (2026-11-26T06:00, 1 GiB, available)")
        self.assertNotContains(res, "busy")
        found.assert_called_once_with(IsUserContext(), edata.RESULTS_ID)

    def test_save_image_modal(self):
        server = self.cloud.add_server(name="ct-recon")
        url = self._url("save_image", server)
        self.assertContains(self.client.get(url), "ct-recon-20")
        with mock.patch.object(api.nova, "server_create_image") as create:
            res = self.client.post(url, {"name": "img"})
        self.assertNoFormErrors(res)
        ctx, server_id, name, metadata = create.call_args.args
        self.assertEqual((ctx, server_id, name),
                         (IsUserContext(project_id=self.tenant.id), server.id, "img"))
        self.assertEqual(metadata["heps_golden"], "false")
        self.assertEqual(metadata["heps_source_experiment"], EXP)

    def test_save_image_of_another_projects_desktop_is_refused(self):
        server = self.cloud.add_server(project=edata.OTHER_PROJECT)
        with mock.patch.object(api.nova, "server_create_image") as create:
            res = self.client.post(self._url("save_image", server), {"name": "img"})
        self.assertEqual(res.status_code, 302)
        create.assert_not_called()
