"""devstack/plugin.sh names the enabled files and settings snippet the package ships."""

import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_devstack_plugin_is_valid_bash_and_names_shipped_files():
    plugin = ROOT / "devstack" / "plugin.sh"
    subprocess.run(["bash", "-n", str(plugin)], check=True)
    subprocess.run(["bash", "-n", str(ROOT / "devstack" / "settings")], check=True)
    text = plugin.read_text()
    enabled = re.search(r'HEPS_DASHBOARD_ENABLED_FILES="([^"]+)"', text).group(1).split()
    assert sorted(enabled) == sorted(p.name for p in (ROOT / "enabled").glob("_[0-9]*.py"))
    snippet = re.search(r'HEPS_DASHBOARD_SETTINGS_FILE="([^"]+)"', text).group(1)
    assert (ROOT / "heps_desktop_dashboard" / "local_settings.d" / snippet).exists()
