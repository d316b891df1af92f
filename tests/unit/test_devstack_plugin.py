"""devstack/plugin.sh installs what the package ships: run its configure and clean steps
against a scratch Horizon tree, with DevStack's helpers stubbed."""

import pathlib
import subprocess
import sys

import heps_desktop_dashboard

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLUGIN = pathlib.Path(heps_desktop_dashboard.__file__).parent
SNIPPET = "_1799_heps_desktops_settings.py"

# DevStack's functions the plugin calls, as no-ops; manage.py records its arguments.
STUBS = """
is_service_enabled() { return 0; }
echo_summary() { :; }
restart_apache_server() { :; }
pip_install() { :; }
"""


def run_plugin(horizon_dir, *phase, network=""):
    script = (STUBS + f'. "{ROOT / "devstack" / "plugin.sh"}" ' + " ".join(phase) + "\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "HORIZON_DIR": str(horizon_dir),
           "HEPS_DASHBOARD_DIR": str(ROOT), "HEPS_DASHBOARD_NETWORK": network}
    subprocess.run(["bash", "-euc", script], check=True, env=env, capture_output=True)


def scratch_horizon(tmp_path):
    local = tmp_path / "openstack_dashboard" / "local"
    (local / "enabled").mkdir(parents=True)
    (local / "enabled" / "_1000_other_plugin.py").write_text("")
    (tmp_path / "manage.py").write_text(
        "import sys\nopen('manage.log', 'a').write(' '.join(sys.argv[1:]) + '\\n')\n")
    return local


def test_devstack_plugin_is_valid_bash():
    subprocess.run(["bash", "-n", str(ROOT / "devstack" / "plugin.sh")], check=True)
    subprocess.run(["bash", "-n", str(ROOT / "devstack" / "settings")], check=True)


def test_post_config_copies_every_enabled_file_and_the_snippet(tmp_path):
    local = scratch_horizon(tmp_path)
    run_plugin(tmp_path, "stack", "post-config", network="desktop-net")
    shipped = {p.name for p in (PLUGIN / "enabled").glob("_[0-9]*.py")}
    assert shipped >= {"_1710_project_heps_desktops_group.py",
                       "_1720_project_heps_desktops_panel.py"}
    assert {p.name for p in (local / "enabled").iterdir()} == shipped | {"_1000_other_plugin.py"}
    namespace = {}
    exec((local / "local_settings.d" / SNIPPET).read_text(), namespace)  # noqa: S102
    assert namespace["HEPS_DESKTOPS"]["network"] == "desktop-net"
    assert (tmp_path / "manage.log").read_text().split("\n")[:2] == [
        "collectstatic --noinput", "compress --force"]


def test_clean_removes_what_it_installed_and_nothing_else(tmp_path):
    local = scratch_horizon(tmp_path)
    run_plugin(tmp_path, "stack", "post-config")
    run_plugin(tmp_path, "clean")
    assert [p.name for p in (local / "enabled").iterdir()] == ["_1000_other_plugin.py"]
    assert not (local / "local_settings.d" / SNIPPET).exists()
