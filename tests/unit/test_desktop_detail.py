"""The desktop detail page: overview (owner, expiry), expiry banner, the lazy Log and
Action Log tabs, and the actions it offers. Actions POSTed from it: test_desktop_actions.py."""

from django.core.cache import cache
from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import grants
from test_data import desktops_data as data
from test_data.contexts import IsUserContext

INDEX_URL = reverse("horizon:project:desktops:index")
DETAIL = {api.nova: ["desktop_get"], api.glance: ["images_by_id"]}


def detail_url(server):
    return reverse("horizon:project:desktops:detail", args=[server.id])


class DesktopDetailTests(test.TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()

    def _get(self, server, suffix="", images=None, **extra):
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {} if images is None else images
        return self.client.get(detail_url(server) + suffix, **extra)

    def _user(self):
        return IsUserContext(project_id=self.tenant.id, user_id=self.user.id)

    @test.create_mocks(DETAIL)
    def test_overview_shows_profile_image_experiment_owner_and_expiry(self):
        server = data.server(name="ct-recon")
        res = self._get(server, images={data.IMAGE_IMAGING: data.image()})
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/desktops/detail.html")
        for text in ("ct-recon", "heps.vgpu.a16", "HEPS Imaging 2026.2", "2026-0142",
                     "2030-01-01 00:00 UTC", "Console", "Log", "Action Log",
                     "None (reachable only through its console)"):
            self.assertContains(res, text)
        self.assertIn("no-store", res["Cache-Control"])
        self.assertNotContains(res, "heps-expiry-warning")
        desktop = res.context["desktop"]
        self.assertEqual((desktop.owner_id, desktop.owner_name), (self.user.id, "test_user"))
        self.assertContains(res, "<dd>test_user</dd>", html=False)
        self.mock_desktop_get.assert_called_once_with(self._user(), server.id)
        self.mock_images_by_id.assert_called_once_with(self._user(), [data.IMAGE_IMAGING])

    @test.create_mocks(DETAIL)
    def test_owner_is_novas_user_id_whatever_heps_owner_says(self):
        server = data.server(user_id=data.OTHER_USER_ID)
        server.metadata["heps:owner"] = "test_user"
        # claiming the desktop in its metadata opens nothing: it is someone else's
        res = self._get(server)
        self.assertRedirectsNoFollow(res, reverse("horizon:project:desktops:index"))
        # shared with the viewer (view), the page names nova's user_id as the owner
        server.metadata[grants.grant_key(self.user.id)] = grants.grant_value(
            conf.signing_key(), server.id, self.user.id, grants.VIEW)
        res = self._get(server)
        self.assertEqual(res.context["desktop"].owner_name, data.OTHER_USER_ID)
        self.assertContains(res, f"<dd>{data.OTHER_USER_ID}</dd>", html=False)
        self.assertNotContains(res, "<dd>test_user</dd>", html=False)

    @test.create_mocks(DETAIL)
    def test_an_unsigned_expiry_is_not_believed(self):
        server = data.server(created="2026-11-26T05:00:00Z",
                             metadata={"heps:expires_at": "2099-01-01T00:00:00Z"})
        res = self._get(server)
        self.assertEqual(res.status_code, 200)
        self.assertNotContains(res, "2099-01-01")
        self.assertEqual(res.context["desktop"].info.expiry_problem, "unsigned")

    @test.create_mocks(DETAIL)
    def test_expiry_banner_with_extend_button_inside_warning_window(self):
        server = data.server(expires_at=data.in_hours(2))
        res = self._get(server)
        self.assertContains(res, "heps-expiry-warning")
        self.assertContains(res, reverse("horizon:project:desktops:extend", args=[server.id]))

    @test.create_mocks(DETAIL)
    def test_not_a_desktop_or_other_project_redirects_with_message(self):
        server = data.server(project_id=data.OTHER_PROJECT_ID)
        self.mock_desktop_get.side_effect = nova_exc.NotFound(404, "not in this project")
        res = self.client.get(detail_url(server))
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertMessageCount(error=1)
        self.mock_images_by_id.assert_not_called()

    def test_malformed_id_is_404(self):
        res = self.client.get("/project/desktops/not-a-uuid/")
        self.assertEqual(res.status_code, 404)

    @test.create_mocks(DETAIL)
    def test_glance_error_still_shows_the_desktop(self):
        server = data.server(name="still-here")
        self.mock_desktop_get.return_value = server
        # api.glance is raw REST on the session: its errors are keystoneauth's
        self.mock_images_by_id.side_effect = ks_exc.ConnectFailure("glance down")
        res = self.client.get(detail_url(server))
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "still-here")
        self.assertContains(res, data.IMAGE_IMAGING)

    @test.create_mocks({api.nova: ["desktop_get", "console_output"],
                        api.glance: ["images_by_id"]})
    def test_log_tab_is_lazy_and_escaped(self):
        server = data.server()
        self.mock_console_output.return_value = "booting <script>alert(1)</script>"
        res = self._get(server)
        self.mock_console_output.assert_not_called()
        res = self._get(server, "?tab=desktop_details__log",
                        HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertContains(res, "booting &lt;script&gt;")
        self.mock_console_output.assert_called_once_with(self._user(), server.id,
                                                         length=35)

    @test.create_mocks({api.nova: ["desktop_get", "console_output"],
                        api.glance: ["images_by_id"]})
    def test_log_tab_error_is_a_message(self):
        self.mock_console_output.side_effect = nova_exc.Conflict(409, "not running")
        res = self._get(data.server(), "?tab=desktop_details__log",
                        HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "The log is not available right now.")

    @test.create_mocks({api.nova: ["desktop_get", "action_list"],
                        api.glance: ["images_by_id"]})
    def test_action_log_tab_lists_novas_actions(self):
        server = data.server()
        self.mock_action_list.return_value = [
            type("Action", (), {"id": "req-1", "request_id": "req-1", "action": "reboot",
                                "start_time": "2026-11-27T10:00:00Z", "user_id": "1",
                                "message": None})()]
        res = self._get(server, "?tab=desktop_details__audit",
                        HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "req-1")
        self.mock_action_list.assert_called_once_with(self._user(), server.id)

    @test.create_mocks(DETAIL)
    def test_detail_offers_state_appropriate_actions(self):
        res = self._get(data.server(status="SHUTOFF"))
        self.assertContains(res, "Start Desktop")
        self.assertContains(res, "Rename Desktop")
        self.assertContains(res, "Extend Lifetime")
        self.assertNotContains(res, "Stop Desktop")
        self.assertNotContains(res, "Open Console")

    @test.create_mocks(DETAIL)
    def test_detail_of_a_running_desktop_offers_the_detail_only_actions(self):
        server = data.server(status="ACTIVE")
        res = self._get(server)
        for action in ("stop", "soft_reboot", "hard_reboot", "shelve", "delete"):
            self.assertContains(res, f"desktops__{action}__{server.id}")
        self.assertContains(res, "Open Console")
        self.assertNotContains(res, f"desktops__start__{server.id}")
