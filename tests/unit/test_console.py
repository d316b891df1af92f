"""The desktop Console tab: display quality, the user's console preferences, and the
tab itself. The native SPICE (.vv) download: test_console_spice.py.

nova is mocked at the api layer: the plugin's api.nova functions and the per-protocol
console calls of Horizon's console resolution (``console.CONSOLES``), so Horizon's own
get_console() logic (AUTO order, NotAvailable) really runs.
"""

import logging
from unittest import mock
from urllib import parse

from django.core.cache import cache
from django.test.utils import override_settings
from django.urls import reverse
from novaclient import exceptions as nova_exc
from openstack_dashboard.dashboards.project.instances import console as horizon_console
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops import console
from heps_desktop_dashboard.dashboards.project.desktops import rows
from test_data import desktops_data as data
from test_data.contexts import IsUserContext

SERVER_ID = "0d4e5a8c-6a0b-4c1e-9f3e-2b7c1d9e8f01"
DETAIL_URL = reverse("horizon:project:desktops:detail", args=[SERVER_ID])
TAB_URL = DETAIL_URL + "?tab=desktop_details__console"
VV_URL = reverse("horizon:project:desktops:console_vv", args=[SERVER_ID])
AJAX = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}

VNC_TOKEN = "vnc-secret-token-7f3a"
SPICE_TOKEN = "spice-secret-token-91c2"
DIRECT_TOKEN = "direct-secret-token-5be0"
VNC_URL = f"http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3D{VNC_TOKEN}"
VNC_LITE_URL = f"http://127.0.0.1:6080/vnc_lite.html?path=%3Ftoken%3D{VNC_TOKEN}"
SPICE_URL = f"http://127.0.0.1:6082/spice_auto.html?token={SPICE_TOKEN}"
DIRECT_URL = f"http://127.0.0.1:13002/nova?token={DIRECT_TOKEN}"
PROXY = {"host": "spice.heps.example", "port": 5900, "tls_port": 5901}

CONSOLE_LOGGER = "heps_desktop_dashboard.dashboards.project.desktops.console"

BASE_SETTINGS = {"default_lifetime_hours": 24, "max_lifetime_hours": 168,
                 "security_group": "heps-desktop"}


def _heps(**overrides):
    return {**BASE_SETTINGS, **overrides}


class _Console:
    def __init__(self, url):
        self.url = url


def _consoles(vnc=VNC_URL, spice=SPICE_URL):
    """Replacements for Horizon's per-protocol console calls: a URL, or an error."""

    def call(result):
        fake = mock.Mock(name="console call")
        if isinstance(result, Exception):
            fake.side_effect = result
        else:
            fake.return_value = _Console(result)
        return fake

    unavailable = nova_exc.BadRequest(400, "Unavailable console type")
    return {"VNC": call(vnc), "SPICE": call(spice), "RDP": call(unavailable),
            "SERIAL": call(unavailable), "MKS": call(unavailable)}


def desktop_row(status="ACTIVE", task_state=None, name="alice-desktop"):
    return rows.DesktopRow(data.server(server_id=SERVER_ID, status=status,
                                       task_state=task_state, name=name))


CLIENT_URL = reverse("horizon:project:desktops:console_client")


def _fragment(url):
    """The console page's settings: the fragment of the URL the tab frames."""
    page, _, fragment = url.partition("#")
    return page, dict(parse.parse_qsl(fragment, keep_blank_values=True))


