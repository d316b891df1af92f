"""The layout's rules, checked on the installed package's source: only api/ talks HTTP to
OpenStack, GET-serving code reaches no mutating call, every heps name is spelled once,
small modules and functions, no import cycles."""

import ast
import pathlib
import re

import pytest

import heps_desktop_dashboard
from heps_desktop_dashboard.core import conventions

PACKAGE = pathlib.Path(heps_desktop_dashboard.__file__).resolve().parent
SOURCES = sorted(p for p in PACKAGE.rglob("*.py")
                 if "tests" not in p.relative_to(PACKAGE).parts
                 and "local_settings.d" not in p.parts)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# What may only be imported under api/: the code that builds sessions and clients.
CLIENT_MODULES = ("keystoneauth1.session", "keystoneauth1.adapter", "novaclient.client",
                  "manilaclient.client", "cinderclient.client", "glanceclient",
                  "openstack.connection", "requests", "urllib.request", "http.client")
# Paths of OpenStack APIs: formatting one is api/'s job.
URL_RE = re.compile(r"^/(servers|v2|v2\.0|v3|shares?|share-access-rules|limits|usages|"
                    r"allocation_candidates|resource_providers|images|flavors|os-)")

# Calls that change something in OpenStack (api/) or start work that does (services/).
MUTATING_API = {
    "desktop_create", "desktop_discard", "desktop_start", "desktop_stop", "desktop_reboot",
    "desktop_shelve", "desktop_unshelve", "desktop_rename", "server_delete", "server_stop",
    "server_start", "server_shelve", "server_set_metadata", "server_delete_metadata",
    "server_create_image", "share_attach", "share_detach", "access_allow", "access_deny",
    "access_deny_unrestricted", "snapshot_create", "snapshot_delete",
    "share_create_from_snapshot", "share_delete",
    "security_group_create", "security_group_delete", "security_group_rule_create",
    "security_group_rule_delete", "floating_ip_create", "floating_ip_associate",
    "floating_ip_delete", "volume_create", "volume_delete", "volume_set_metadata",
    "volume_attach", "volume_detach", "server_resize", "server_confirm_resize",
    "server_revert_resize",
}
MUTATING_SERVICES = (
    "data_attach.attach", "data_attach.detach", "data_attach.advance", "revocation.",
    "lifetimes.extend", "lifetimes.apply", "lifetimes.write_expiry", "launch.launch",
    "results_export.snapshot_results", "results_export.share_from_snapshot",
    "results_export.save_as_image", "reconcile.", "network_policy.ensure_group",
    "network_policy.desktop_groups", "network_policy.allocate_public_ip",
    "network_policy.release", "network_sweep.associate", "network_sweep.disassociate",
    "network_sweep.delete_group", "home_storage.ensure_home", "home_storage.move_here",
    "home_storage.release", "home_storage.attach", "home_storage.detach", "boost.boost",
    "boost.return_now", "boost_steps.", "home_storage_steps.apply",
)
# Modules whose code runs for GET requests (pages, tabs, ajax row updates, form renders).
GET_MODULES = ("dashboards/project/desktops/views.py", "dashboards/project/desktops/rows.py",
               "dashboards/project/desktops/tabs.py",
               "dashboards/project/desktops/launch_catalog.py",
               "dashboards/project/desktops/console.py",
               "dashboards/project/desktops/launch_status.py",
               "dashboards/project/desktops/experiments/tabs.py",
               "dashboards/project/desktops/experiments/views.py",
               "dashboards/project/desktops/experiments/texts.py",
               "dashboards/project/desktops/network_tab.py",
               "dashboards/project/desktops/storage/tabs.py",
               "dashboards/project/desktops/storage/texts.py",
               "dashboards/project/desktops/audit_events.py",
               "dashboards/admin/desktop_audit/views.py",
               "dashboards/admin/desktop_audit/tables.py",
               "services/audit_log.py")


def _tree(path):
    return ast.parse(path.read_text(), filename=str(path))


def _rel(path):
    return str(path.relative_to(PACKAGE))


def _docstrings(tree):
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _strings(tree):
    skip = _docstrings(tree)
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in skip]


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_small_modules_and_functions(path):
    tree = _tree(path)
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long


@pytest.mark.parametrize("path", [p for p in SOURCES if "api" not in
                                  p.relative_to(PACKAGE).parts[:1]], ids=_rel)
def test_only_api_builds_clients_and_urls(path):
    tree = _tree(path)
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names]
    imported += [f"{node.module}.{alias.name}" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module
                 for alias in node.names]
    assert not [name for name in imported if name.startswith(CLIENT_MODULES)]
    urls = [n.value for n in _strings(tree) if URL_RE.match(n.value)]
    urls += [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)
             and n.values and isinstance(n.values[0], ast.Constant)
             and URL_RE.match(str(n.values[0].value))]
    assert not urls


@pytest.mark.parametrize("relative", GET_MODULES)
def test_get_serving_code_reaches_no_mutating_call(relative):
    tree = _tree(PACKAGE / relative)
    calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
    found = [ast.unparse(func) for func in calls if isinstance(func, ast.Attribute)
             and (func.attr in MUTATING_API
                  or any(s in ast.unparse(func) for s in MUTATING_SERVICES))]
    assert not found


def test_every_heps_name_is_spelled_once():
    values = {value for name, value in vars(conventions).items()
              if name.isupper() and isinstance(value, str)}
    offenders = []
    for path in SOURCES:
        if path.name == "conventions.py":
            continue
        for node in _strings(_tree(path)):
            if node.value in values or node.value.startswith("heps:"):
                offenders.append(f"{_rel(path)}:{node.lineno} {node.value!r}")
    assert not offenders


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path, known):
    found = set()
    package = _module_name(path).rsplit(".", 1)[0]
    for node in _tree(path).body:  # module-level imports only: the ones that can cycle
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([node.module] if node.module else []))
            # ``from pkg import module`` depends on the module; ``from mod import name``
            # on the module.
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in found if name in known}


def test_no_import_cycles():
    modules = {_module_name(p): p for p in SOURCES}
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    state = {}

    def visit(name, stack):
        state[name] = "open"
        for target in graph[name]:
            if state.get(target) == "open":
                raise AssertionError(" -> ".join(stack + [name, target]))
            if target not in state:
                visit(target, stack + [name])
        state[name] = "done"

    for name in graph:
        if name not in state:
            visit(name, [])


def test_context_cache_builds_may_nest():
    """Building a cached value may use another cached value (no self-deadlock)."""
    from test_data import contexts

    ctx = contexts.user_context()
    outer = ctx.cached("outer", lambda: ctx.cached("inner", lambda: 1) + 1)
    assert (outer, ctx.cached("inner", lambda: 0)) == (2, 1)
