"""The deployment recipes (deploy/, devstack/plugin.sh, the README's install section) name
what the wheel really ships: every plugin file they name is in the built wheel, each recipe
installs ALL the wheel's enabled files (by name or by a glob) and its settings snippet, the
reconciler recipes run heps_desktops_reconcile, and the YAML/INI files parse."""

import configparser
import fnmatch
import pathlib
import re
import subprocess
import zipfile

import pytest
import yaml

from heps_desktop_dashboard import conf

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PKG = "heps_desktop_dashboard"
SNIPPET = "_1799_heps_desktops_settings.py"
COMMAND = "heps_desktops_reconcile"
# Site snippets the recipes write next to the plugin's (not files of the wheel).
SITE_SNIPPETS = {"_1800_heps_desktops_site.py"}

# A plugin file a recipe names: enabled/<file or glob>, local_settings.d/<file>,
# management/commands/<file>; not Horizon's own local/enabled/ or local/local_settings.d/,
# nor Kolla's /etc/openstack-dashboard/local_settings.d/.
PLUGIN_PATH = re.compile(r"(?<!local/)(?<!openstack-dashboard/)"
                         r"\b(enabled|local_settings\.d|management/commands)/([\w\[\]*-]+\.py)\b")

# openstack-ansible-os_horizon, tasks/horizon_post_install_source.yml (stable/2025.1 and
# stable/2025.2: {2,4}; stable/2026.1 and master: {2,5}): installed packages whose directory
# matches are "dashboards"; their <dir>/enabled and <dir>/local_settings.d files matching
# the file pattern are linked into Horizon's local/enabled and local/local_settings.d.
OSA_DASHBOARD_DIR = re.compile(r"^.*(dashboard|ui)$")
OSA_PANEL_FILES = (re.compile(r"^_[0-9]{2,4}_.*.py$"), re.compile(r"^_[0-9]{2,5}_.*.py$"))
# The os_horizon variables the OSA recipe sets (defaults/main.yml of stable/2025.1 …
# master); every other variable it sets is its own (heps_*).
OSA_ROLE_VARIABLES = {"horizon_user_pip_packages"}


def read(path):
    return (ROOT / path).read_text()


def section(text, heading):
    """A README section: from its heading to the next heading of the same level."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n")
    ends = [m.start() for m in re.finditer(rf"^{level} ", text[start + 1:], re.M)]
    return text[start:start + 1 + ends[0]] if ends else text[start:]


def install_section():
    return section(read("README.md"), "## Install into an existing Horizon")


def reconciler_section():
    return section(read("README.md"), "## The reconciler: the operator's loop")


@pytest.fixture(scope="module")
def package_files(wheel_names):
    """The wheel's files of the plugin package, relative to it."""
    return sorted(n[len(PKG) + 1:] for n in wheel_names if n.startswith(PKG + "/"))


@pytest.fixture(scope="module")
def enabled(package_files):
    """The wheel's enabled files (Horizon's pluggable settings), by name."""
    names = {p.split("/", 1)[1] for p in package_files if p.startswith("enabled/")}
    return {n for n in names if re.match(r"_\d+_\w+\.py$", n)}


def copied(text, directory, package_files):
    """The wheel's files a recipe copies or names from one directory of the package."""
    patterns = [name for where, name in PLUGIN_PATH.findall(text) if where == directory]
    shipped = [p.split("/")[-1] for p in package_files if p.startswith(directory + "/")]
    return {name for name in shipped for pattern in patterns if fnmatch.fnmatch(name, pattern)}


def recipe_files():
    files = [p for p in sorted(DEPLOY.rglob("*")) if p.is_file()]
    assert files, "deploy/ is empty"
    return files


# The recipes that copy the plugin's files themselves.
def plain_pip_commands():
    """The shell block of the README's plain pip recipe."""
    recipe = section(install_section(), "### Plain pip, with Apache (mod_wsgi) or uWSGI")
    return re.search(r"^```\n(.*?)^```", recipe, re.S | re.M).group(1)


def devstack_commands():
    """devstack/plugin.sh without its comments, its settings-file variable spelled out."""
    text = "\n".join(line for line in read("devstack/plugin.sh").splitlines()
                     if not line.lstrip().startswith("#"))
    (name,) = re.findall(r'^HEPS_DASHBOARD_SETTINGS_FILE="([^"]+)"$', text, re.M)
    return text.replace("$HEPS_DASHBOARD_SETTINGS_FILE", name)