class QualityParamTests(test.TestCase):
    """Building the URL the browser opens from the one nova returns."""

    def test_lossless_is_the_default_and_sends_no_jpeg_level(self):
        self.assertEqual(console.default_quality(), "lossless")
        page, params = _fragment(console.console_url_for("VNC", VNC_URL, "lossless"))
        self.assertEqual(page, CLIENT_URL)
        self.assertEqual(params, {
            "ws": f"ws://127.0.0.1:6080/websockify?token={VNC_TOKEN}",
            "quality": "lossless", "jpeg": "", "compression": "2", "view_only": "0",
            "scale": "1:1"})

    def test_each_level_sets_the_jpeg_level_and_compression(self):
        expected = {"lossless": ("", "2", "1:1"), "balanced": ("8", "2", "fit"),
                    "low": ("2", "9", "fit")}
        self.assertEqual(list(console.QUALITY_LEVELS), list(expected))
        for level, (jpeg, compression, scale) in expected.items():
            _, params = _fragment(console.console_url_for("VNC", VNC_URL, level))
            self.assertEqual((params["jpeg"], params["compression"], params["scale"]),
                             (jpeg, compression, scale), level)
            self.assertEqual(params["quality"], level)

    def test_the_token_stays_in_the_fragment(self):
        url = console.console_url_for("VNC", VNC_URL, "balanced", view_only=True)
        page, params = _fragment(url)
        self.assertNotIn(VNC_TOKEN, page)
        self.assertEqual(params["view_only"], "1")

    def test_websocket_of_each_nova_url_form(self):
        ws = console.websocket_url
        self.assertEqual(ws(VNC_LITE_URL),
                         f"ws://127.0.0.1:6080/websockify?token={VNC_TOKEN}")
        # behind TLS under a path; Horizon's "&title=" suffix is not part of it
        self.assertEqual(
            ws("https://c.example:443/novnc/vnc_lite.html?path=%3Ftoken%3Dx&title=a%28b%29"),
            "wss://c.example:443/novnc/websockify?token=x")
        self.assertEqual(ws("http://p.example/vnc_auto.html?token=t%2B1"),
                         "ws://p.example/websockify?token=t%2B1")
        self.assertIsNone(ws("http://p.example/vnc_auto.html"))
        self.assertTrue(console.quality_supported("VNC", VNC_LITE_URL))
        self.assertTrue(console.quality_supported("VNC", VNC_URL))

    def test_a_vnc_url_without_a_token_is_opened_as_nova_gave_it(self):
        url = "http://p.example/other-client.html"
        self.assertEqual(console.console_url_for("VNC", url, "lossless"), url)
        self.assertFalse(console.quality_supported("VNC", url))

    def test_spice_html5_url_is_unchanged_and_has_no_quality_choice(self):
        self.assertEqual(console.console_url_for("SPICE", SPICE_URL, "low"), SPICE_URL)
        self.assertFalse(console.quality_supported("SPICE", SPICE_URL))

    @override_settings(HEPS_DESKTOPS=_heps(console_quality="balanced"))
    def test_server_side_default_quality_from_settings(self):
        self.assertEqual(console.default_quality(), "balanced")

    @override_settings(HEPS_DESKTOPS=_heps(console_quality="ultra"))
    def test_unknown_default_quality_falls_back_to_lossless(self):
        self.assertEqual(console.default_quality(), "lossless")


class PreferenceTests(test.TestCase):
    def _request(self, cookie=None, user_id="user-1"):
        request = self.factory.get("/")
        request.user = mock.Mock(id=user_id)
        if cookie is not None:
            request.COOKIES[console.preference_cookie(request)] = cookie
        return request

    def test_cookie_name_is_per_user_and_cookie_safe(self):
        a = console.preference_cookie(self._request(user_id="user-1"))
        b = console.preference_cookie(self._request(user_id="user-2"))
        self.assertNotEqual(a, b)
        self.assertRegex(a, r"^heps_console_[0-9a-f]{16}$")
        self.assertRegex(console.preference_cookie(self._request(user_id="cn=ä; x")),
                         r"^heps_console_[0-9a-f]{16}$")

    def test_defaults_without_cookie(self):
        self.assertEqual(console.preferences(self._request()), ("lossless", "AUTO"))

    def test_cookie_quality_and_protocol(self):
        self.assertEqual(console.preferences(self._request("low:SPICE")), ("low", "SPICE"))
        self.assertEqual(console.preferences(self._request("balanced")), ("balanced", "AUTO"))
        # as a browser may store it, percent-encoded
        self.assertEqual(console.preferences(self._request("low%3AVNC")), ("low", "VNC"))

    def test_garbage_cookie_is_ignored(self):
        for junk in ("", "<script>", "lossless:RDP", "x:y:z", ":"):
            quality, protocol = console.preferences(self._request(junk))
            self.assertIn(quality, console.QUALITY_LEVELS)
            self.assertIn(protocol, ("AUTO", "VNC", "SPICE"))
        self.assertEqual(console.preferences(self._request("lossless:RDP")), ("lossless", "AUTO"))

    def test_another_users_cookie_does_not_apply(self):
        request = self._request(user_id="user-1")
        request.COOKIES[console.preference_cookie(self._request(user_id="user-2"))] = "low"
        self.assertEqual(console.preferences(request), ("lossless", "AUTO"))


