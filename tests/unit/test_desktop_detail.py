import datetime
from unittest import mock

from django.core.cache import cache
from django.urls import reverse
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.desktops import experiments
from test_data import desktops_data as data

INDEX_URL = reverse("horizon:project:desktops:index")


def detail_url(server):
    return reverse("horizon:project:desktops:detail", args=[server.id])


def soon(hours):
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=hours)
    return desktops.format_expiry(moment)


class DesktopDetailTests(test.TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()

    @test.create_mocks({api.nova: ["desktop_get"], api.glance: ["images_by_id"]})
    def test_overview_shows_profile_image_experiment_and_expiry(self):
        server = data.server(name="ct-recon")
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {data.IMAGE_IMAGING: data.image()}
        res = self.client.get(detail_url(server))
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/desktops/detail.html")
        for text in ("ct-recon", "heps.vgpu.a16", "HEPS Imaging 2026.2", "2026-0142",
                     "2030-01-01 00:00 UTC", "Console", "Log", "Action Log",
                     "None (reachable only through its console)"):
            self.assertContains(res, text)
        self.assertIn("no-store", res["Cache-Control"])
        self.assertNotContains(res, "heps-expiry-warning")

    @test.create_mocks({api.nova: ["desktop_get"], api.glance: ["images_by_id"]})
    def test_expiry_banner_with_extend_button_inside_warning_window(self):
        server = data.server(metadata={"heps:expires_at": soon(2)})
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {}
        res = self.client.get(detail_url(server))
        self.assertContains(res, "heps-expiry-warning")
        self.assertContains(res, reverse("horizon:project:desktops:extend", args=[server.id]))

    @test.create_mocks({api.nova: ["desktop_get"]})
    def test_not_a_desktop_or_other_project_redirects_with_message(self):
        server = data.server()
        self.mock_desktop_get.side_effect = nova_exc.NotFound(404, "not a desktop")
        res = self.client.get(detail_url(server))
        self.assertRedirectsNoFollow(res, INDEX_URL)

    def test_malformed_id_is_404(self):
        res = self.client.get("/project/desktops/not-a-uuid/")
        self.assertEqual(res.status_code, 404)

    @test.create_mocks({api.nova: ["desktop_get", "console_output"],
                        api.glance: ["images_by_id"]})
    def test_log_tab_is_lazy_and_escaped(self):
        server = data.server()
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {}
        self.mock_console_output.return_value = "booting <script>alert(1)</script>"
        res = self.client.get(detail_url(server) + "?tab=desktop_details__log",
                              HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(res, "booting &lt;script&gt;")
        self.mock_console_output.assert_called_once()

    @test.create_mocks({api.nova: ["desktop_get", "console_output"],
                        api.glance: ["images_by_id"]})
    def test_log_tab_error_is_a_message(self):
        server = data.server()
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {}
        self.mock_console_output.side_effect = nova_exc.Conflict(409, "not running")
        res = self.client.get(detail_url(server) + "?tab=desktop_details__log",
                              HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "The log is not available right now.")

    @test.create_mocks({api.nova: ["desktop_get"], api.glance: ["images_by_id"]})
    def test_detail_offers_state_appropriate_actions(self):
        server = data.server(status="SHUTOFF")
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {}
        res = self.client.get(detail_url(server))
        self.assertContains(res, "Start Desktop")
        self.assertContains(res, "Rename Desktop")
        self.assertNotContains(res, "Stop Desktop")
        self.assertNotContains(res, "Open Console")


class DesktopActionTests(test.TestCase):
    def _post(self, action, server, listing=None):
        self.mock_desktop_list_paged.return_value = (listing or [server], False, False)
        self.mock_images_by_id.return_value = {}
        return self.client.post(INDEX_URL, {"action": f"desktops__{action}__{server.id}"})

    @test.create_mocks({api.nova: ["desktop_list_paged", "desktop_stop"],
                        api.glance: ["images_by_id"]})
    def test_stop(self):
        server = data.server()
        res = self._post("stop", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_desktop_stop.assert_called_once_with(test.IsHttpRequest(), server.id)

    @test.create_mocks({api.nova: ["desktop_list_paged", "desktop_shelve"],
                        api.glance: ["images_by_id"]})
    def test_shelve_says_gpu_is_released(self):
        server = data.server()
        res = self._post("shelve", server)
        self.mock_desktop_shelve.assert_called_once_with(test.IsHttpRequest(), server.id)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        messages = [str(m) for m in res.wsgi_request._messages]
        self.assertTrue(any("GPU released" in m for m in messages), messages)

    @test.create_mocks({api.nova: ["desktop_list_paged", "desktop_start"],
                        api.glance: ["images_by_id"]})
    def test_action_not_allowed_in_state_is_not_run(self):
        server = data.server(status="ACTIVE")
        self._post("start", server)
        self.mock_desktop_start.assert_not_called()

    @test.create_mocks({api.nova: ["desktop_list_paged", "desktop_get", "desktop_delete"],
                        api.glance: ["images_by_id"]})
    def test_delete_error_becomes_message(self):
        server = data.server()
        self.mock_desktop_get.return_value = server
        self.mock_desktop_delete.side_effect = nova_exc.Conflict(409, "locked")
        # Deleting first revokes experiment-data access (tests/unit/test_experiments*.py).
        with mock.patch.object(experiments, "revoke", return_value=experiments.RevokeReport()):
            res = self._post("delete", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertMessageCount(error=1)

    @test.create_mocks({api.nova: ["desktop_list_paged", "desktop_unshelve"],
                        api.glance: ["images_by_id"]})
    def test_unshelve_offered_only_when_shelved(self):
        server = data.server(status="SHELVED_OFFLOADED")
        self.mock_desktop_list_paged.return_value = ([server], False, False)
        self.mock_images_by_id.return_value = {}
        res = self.client.get(INDEX_URL)
        self.assertContains(res, f"desktops__unshelve__{server.id}")
        self.assertNotContains(res, f"desktops__stop__{server.id}")
        self.assertContains(res, "Shelved — GPU released")


class ExtendRenameTests(test.TestCase):
    @test.create_mocks({api.nova: ["desktop_get", "desktop_set_metadata"]})
    def test_extend_from_current_expiry(self):
        server = data.server(metadata={"heps:expires_at": soon(2)})
        self.mock_desktop_get.return_value = server
        url = reverse("horizon:project:desktops:extend", args=[server.id])
        res = self.client.post(url, {"desktop_id": server.id, "hours": 24})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        metadata = self.mock_desktop_set_metadata.call_args.args[2]
        new = desktops.parse_expiry(metadata["heps:expires_at"])
        expected = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=26)
        self.assertLess(abs((new - expected).total_seconds()), 120)

    @test.create_mocks({api.nova: ["desktop_get", "desktop_set_metadata"]})
    def test_extend_beyond_maximum_is_a_form_error(self):
        server = data.server(metadata={"heps:expires_at": soon(2)})
        self.mock_desktop_get.return_value = server
        url = reverse("horizon:project:desktops:extend", args=[server.id])
        for hours in (0, -3, 100000, "abc"):
            res = self.client.post(url, {"desktop_id": server.id, "hours": hours})
            self.assertEqual(res.status_code, 200)
            self.assertFormErrors(res, 1)
        self.mock_desktop_set_metadata.assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get", "desktop_set_metadata"]})
    def test_extend_capped_at_maximum_from_now(self):
        server = data.server(metadata={"heps:expires_at": soon(160)})
        self.mock_desktop_get.return_value = server
        url = reverse("horizon:project:desktops:extend", args=[server.id])
        self.client.post(url, {"desktop_id": server.id, "hours": 48})
        new = desktops.parse_expiry(
            self.mock_desktop_set_metadata.call_args.args[2]["heps:expires_at"])
        cap = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=168)
        self.assertLessEqual(new, cap)

    @test.create_mocks({api.nova: ["desktop_get"]})
    def test_extend_page_of_foreign_server_redirects(self):
        self.mock_desktop_get.side_effect = nova_exc.NotFound(404, "no")
        url = reverse("horizon:project:desktops:extend", args=[data.server().id])
        res = self.client.get(url)
        self.assertRedirectsNoFollow(res, INDEX_URL)

    @test.create_mocks({api.nova: ["desktop_get", "desktop_rename"]})
    def test_rename_validates_and_escapes(self):
        server = data.server()
        self.mock_desktop_get.return_value = server
        url = reverse("horizon:project:desktops:rename", args=[server.id])
        res = self.client.post(url, {"desktop_id": server.id, "name": "   "})
        self.assertFormErrors(res, 1)
        res = self.client.post(url, {"desktop_id": server.id, "name": "x" * 300})
        self.assertFormErrors(res, 1)
        res = self.client.post(url, {"desktop_id": server.id, "name": "<b>Ω 桌面</b>"})
        self.assertNoFormErrors(res)
        self.mock_desktop_rename.assert_called_once_with(
            test.IsHttpRequest(), server.id, "<b>Ω 桌面</b>")
