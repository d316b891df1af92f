"""Views of experiment data: the Experiment data tab, the attach form (hand-made POSTs),
Delete with revocation, the ajax row update that moves an attach on, results export
modals, and the orphan command's decisions."""

from unittest import mock

from django.core.cache import cache
from django.urls import reverse
from manilaclient.common.apiclient import exceptions as manila_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.desktops import experiment_tabs
from heps_desktop_dashboard.desktops import experiments
from heps_desktop_dashboard.management.commands import heps_orphan_rules as orphans
from test_data import desktops_data as data
from test_data import experiments_data as edata

INDEX_URL = reverse("horizon:project:desktops:index")
EXP = edata.EXPERIMENT
TAB = "desktop_details__experiment_data"


class _CloudTestCase(test.TestCase):
    mode = "access-rule"

    def setUp(self):
        super().setUp()
        cache.clear()
        self.cloud = edata.FakeCloud()
        project = self.tenant.id
        # The service layer called directly (outside a view) gets a request of the same
        # project as the logged-in test user.
        self.service_request = edata.FakeRequest(project)
        self.cloud.add_share(edata.share_info("raw", project=project))
        self.cloud.add_share(edata.share_info("results", project=project, snapshots=True))
        self.cloud.add_share(edata.share_info("raw", share_id="bob-raw",
                                              project=edata.OTHER_PROJECT,
                                              experiment="2026-0217"))
        patches = self.cloud.patches()
        patches.__enter__()
        self.addCleanup(patches.__exit__)
        for target, name, value in (
                (api.glance, "images_by_id", {}),
                (manila, "snapshot_list", []),
                (manila, "quota_usage", {"gigabytes": {"limit": 1000, "in_use": 2}}),
                (experiment_tabs.base, "is_service_enabled", True),
                (experiments.time, "sleep", None)):
            patch = mock.patch.object(target, name, return_value=value)
            patch.start()
            self.addCleanup(patch.stop)
        settings = self.settings(HEPS_DESKTOPS={"share_mount_mode": self.mode})
        settings.enable()
        self.addCleanup(settings.disable)

    def attached_server(self, **kw):
        server = self.cloud.add_server(**kw)
        experiments.attach(self.service_request, server.id, EXP)
        for _ in range(6):
            experiments.progress(self.service_request, self.cloud.servers[server.id])
            self.cloud.finish()
        self.assertEqual(self.cloud.metadata(server.id)["heps:data_state"], "attached")
        return server


class ExperimentTabTests(_CloudTestCase):
    def _tab(self, server):
        url = reverse("horizon:project:desktops:detail", args=[server.id])
        return self.client.get(url, {"tab": TAB}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    def test_tab_lists_each_share_with_mode_level_path_and_state(self):
        server = self.attached_server()
        res = self._tab(server)
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/desktops/_experiment_data.html")
        for text in ("exp-2026-0142-raw", "exp-2026-0142-results", "read-only", "read-write",
                     "/data/raw", "/data/results", "NFS (Manila access rule)", "Attached",
                     "active", "Snapshot Results", "2 of 1000 GiB",
                     "sudo mount -t nfs -o ro 10.0.0.10:/path/to/fake/share/"):
            self.assertContains(res, text)
        self.assertNotContains(res, "data-heps-experiment-poll")

    def test_tab_of_a_desktop_without_data_offers_attach(self):
        server = self.cloud.add_server(metadata={"heps:experiment": "2026-0999"})
        res = self._tab(server)
        self.assertContains(res, "No experiment data attached")
        self.assertContains(res, reverse("horizon:project:desktops:attach_experiment",
                                         args=[server.id]))

    def test_tab_polls_and_advances_while_attaching(self):
        metadata = experiments.launch_metadata(self.service_request, EXP)
        server = self.cloud.add_server(metadata=metadata)
        res = self._tab(server)
        self.assertContains(res, "data-heps-experiment-poll")
        self.assertContains(res, "Attaching experiment data")
        self.assertEqual(len(self.cloud.all_rules()), 2)      # this load took a step

    def test_names_and_metadata_are_escaped(self):
        self.cloud.shares[edata.RAW_ID]["name"] = "<b>raw</b>"
        server = self.attached_server()
        res = self._tab(server)
        self.assertContains(res, "&lt;b&gt;raw&lt;/b&gt;")
        self.assertNotContains(res, "<b>raw</b>")

    def test_manila_down_is_a_warning_not_an_error_page(self):
        server = self.attached_server()
        self.cloud.fail["experiment_shares"] = manila.ShareServiceUnavailable("down")
        self.cloud.fail["desktop_rules"] = manila.ShareServiceUnavailable("down")
        res = self._tab(server)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "Manila")


