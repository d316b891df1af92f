"""The plugin's own console page (console/vnc/): a static noVNC client framed by the
Console tab; the console token reaches it only in the URL's fragment."""

import pathlib
import re

from django.urls import reverse
from openstack_dashboard.test import helpers as test

import heps_desktop_dashboard

CLIENT_URL = reverse("horizon:project:desktops:console_client")
STATIC = pathlib.Path(heps_desktop_dashboard.__file__).parent / "static" / "heps_desktops"


class ConsoleClientPageTests(test.TestCase):
    def test_page_loads_the_module_and_its_labels(self):
        res = self.client.get(CLIENT_URL)
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/desktops/console_client.html")
        html = res.content.decode()
        self.assertIn('<script type="module" src="/static/heps_desktops/js/'
                      'console_client.mjs"></script>', html)
        for label in ("Fit", "1:1 pixels", "Clipboard", "Send to desktop",
                      "Lossless — exact pixels", "Balanced — JPEG high quality"):
            self.assertIn(label, html)
        # framed by Horizon's own pages only, never cached
        self.assertEqual(res["X-Frame-Options"], "SAMEORIGIN")
        self.assertIn("no-store", res["Cache-Control"])
        self.assertIn('name="referrer" content="no-referrer"', html)

    def test_vendored_novnc_is_shipped_as_modules_out_of_horizons_bundle(self):
        """Horizon bundles every *.js under static/ into each page as a classic script:
        the ES modules are *.mjs, and their imports name *.mjs files that exist."""
        vendor = STATIC / "vendor" / "novnc"
        self.assertTrue((vendor / "core" / "rfb.mjs").is_file())
        self.assertTrue((vendor / "LICENSE.txt").is_file())
        self.assertIn("sha256", (vendor / "README.md").read_text())
        self.assertEqual(list(vendor.rglob("*.js")), [])
        for module in [*vendor.rglob("*.mjs"), STATIC / "js" / "console_client.mjs"]:
            text = module.read_text()
            for target in _imports(text):
                self.assertTrue(target.endswith(".mjs"), (module, target))
                self.assertTrue((module.parent / target).resolve().is_file(),
                                (module, target))


def _imports(text):
    return re.findall(r"(?:from|import)\s*\(?\s*['\"](\.{1,2}/[^'\"]+)['\"]", text)