class ConsoleTabTests(test.TestCase):
    """GET <detail>?tab=desktop_details__console, as Horizon's lazy tab loading does."""

    def setUp(self):
        super().setUp()
        cache.clear()

    def _get(self, server=None, url=TAB_URL, consoles=None, **extra):
        self.mock_desktop_get.return_value = server or data.server(server_id=SERVER_ID)
        self.mock_images_by_id.return_value = {data.IMAGE_IMAGING: data.image()}
        self.consoles = consoles or _consoles()
        with mock.patch.dict(horizon_console.CONSOLES, self.consoles):
            return self.client.get(url, **{**AJAX, **extra})

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_running_desktop_embeds_the_console_page_lossless(self):
        res = self._get()
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/desktops/_detail_console.html")
        self.assertEqual(res.context["console_type"], "VNC")
        html = res.content.decode()
        self.assertIn('class="heps-console-frame"', html)
        self.assertIn(f'src="{CLIENT_URL}#ws=', html)
        self.assertIn("quality=lossless&amp;jpeg=&amp;compression=2", html)
        self.assertIn("Full screen", html)
        self.assertIn("Open in new tab", html)
        self.assertIn('target="_blank"', html)
        # quality selector with the three levels, "lossless" selected, and what it costs
        self.assertIn('<option value="lossless" selected>Lossless — exact pixels, for '
                      'image analysis</option>', html)
        self.assertIn("Balanced — JPEG high quality", html)
        self.assertIn("Low bandwidth", html)
        self.assertIn("Uses the most bandwidth while the picture changes.", html)
        # VNC / SPICE switch (console type AUTO), VNC active
        self.assertIn("?tab=desktop_details__console&amp;console=SPICE", html)
        self.assertEqual([p["key"] for p in res.context["protocols"] if p["active"]], ["VNC"])
        self.assertNotIn("Download .vv", html)
        self.consoles["VNC"].assert_called_once_with(test.IsHttpRequest(), SERVER_ID)
        self.consoles["SPICE"].assert_not_called()
        # the URL's desktop, read once as the user (tag and project checked by api.nova)
        self.mock_desktop_get.assert_called_once_with(
            IsUserContext(project_id=self.tenant.id), SERVER_ID)

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_vnc_lite_deployment_gets_the_console_page_too(self):
        res = self._get(consoles=_consoles(vnc=VNC_LITE_URL))
        page, params = _fragment(res.context["console_url"])
        self.assertEqual(page, CLIENT_URL)
        self.assertEqual(params["ws"], f"ws://127.0.0.1:6080/websockify?token={VNC_TOKEN}")
        self.assertContains(res, "heps-console-quality")

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_tab_response_is_never_cached(self):
        res = self._get()
        cache_control = res["Cache-Control"]
        for directive in ("no-store", "no-cache", "private", "max-age=0"):
            self.assertIn(directive, cache_control)

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_full_page_with_console_tab_selected_is_never_cached(self):
        self.mock_desktop_get.return_value = data.server(server_id=SERVER_ID)
        self.mock_images_by_id.return_value = {}
        with mock.patch.dict(horizon_console.CONSOLES, _consoles()):
            res = self.client.get(TAB_URL)
        self.assertTemplateUsed(res, "heps_desktops/desktops/detail.html")
        self.assertTemplateUsed(res, "heps_desktops/desktops/_detail_console.html")
        self.assertIn("no-store", res["Cache-Control"])

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_quality_preference_cookie_is_applied(self):
        self.client.cookies[console.preference_cookie(mock.Mock(user=self.user))] = "low:VNC"
        res = self._get()
        html = res.content.decode()
        self.assertIn("quality=low&amp;jpeg=2&amp;compression=9", html)
        self.assertIn('<option value="low" selected>', html)
        self.assertEqual(res.context["protocol_choice"], "VNC")

    @override_settings(HEPS_DESKTOPS=_heps(console_quality="balanced"))
    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_settings_default_quality_without_cookie(self):
        res = self._get()
        self.assertIn("quality=balanced&amp;jpeg=8&amp;compression=2", res.content.decode())

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_spice_requested_embeds_spice_html5(self):
        res = self._get(url=TAB_URL + "&console=SPICE")
        self.assertEqual(res.context["console_type"], "SPICE")
        html = res.content.decode()
        self.assertIn("http://127.0.0.1:6082/spice_auto.html?token=", html)
        self.assertNotIn("<select", html)
        self.assertFalse(res.context["quality_supported"])
        self.assertEqual([p["key"] for p in res.context["protocols"] if p["active"]],
                         ["SPICE"])
        self.consoles["VNC"].assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_spice_cookie_choice_is_used(self):
        self.client.cookies[console.preference_cookie(mock.Mock(user=self.user))] = "lossless:SPICE"
        res = self._get()
        self.assertEqual(res.context["console_type"], "SPICE")

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_requested_protocol_unavailable_falls_back_with_a_notice(self):
        consoles = _consoles(spice=nova_exc.BadRequest(400, "SPICE is disabled"))
        res = self._get(url=TAB_URL + "&console=SPICE", consoles=consoles)
        self.assertEqual(res.context["console_type"], "VNC")
        self.assertContains(res, "The SPICE console is not available for this desktop; "
                                 "showing the default console instead.")
        self.assertIn("quality=lossless", res.context["console_url"])

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_unknown_protocol_parameter_is_ignored(self):
        res = self._get(url=TAB_URL + "&console=%3Cscript%3E")
        self.assertEqual(res.context["console_type"], "VNC")
        self.assertNotContains(res, "<script>")

    @override_settings(HEPS_DESKTOPS=_heps(console_type="SPICE"))
    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_fixed_console_type_has_no_protocol_switch(self):
        res = self._get(url=TAB_URL + "&console=VNC")
        self.assertEqual(res.context["console_type"], "SPICE")
        self.assertEqual(res.context["protocols"], [])
        self.assertNotContains(res, "heps-console-protocol")
        self.consoles["VNC"].assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_stopped_desktop_shows_a_message_and_asks_nova_nothing(self):
        res = self._get(server=data.server(server_id=SERVER_ID, status="SHUTOFF"))
        self.assertContains(res, "The desktop is not running: start it to open its console.")
        self.assertNotContains(res, "<iframe")
        for call in self.consoles.values():
            call.assert_not_called()
        self.mock_supports.assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_desktop_in_transition_shows_a_message(self):
        res = self._get(server=data.server(server_id=SERVER_ID, task_state="rebooting"))
        self.assertContains(res, "The desktop is not running")
        self.consoles["VNC"].assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_console_service_off_shows_a_message(self):
        off = nova_exc.BadRequest(400, "Unavailable console type vnc.")
        res = self._get(consoles=_consoles(vnc=off, spice=off))
        self.assertContains(res, "No console is available for this desktop right now; the "
                                 "console service may be off.")
        self.assertNotContains(res, "<iframe")
        self.assertNotContains(res, "not available for this desktop; showing")

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_console_not_ready_conflict_shows_a_message(self):
        not_ready = nova_exc.Conflict(409, "Instance not ready")
        res = self._get(consoles=_consoles(vnc=not_ready, spice=not_ready))
        self.assertContains(res, "No console is available for this desktop right now")

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_not_available_from_horizon_shows_a_message(self):
        self.mock_desktop_get.return_value = data.server(server_id=SERVER_ID)
        self.mock_images_by_id.return_value = {}
        with mock.patch.object(horizon_console, "get_console",
                               side_effect=console.exceptions.NotAvailable("x")):
            res = self.client.get(TAB_URL, **AJAX)
        self.assertContains(res, "No console is available for this desktop right now")

    @override_settings(HEPS_DESKTOPS=_heps(spice_direct_proxy=PROXY))
    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_spice_direct_offered_when_nova_and_proxy_allow(self):
        self.mock_supports.return_value = True
        res = self._get()
        self.assertContains(res, "Download .vv (native SPICE client)")
        self.assertContains(res, f'href="{VV_URL}"')
        self.mock_supports.assert_called_once_with(IsUserContext(project_id=self.tenant.id),
                                                   "spice_direct")

    @override_settings(HEPS_DESKTOPS=_heps(spice_direct_proxy=PROXY))
    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_spice_direct_hidden_when_nova_is_older_than_2_99(self):
        self.mock_supports.return_value = False
        res = self._get()
        self.assertNotContains(res, "Download .vv")

    @override_settings(HEPS_DESKTOPS=_heps(spice_direct_proxy=PROXY))
    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_spice_direct_hidden_when_version_discovery_fails(self):
        for error in (nova_exc.ClientException(503, "down"), ConnectionError("refused")):
            self.mock_supports.side_effect = error
            with self.assertLogs(CONSOLE_LOGGER, "WARNING"):
                res = self._get()
        self.assertEqual(res.status_code, 200)
        self.assertNotContains(res, "Download .vv")

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_spice_direct_hidden_without_a_configured_proxy(self):
        res = self._get()
        self.assertNotContains(res, "Download .vv")
        self.mock_supports.assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_desktop_name_is_escaped(self):
        res = self._get(server=data.server(server_id=SERVER_ID, name='<img src=x onerror=1>'))
        self.assertNotContains(res, "<img src=x")
        self.assertContains(res, "&lt;img src=x onerror=1&gt;")

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_console_url_is_never_logged(self):
        records = []

        class Keep(logging.Handler):
            def emit(self, record):
                records.append(record.getMessage())

        handler = Keep(logging.DEBUG)
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            self._get()
            off = nova_exc.BadRequest(400, "off")
            self._get(consoles=_consoles(vnc=off, spice=off))
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
        self.assertFalse([r for r in records if VNC_TOKEN in r or SPICE_TOKEN in r])