class AttachFormTests(_CloudTestCase):
    def _url(self, server):
        return reverse("horizon:project:desktops:attach_experiment", args=[server.id])

    def _post(self, server, **overrides):
        form = {"desktop_id": server.id, "experiment": EXP, "raw_access": "ro",
                "results_access": "rw", **overrides}
        return self.client.post(self._url(server), form)

    def test_form_offers_only_the_projects_experiments(self):
        server = self.cloud.add_server()
        res = self.client.get(self._url(server))
        self.assertContains(res, "exp-2026-0142-raw (1 GiB, NFS, available)")
        self.assertNotContains(res, "2026-0217")
        self.assertNotContains(res, "confirm_restart")   # access-rule: no restart

    def test_attach_records_the_plan_and_redirects_to_the_tab(self):
        server = self.cloud.add_server()
        res = self._post(server)
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(
            res, reverse("horizon:project:desktops:detail", args=[server.id]) + f"?tab={TAB}")
        self.assertEqual(self.cloud.metadata(server.id)["heps:data_state"], "attaching")
        self.assertEqual({r["access_level"] for r in self.cloud.all_rules()}, {"ro", "rw"})

    def test_hand_made_post_asking_raw_read_write_is_refused(self):
        server = self.cloud.add_server()
        res = self._post(server, raw_access="rw")
        self.assertContains(res, "Raw experiment data can only be mounted read-only.")
        self.assertEqual(self.cloud.all_rules(), [])
        self.assertNotIn("heps:data_state", self.cloud.metadata(server.id))

    def test_hand_made_post_with_another_projects_experiment_is_refused(self):
        server = self.cloud.add_server()
        res = self._post(server, experiment="2026-0217")
        self.assertFormErrors(res, 1)
        self.assertEqual(self.cloud.all_rules(), [])

    def test_share_in_error_is_a_form_error(self):
        self.cloud.shares[edata.RESULTS_ID]["status"] = "error"
        server = self.cloud.add_server()
        res = self._post(server)
        self.assertContains(res, "is error, not available")
        self.assertEqual(self.cloud.all_rules(), [])

    def test_manila_down_is_a_form_error_and_nothing_is_changed(self):
        server = self.cloud.add_server()
        res = self.client.get(self._url(server))
        self.cloud.fail["experiment_shares"] = manila.ShareServiceUnavailable("down")
        res = self._post(server)
        self.assertEqual(res.status_code, 200)
        self.assertEqual(self.cloud.all_rules(), [])
        self.assertNotIn("heps:data_state", self.cloud.metadata(server.id))


class VirtiofsAttachFormTests(_CloudTestCase):
    mode = "virtiofs"

    def test_running_desktop_needs_the_restart_confirmed(self):
        server = self.cloud.add_server()
        url = reverse("horizon:project:desktops:attach_experiment", args=[server.id])
        form = {"desktop_id": server.id, "experiment": EXP, "raw_access": "ro",
                "results_access": "rw"}
        res = self.client.post(url, form)
        self.assertContains(res, "Attaching needs a restart of the desktop")
        self.assertNotIn("desktop_stop", self.cloud.calls)
        res = self.client.post(url, dict(form, confirm_restart="on"))
        self.assertNoFormErrors(res)
        self.assertEqual(self.cloud.calls.count("desktop_stop"), 1)
        self.assertEqual(self.cloud.metadata(server.id)["heps:data_state"],
                         "attaching-restart")