def kolla_footer():
    """The RUN command of the Kolla template override's horizon_footer block."""
    text = read("deploy/kolla/template-overrides.j2")
    (block,) = re.findall(r"{% block horizon_footer %}\n(.*?){% endblock %}", text, re.S)
    return block


# The recipes that copy the plugin's files themselves: the commands that do it.
COPYING_RECIPES = {
    "plain pip (README)": plain_pip_commands,
    "DevStack": devstack_commands,
    "Kolla image": kolla_footer,
}


def test_the_wheel_ships_enabled_files_the_snippet_and_the_command(enabled, package_files):
    assert {"_1710_project_heps_desktops_group.py", "_1720_project_heps_desktops_panel.py",
            "_2710_admin_heps_desktops_group.py"} <= enabled
    assert "local_settings.d/" + SNIPPET in package_files
    assert f"management/commands/{COMMAND}.py" in package_files


@pytest.mark.parametrize("path", [p.relative_to(ROOT).as_posix() for p in recipe_files()]
                         + ["devstack/plugin.sh", "README.md"])
def test_every_plugin_file_a_recipe_names_is_in_the_wheel(path, package_files):
    named = PLUGIN_PATH.findall(read(path))
    for where, name in named:
        shipped = [p for p in package_files if fnmatch.fnmatch(p, f"{where}/{name}")]
        assert shipped, f"{path} names {where}/{name}, which the wheel does not ship"
    for name in re.findall(rf"{PKG}/([\w./\[\]\*-]+\.py)\b", read(path)):
        assert any(fnmatch.fnmatch(p, name) for p in package_files), (path, name)


@pytest.mark.parametrize("recipe", sorted(COPYING_RECIPES))
def test_each_recipe_installs_every_enabled_file_and_the_snippet(recipe, enabled,
                                                                 package_files):
    text = COPYING_RECIPES[recipe]()
    assert copied(text, "enabled", package_files) == enabled
    assert "__init__.py" not in copied(text, "enabled", package_files)
    assert copied(text, "local_settings.d", package_files) == {SNIPPET}


def test_readme_lists_exactly_the_enabled_files_of_the_wheel(enabled):
    names = set(re.findall(r"\b(_\d{3,5}_\w+\.py)\b", install_section()))
    assert SNIPPET in names
    assert names - {SNIPPET} - SITE_SNIPPETS == enabled


def test_openstack_ansible_role_links_every_enabled_file_and_the_snippet(enabled,
                                                                        package_files):
    """os_horizon installs nothing by name: it links what its patterns find in the package."""
    assert OSA_DASHBOARD_DIR.match(PKG)
    for pattern in OSA_PANEL_FILES:
        linked = {p.split("/")[-1] for p in package_files
                  if p.count("/") == 1 and p.split("/")[0] in ("enabled", "local_settings.d")
                  and pattern.match(p.split("/")[-1])}
        assert linked == enabled | {SNIPPET}


def test_openstack_ansible_variables_and_playbook():
    variables = yaml.safe_load(read("deploy/openstack-ansible/user_variables_heps.yml"))
    assert set(variables) - OSA_ROLE_VARIABLES == {
        k for k in variables if k.startswith("heps_")}
    packages = variables["horizon_user_pip_packages"]
    assert any(p.startswith("heps-desktop-dashboard") for p in packages)
    assert set(variables["heps_desktops_settings"]) <= set(conf.DEFAULTS)
    text = read("deploy/openstack-ansible/heps-desktops.yml")
    (play,) = yaml.safe_load(text)
    assert play["hosts"] == "horizon_all"
    assert f"local/local_settings.d/{SNIPPET}" in text
    assert f"horizon-manage.py {COMMAND}" in text
    for unit in re.findall(r"- (heps-desktops-reconcile\.\w+)\n", text):
        assert (DEPLOY / "systemd" / unit).is_file(), unit
    # The site's snippet is read after the plugin's (Horizon sorts local_settings.d).
    assert sorted([SNIPPET, *SITE_SNIPPETS])[0] == SNIPPET


def plugin_settings(built_wheel):
    with zipfile.ZipFile(built_wheel) as wheel:
        return wheel.read(f"{PKG}/local_settings.d/{SNIPPET}").decode()


