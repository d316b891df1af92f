"""Console URLs from nova are only ever used when they are http(s)."""

from unittest import mock

from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard.dashboards.project.desktops import console


class ConsoleUrlSchemeTests(test.TestCase):
    def test_a_console_url_that_is_not_http_is_never_used(self):
        desktop = mock.Mock(id="d1", server=object())
        for url in ("javascript:alert(1)", "data:text/html,x", "JAVASCRIPT:x", ""):
            with mock.patch.object(console.horizon_console, "get_console",
                                   return_value=("VNC", url)):
                self.assertEqual((None, None), console._get_console(None, "VNC", desktop))
        with mock.patch.object(console.horizon_console, "get_console",
                               return_value=("VNC", "https://c.example/vnc.html?t=1")):
            self.assertEqual("VNC", console._get_console(None, "VNC", desktop)[0])