class DeleteAndRowTests(_CloudTestCase):
    def _post(self, action, server):
        with mock.patch.object(api.nova, "desktop_list_paged",
                               return_value=([server], False, False)):
            return self.client.post(INDEX_URL, {"action": f"desktops__{action}__{server.id}"})

    def test_delete_revokes_the_rules_then_deletes(self):
        server = self.attached_server()
        with mock.patch.object(experiments, "REVOKE_SETTLE_SECONDS", 0):
            res = self._post("delete", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertEqual(self.cloud.deleted, [server.id])
        self.cloud.finish()
        self.assertEqual(self.cloud.all_rules(), [])

    def test_delete_keeps_the_desktop_when_a_rule_cannot_be_revoked(self):
        server = self.attached_server()
        self.cloud.fail["access_deny"] = manila_exc.ClientException(500, "boom")
        res = self._post("delete", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertEqual(self.cloud.deleted, [])
        self.assertMessageCount(error=1)
        messages = [str(m) for m in res.wsgi_request._messages]
        self.assertIn("was not deleted", messages[0])

    def test_row_update_moves_an_attach_on_and_shows_it(self):
        metadata = dict(data.server().metadata)
        metadata.update(experiments.launch_metadata(self.service_request, EXP))
        server = self.cloud.add_server(metadata=metadata)
        res = self.client.get(INDEX_URL, {"action": "row_update", "table": "desktops",
                                          "obj_id": server.id},
                              HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(res, "Attaching experiment data")
        self.assertContains(res, "ajax-update warning")  # Horizon keeps polling the row
        self.assertEqual(len(self.cloud.all_rules()), 2)

    def test_detach_action_on_the_detail_page(self):
        server = self.attached_server()
        res = self._post("detach_experiment", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertEqual(self.cloud.metadata(server.id)["heps:data_state"], "detaching")

    def test_detach_refusal_is_a_message(self):
        server = self.cloud.add_server(metadata={"heps:data_state": "error"})
        with mock.patch.object(experiments, "detach",
                               side_effect=mounts.MountRefused(mounts.BUSY, detail="x")):
            self._post("detach_experiment", server)
        self.assertMessageCount(error=1)


class ExportViewTests(_CloudTestCase):
    def test_snapshot_modal_prefills_and_creates(self):
        server = self.attached_server()
        url = reverse("horizon:project:desktops:snapshot_results", args=[server.id])
        res = self.client.get(url)
        self.assertContains(res, f"{EXP}-results-")
        with mock.patch.object(manila, "snapshot_create",
                               return_value={"id": "s1", "name": "snap"}) as create:
            res = self.client.post(url, {"desktop_id": server.id,
                                         "share_id": edata.RESULTS_ID, "name": "snap",
                                         "description": "d"})
        self.assertNoFormErrors(res)
        create.assert_called_once_with(test.IsHttpRequest(), edata.RESULTS_ID, "snap", "d")

    def test_snapshot_of_a_raw_share_by_hand_made_post_is_refused(self):
        server = self.attached_server()
        url = reverse("horizon:project:desktops:snapshot_results", args=[server.id])
        with mock.patch.object(manila, "snapshot_create") as create:
            self.client.post(url, {"desktop_id": server.id, "share_id": edata.RAW_ID,
                                   "name": "snap"})
        create.assert_not_called()
        self.assertMessageCount(error=1)

    def test_share_from_snapshot_modal_lists_available_snapshots(self):
        server = self.attached_server()
        snapshots = [{"id": "s1", "name": "week-1", "status": "available", "size": 1,
                      "created_at": "2026-11-26T06:00:00.000000", "share_id": edata.RESULTS_ID,
                      "share_proto": "NFS"},
                     {"id": "s2", "name": "busy", "status": "creating", "size": 1,
                      "created_at": "2026-11-26T07:00:00.000000"}]
        url = reverse("horizon:project:desktops:share_from_snapshot", args=[server.id])
        with mock.patch.object(manila, "snapshot_list", return_value=snapshots):
            res = self.client.get(url)
        self.assertContains(res, "week-1 (2026-11-26T06:00, 1 GiB, available)")
        self.assertNotContains(res, "busy")

    def test_save_image_modal(self):
        server = self.cloud.add_server(name="ct-recon")
        url = reverse("horizon:project:desktops:save_image", args=[server.id])
        self.assertContains(self.client.get(url), "ct-recon-20")
        with mock.patch.object(experiments, "save_as_image") as save:
            res = self.client.post(url, {"desktop_id": server.id, "name": "img"})
        self.assertNoFormErrors(res)
        save.assert_called_once_with(test.IsHttpRequest(), server.id, "img")


class OrphanDecisionTests(test.TestCase):
    share = {"id": "s1"}

    def server(self, mounts_=("s1",), address="10.42.1.7", state="attached", status="ACTIVE"):
        metadata = {"heps:data_state": state}
        for i, share_id in enumerate(mounts_):
            kind = ("raw", "results")[i]
            metadata[f"heps:mount:{kind}"] = f"nfs h:/x /data/{kind} ro {share_id}"
        return {"id": "d1", "status": status, "metadata": metadata, "tags": ["heps-desktop"],
                "addresses": {"net": [{"addr": address}]}}

    def rule(self, desktop="d1", access_to="10.42.1.7", state="active"):
        return {"id": "r1", "access_to": access_to, "state": state,
                "metadata": {"heps:desktop": desktop} if desktop else {}}

    def test_plugin_rules(self):
        classify = orphans.classify_rule
        self.assertEqual(classify(self.share, self.rule(), {"d1": self.server()}), "")
        self.assertEqual(classify(self.share, self.rule(), {"d1": None}), "desktop gone")
        self.assertEqual(classify(self.share, self.rule(), {"d1": self.server(mounts_=())}),
                         "desktop no longer mounts this share")
        self.assertEqual(classify(self.share, self.rule(),
                                  {"d1": self.server(mounts_=(), state="attaching")}), "")
        self.assertEqual(classify(self.share, self.rule(access_to="10.42.1.8"),
                                  {"d1": self.server()}),
                         "desktop no longer has this address")
        self.assertEqual(classify(self.share, self.rule(state="denying"), {"d1": None}), "")

    def test_nova_locked_rules(self):
        lock = [{"lock_reason": "Lock by nova for instance "
                                "0b4c3a6e-1111-4222-8333-444455556666"}]
        rule = self.rule(desktop=None, access_to="127.0.0.1")
        gone = {"0b4c3a6e-1111-4222-8333-444455556666": None}
        self.assertIn("deleted instance", orphans.classify_rule(self.share, rule, gone, lock))
        self.assertEqual(orphans.classify_rule(self.share, rule, gone, lock,
                                               attached_anywhere=True), "")
        self.assertEqual(orphans.classify_rule(
            self.share, rule, {"0b4c3a6e-1111-4222-8333-444455556666": {"id": "x"}}, lock), "")
        self.assertEqual(orphans.classify_rule(self.share, rule, {}, []), "")   # not ours

    def test_attachments_no_longer_recorded(self):
        server = self.server(mounts_=("s1",))
        attached = [{"share_id": "s1"}, {"share_id": "s2"}]
        self.assertEqual(orphans.classify_attachments(server, attached), ["s2"])
        self.assertEqual(orphans.classify_attachments(
            self.server(state="detaching"), attached), [])
        plain = dict(self.server(), tags=[])
        self.assertEqual(orphans.classify_attachments(plain, attached), [])
