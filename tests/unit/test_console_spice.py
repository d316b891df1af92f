"""Native SPICE clients: the virt-viewer (.vv) file, its download view (a fresh
spice-direct console of the URL's desktop, never cached), and the raw 2.99 REST call
behind it (api.nova.spice_direct_console_url), kept out of the HTTP log."""

from unittest import mock

from django.test.utils import override_settings
from django.urls import reverse
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test
from unit.test_console import CONSOLE_LOGGER
from unit.test_console import DETAIL_URL
from unit.test_console import DIRECT_TOKEN
from unit.test_console import DIRECT_URL
from unit.test_console import PROXY
from unit.test_console import SERVER_ID
from unit.test_console import VV_URL
from unit.test_console import _heps
from unit.test_console import desktop_row

from heps_desktop_dashboard import api
from heps_desktop_dashboard.api import nova_client
from heps_desktop_dashboard.dashboards.project.desktops import console
from test_data import contexts
from test_data import desktops_data as data


class VirtViewerFileTests(test.TestCase):
    def test_file_content(self):
        body = console.virt_viewer_file(desktop_row(), DIRECT_URL, PROXY)
        lines = body.splitlines()
        self.assertEqual(lines[0], "[virt-viewer]")
        self.assertIn("type=spice", lines)
        self.assertIn("host=spice.heps.example", lines)
        self.assertIn("port=5900", lines)
        self.assertIn("tls-port=5901", lines)
        self.assertIn(f"password={DIRECT_TOKEN}", lines)
        self.assertIn("delete-this-file=1", lines)
        self.assertIn("title=alice-desktop - %d", lines)

    def test_tls_only_proxy_with_ca_and_subject(self):
        proxy = {"host": "spice.heps.example", "tls_port": 443,
                 "ca": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                 "host_subject": "C=CN, O=IHEP, CN=spice.heps.example"}
        lines = console.virt_viewer_file(desktop_row(), DIRECT_URL, proxy).splitlines()
        self.assertNotIn("port=", "\n".join(lines).replace("tls-port=", ""))
        self.assertIn("tls-port=443", lines)
        self.assertIn("ca=-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----",
                      lines)
        self.assertIn("host-subject=C=CN, O=IHEP, CN=spice.heps.example", lines)

    def test_desktop_name_cannot_inject_keys(self):
        desktop = desktop_row(name="evil\nhost=attacker.example\r\npassword=x")
        lines = console.virt_viewer_file(desktop, DIRECT_URL, PROXY).splitlines()
        self.assertEqual([line for line in lines if line.startswith("host=")],
                         ["host=spice.heps.example"])
        self.assertEqual([line for line in lines if line.startswith("password=")],
                         [f"password={DIRECT_TOKEN}"])

    def test_url_without_token_is_refused(self):
        with self.assertRaises(console.NoConsoleToken):
            console.virt_viewer_file(desktop_row(), "http://127.0.0.1:13002/nova", PROXY)

    def test_filename_is_safe(self):
        self.assertEqual(console.vv_filename(desktop_row(name='a"b/../c d')), "a-b-..-c-d.vv")
        self.assertEqual(console.vv_filename(desktop_row(name="数据")), "desktop.vv")

    @override_settings(HEPS_DESKTOPS=_heps(spice_direct_proxy={"host": "x"}))
    def test_proxy_without_port_is_not_used(self):
        with self.assertLogs(CONSOLE_LOGGER, "WARNING"):
            self.assertIsNone(console.spice_direct_proxy())