def test_kolla_site_settings_apply_after_the_plugin_snippet(built_wheel):
    namespace = {}
    exec(plugin_settings(built_wheel), namespace)  # noqa: S102 - the plugin's own snippet
    defaults = dict(namespace["HEPS_DESKTOPS"])
    site = read("deploy/kolla/_9999-custom-settings.py")
    exec(site, namespace)  # noqa: S102 - the recipe's snippet
    changed = {k for k, v in namespace["HEPS_DESKTOPS"].items() if defaults.get(k) != v}
    assert changed and set(namespace["HEPS_DESKTOPS"]) == set(conf.DEFAULTS)
    assert sorted([SNIPPET, "_9998-kolla-settings.py", "_9999-custom-settings.py"])[0] == SNIPPET


def test_kolla_template_override_fills_the_horizon_footer_with_valid_shell():
    assert read("deploy/kolla/template-overrides.j2").startswith("{% extends parent_template %}")
    block = kolla_footer()
    assert block.startswith("RUN ")
    subprocess.run(["bash", "-n"], input=block[4:], text=True, check=True)
    build = configparser.ConfigParser(interpolation=None)
    build.read_string(read("deploy/kolla/kolla-build.conf"))
    assert [s for s in build.sections() if s.startswith("horizon-plugin-")] == [
        "horizon-plugin-heps-desktop-dashboard"]
    assert build["horizon-plugin-heps-desktop-dashboard"]["location"].endswith(".tar.gz")


def unit(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(read(path))
    return parser


def test_reconciler_recipes_run_the_command():
    service = unit("deploy/systemd/heps-desktops-reconcile.service")
    assert service["Service"]["ExecStart"].endswith(f"django-admin {COMMAND}")
    assert service["Service"]["EnvironmentFile"] == "/etc/heps-desktops/reconcile.env"
    timer = unit("deploy/systemd/heps-desktops-reconcile.timer")
    assert timer["Install"]["WantedBy"] == "timers.target"
    kolla = read("deploy/kolla/heps-desktops-reconcile.service.d/kolla.conf")
    assert "ExecStart=\nExecStart=" in kolla  # a drop-in resets ExecStart before setting it
    assert unit(
        "deploy/kolla/heps-desktops-reconcile.service.d/kolla.conf"
    )["Service"]["ExecStart"].endswith(f"manage.py {COMMAND}")
    (job,) = yaml.safe_load_all(read("deploy/kubernetes/reconcile-cronjob.yaml"))
    (container,) = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["command"][-1] == COMMAND
    env = dict(line.split("=", 1) for line in read("deploy/systemd/reconcile.env.example")
               .splitlines() if line and not line.startswith("#"))
    assert env["OS_AUTH_TYPE"] == "v3applicationcredential"
    assert all(k.startswith("OS_") and '"' not in v and "'" not in v for k, v in env.items())


@pytest.mark.parametrize("path", [p.relative_to(ROOT).as_posix() for p in recipe_files()])
def test_recipe_files_parse(path):
    text = read(path)
    if path.endswith((".yml", ".yaml")):
        assert list(yaml.safe_load_all(text))
    elif path.endswith((".ini", ".service", ".timer")) or path.endswith(
            ("kolla-build.conf", "service.d/kolla.conf")):
        assert unit(path).sections()
    elif path.startswith("deploy/apache/"):
        opened = re.findall(r"^\s*<(\w+)[ >]", text, re.M)
        closed = re.findall(r"^\s*</(\w+)>", text, re.M)
        assert opened and sorted(opened) == sorted(closed)
        assert re.search(r"WSGIScriptAlias / \S+/openstack_dashboard/wsgi\.py", text)
    elif path.endswith(".py"):
        compile(text, path, "exec")
    else:
        assert path.endswith((".j2", ".example")), f"{path}: no check for this kind of file"


def test_readme_points_at_every_recipe_file_once():
    readme = read("README.md")
    install, reconciler = install_section(), reconciler_section()
    for path in recipe_files():
        name = path.relative_to(ROOT).as_posix()
        assert name in install or name in reconciler, f"the README does not mention {name}"
    # The units and the CronJob live in deploy/ only, not copied into the README.
    assert "[Timer]" not in readme and "kind: CronJob" not in readme


def test_readme_compatibility_table_covers_every_release_with_constraints():
    releases = sorted(p.stem for p in (ROOT / "constraints").glob("20*.txt"))
    assert releases
    rows = [line for line in install_section().splitlines() if line.startswith("| 20")]
    assert [row.split("|")[1].split()[0] for row in rows] == releases
    assert "docs/compatibility.md" in install_section()