@override_settings(HEPS_DESKTOPS=_heps(spice_direct_proxy=PROXY))
class SpiceDirectDownloadTests(test.TestCase):
    @test.create_mocks({api.nova: ["desktop_get", "supports", "spice_direct_console_url"]})
    def test_vv_download(self):
        self.mock_supports.return_value = True
        self.mock_desktop_get.return_value = data.server(server_id=SERVER_ID,
                                                         name="nano-ct")
        self.mock_spice_direct_console_url.return_value = DIRECT_URL
        res = self.client.get(VV_URL)
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res["Content-Type"], "application/x-virt-viewer")
        self.assertIn("no-store", res["Cache-Control"])
        self.assertEqual(res["Content-Disposition"], 'attachment; filename="nano-ct.vv"')
        body = res.content.decode()
        self.assertIn("[virt-viewer]\ntype=spice\nhost=spice.heps.example\n", body)
        self.assertIn(f"password={DIRECT_TOKEN}\n", body)
        self.assertIn("tls-port=5901\n", body)
        user = contexts.IsUserContext(project_id=self.tenant.id)
        self.mock_desktop_get.assert_called_once_with(user, SERVER_ID)
        self.mock_spice_direct_console_url.assert_called_once_with(user, SERVER_ID)
        self.mock_supports.assert_called_once_with(user, "spice_direct")

    @test.create_mocks({api.nova: ["desktop_get", "supports", "spice_direct_console_url"]})
    def test_stopped_desktop_goes_back_with_a_message(self):
        self.mock_supports.return_value = True
        self.mock_desktop_get.return_value = data.server(server_id=SERVER_ID,
                                                         status="SHUTOFF")
        res = self.client.get(VV_URL)
        self.assertRedirectsNoFollow(res, DETAIL_URL)
        self.assertMessageCount(error=1)
        self.mock_spice_direct_console_url.assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get", "supports", "spice_direct_console_url"]})
    def test_nova_error_goes_back_with_a_message(self):
        self.mock_supports.return_value = True
        self.mock_desktop_get.return_value = data.server(server_id=SERVER_ID)
        for error in (nova_exc.BadRequest(400, "Unavailable console type spice-direct."),
                      nova_exc.Conflict(409, "not ready"),
                      nova_exc.ClientException(500, "boom")):
            self.mock_spice_direct_console_url.side_effect = error
            res = self.client.get(VV_URL)
            self.assertRedirectsNoFollow(res, DETAIL_URL)

    @test.create_mocks({api.nova: ["desktop_get", "supports", "spice_direct_console_url"]})
    def test_url_without_token_goes_back_with_a_message(self):
        self.mock_supports.return_value = True
        self.mock_desktop_get.return_value = data.server(server_id=SERVER_ID)
        self.mock_spice_direct_console_url.return_value = "http://127.0.0.1:13002/nova"
        res = self.client.get(VV_URL)
        self.assertRedirectsNoFollow(res, DETAIL_URL)

    @test.create_mocks({api.nova: ["desktop_get", "supports", "spice_direct_console_url"]})
    def test_unknown_or_foreign_desktop_goes_to_the_list(self):
        self.mock_supports.return_value = True
        for error in (nova_exc.NotFound(404, "not a desktop"),
                      nova_exc.NotFound(404, "desktop is not in this project")):
            self.mock_desktop_get.side_effect = error
            res = self.client.get(VV_URL)
            self.assertRedirectsNoFollow(res, reverse("horizon:project:desktops:index"))
        self.mock_spice_direct_console_url.assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get", "supports", "spice_direct_console_url"]})
    def test_not_found_when_nova_is_older_than_2_99(self):
        self.mock_supports.return_value = False
        res = self.client.get(VV_URL)
        self.assertEqual(res.status_code, 404)
        self.mock_desktop_get.assert_not_called()

    @override_settings(HEPS_DESKTOPS=_heps())
    @test.create_mocks({api.nova: ["desktop_get", "supports", "spice_direct_console_url"]})
    def test_not_found_without_a_configured_proxy(self):
        res = self.client.get(VV_URL)
        self.assertEqual(res.status_code, 404)
        self.mock_supports.assert_not_called()
        self.mock_desktop_get.assert_not_called()


class SpiceDirectApiTests(test.TestCase):
    """api.nova.spice_direct_console_url: raw 2.99 REST through api.nova_client.request,
    kept out of the HTTP log."""

    def _call(self, status=200, body=None):
        response = mock.Mock(status_code=status, content=b"{}")
        response.json.return_value = body if body is not None else {
            "remote_console": {"protocol": "spice", "type": "spice-direct",
                               "url": DIRECT_URL}}
        response.headers = {}
        ctx = contexts.user_context()
        with mock.patch.object(nova_client, "microversion",
                               return_value=nova_client.api_versions.APIVersion("2.99")
                               ) as microversion, \
                mock.patch.object(nova_client.adapter.Adapter, "request",
                                  return_value=response) as raw:
            try:
                result = api.nova.spice_direct_console_url(ctx, SERVER_ID)
            except Exception as exc:
                result = exc
        microversion.assert_called_once_with(ctx, "spice_direct", raw=True)
        return result, raw

    def test_request_and_result(self):
        url, raw = self._call()
        self.assertEqual(url, DIRECT_URL)
        args, kwargs = raw.call_args
        self.assertEqual(args[0].service_type, "compute")
        self.assertEqual(args[1:], (f"/servers/{SERVER_ID}/remote-consoles", "POST"))
        self.assertEqual(kwargs["json"], {"remote_console": {"protocol": "spice",
                                                             "type": "spice-direct"}})
        self.assertEqual(kwargs["headers"]["X-OpenStack-Nova-API-Version"], "2.99")
        self.assertEqual(kwargs["headers"]["OpenStack-API-Version"], "compute 2.99")
        self.assertIs(kwargs["log"], False)
        self.assertIs(kwargs["raise_exc"], False)

    def test_error_is_a_novaclient_exception(self):
        error, _raw = self._call(
            400, {"badRequest": {"code": 400, "message": "Unavailable console type"}})
        self.assertIsInstance(error, nova_exc.BadRequest)

    def test_spice_direct_needs_nova_2_99(self):
        ctx = contexts.user_context()
        for versions, offered in (((nova_client.api_versions.APIVersion("2.1"),
                                    nova_client.api_versions.APIVersion("2.99")), True),
                                  ((nova_client.api_versions.APIVersion("2.1"),
                                    nova_client.api_versions.APIVersion("2.96")), False)):
            with mock.patch.object(nova_client, "_version_range", return_value=versions):
                self.assertIs(api.nova.supports(ctx, "spice_direct"), offered)
