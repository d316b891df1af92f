"""The plain rules behind Desktop Quotas and Desktop Profiles: which quota driver nova
uses (from what it reports), quota lines and changes, a profile's extra specs and back,
what placement offers and whether a profile's GPU exists anywhere."""

import pytest

from heps_desktop_dashboard.core import gpu_capacity
from heps_desktop_dashboard.core import profile_specs as specs_mod
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import quota_admin as qa

REGISTERED = {"servers": 20, "class:VCPU": 64, "class:MEMORY_MB": 131072, "class:VGPU": 8}


def test_unified_driver_when_nova_reports_keystones_numbers():
    nova_defaults = {"instances": 20, "cores": 64, "ram": 131072}
    project = {"servers": 10, "class:VGPU": 4}
    nova_project = {"instances": 10, "cores": 64, "ram": 131072}
    driver, evidence = qa.detect(REGISTERED, nova_defaults, [(project, nova_project)])
    assert driver == qa.UNIFIED
    assert "6 compared" in evidence
    assert (evidence.code, evidence.params) == (qa.SAME, {"compared": 6})


def test_legacy_driver_when_nova_has_its_own_numbers():
    assert qa.detect(REGISTERED, {"instances": 10, "cores": 20, "ram": 51200})[0] == qa.LEGACY
    # same defaults by chance, but a project where nova disagrees
    driver, evidence = qa.detect(REGISTERED, {"instances": 20, "cores": 64, "ram": 131072},
                                 [({"servers": 10}, {"instances": 7})])
    assert driver == qa.LEGACY and "instances=7" in evidence
    assert (evidence.code, evidence.params) == (
        qa.DIFFERS, {"name": "instances", "nova": 7, "keystone": 10})


def test_nova_reads_a_missing_keystone_limit_as_zero_and_unlimited_as_minus_one():
    assert qa.nova_sees({}, {}) == {"instances": 0, "cores": 0, "ram": 0}
    assert qa.nova_sees({"servers": -1}) == {"instances": -1, "cores": 0, "ram": 0}
    assert qa.detect({}, {"instances": 0, "cores": 0, "ram": 0})[0] == qa.UNIFIED
    assert qa.detect(None, {})[0] == qa.UNKNOWN
    assert qa.detect(REGISTERED, None)[0] == qa.UNKNOWN


def test_unified_lines_project_limit_else_default():
    usage = qa.usage_of({"instances": {"limit": 10, "in_use": 2}}, {"VGPU": 5},
                        ["VGPU", "CUSTOM_X_GPU"])
    lines = qa.unified_lines(REGISTERED, {"class:VGPU": 4}, usage, ["VGPU", "CUSTOM_X_GPU"])
    assert (lines["class:VGPU"].limit, lines["class:VGPU"].used) == (4, 5)
    assert lines["class:VGPU"].over
    assert lines["servers"].default and lines["servers"].limit == 20
    assert lines["class:CUSTOM_X_GPU"].limit is None          # no limit: not limited
    assert lines["class:CUSTOM_X_GPU"].used == 0               # placement lists no usage
    assert not lines["class:CUSTOM_X_GPU"].over
    assert lines["class:VCPU"].used is None                    # nova did not say


def test_legacy_lines_have_no_gpu_limit():
    nova = {"instances": {"limit": -1, "in_use": 3}, "cores": {"limit": 2, "in_use": 4},
            "ram": {"limit": 1024, "in_use": 0}}
    lines = qa.legacy_lines(nova, qa.usage_of(nova, {"VGPU": 9}, ["VGPU"]), ["VGPU"])
    assert lines["servers"].limit is None and not lines["servers"].over
    assert lines["class:VCPU"].over
    assert not lines["class:VGPU"].enforced and not lines["class:VGPU"].over
    unknown = qa.legacy_lines(None, {}, [])
    assert not unknown["servers"].known and not unknown["servers"].over


def test_changes_are_only_what_differs_and_below_usage_is_flagged():
    found = qa.changes({"class:VGPU": 4, "servers": 10}, {"class:VGPU": 0, "servers": 10},
                       {"class:VGPU": 1})
    assert found == [qa.Change("class:VGPU", 0, 1)]
    assert found[0].below_usage
    assert not qa.Change("class:VGPU", None, 3).below_usage


def test_gpu_classes_from_names_limits_and_usages():
    found = qa.gpu_classes(["VCPU", "CUSTOM_HEPS_GPU_A100", "CUSTOM_FPGA"],
                           ["class:VGPU", "servers"], {"VGPU": 1, "MEMORY_MB": 3})
    assert found == ["VGPU", "CUSTOM_HEPS_GPU_A100"]
    assert qa.gpu_class_of("class:CUSTOM_HEPS_GPU_A100") == "CUSTOM_HEPS_GPU_A100"
    assert qa.gpu_class_of("class:VCPU") == ""


SEEDED_A100 = {"heps:profile": "true", "heps:gpu_kind": "passthrough",
               "heps:gpu_model": "NVIDIA A100 80GB", "heps:description": "Whole A100",
               "resources:CUSTOM_HEPS_GPU_A100": "1", "hw:cpu_policy": "dedicated",
               "hw:mem_page_size": "large", "hw_video:ram_max_mb": "64",
               "heps:persistent": "home"}


def test_a_profile_round_trips_through_its_extra_specs():
    spec = specs_mod.spec_from_flavor("heps.a100.full", 8, 32768, 80, SEEDED_A100)
    assert spec.gpu == "rc:CUSTOM_HEPS_GPU_A100" and spec.gpu_count == 1
    assert spec.cpu_pinning and spec.huge_pages and spec.video_ram_mb == 64
    assert spec.carried == (("heps:persistent", "home"),)
    assert spec.extra_specs() == SEEDED_A100
    vgpu = specs_mod.ProfileSpec("v", profiles.GPU_VGPU, "vgpu:CUSTOM_HEPS_GPU_A16")
    assert vgpu.extra_specs()["trait:CUSTOM_HEPS_GPU_A16"] == "required"
    assert vgpu.extra_specs()["heps:gpu_model"] == "vGPU CUSTOM_HEPS_GPU_A16"
    pci = specs_mod.ProfileSpec("p", profiles.GPU_PASSTHROUGH, "pci:a100", gpu_count=2)
    assert pci.gpu_specs() == {"pci_passthrough:alias": "a100:2"}
    assert specs_mod.spec_from_flavor("p", 1, 1024, 1, pci.extra_specs()).gpu == "pci:a100"
    none = specs_mod.ProfileSpec("c", profiles.GPU_NONE, "rc:CUSTOM_X_GPU")
    assert none.gpu_specs() == {}
    # nova's name for the video RAM cap, never hw:video:…
    assert "hw_video:ram_max_mb" in SEEDED_A100 and specs_mod.VIDEO_RAM == "hw_video:ram_max_mb"


@pytest.mark.parametrize("bad", ["", "rc:VCPU", "rc:CUSTOM_FPGA", "pci:a b", "vgpu:lower",
                                 "gpu:CUSTOM_X_GPU", "rc:"])
def test_gpu_choices_are_checked(bad):
    with pytest.raises(ValueError):
        specs_mod.parse_option(bad)


def _lines():
    a16 = gpu_capacity.provider_lines({"uuid": "c1", "name": "h1_pgpu0"}, "h1",
                                      {"VGPU": {"total": 4, "reserved": 0}}, {},
                                      ["CUSTOM_HEPS_GPU_A16", "OWNER_NOVA"])
    a100 = gpu_capacity.provider_lines({"uuid": "r1", "name": "h1"}, "h1",
                                       {"CUSTOM_HEPS_GPU_A100": {"total": 2, "reserved": 0},
                                        "VCPU": {"total": 8}}, {}, [])
    return a16 + a100


def test_unsatisfiable_profiles_are_found():
    lines = _lines()
    assert specs_mod.unsatisfiable(SEEDED_A100, lines) == ""
    assert specs_mod.unsatisfiable({"resources:VGPU": "1",
                                    "trait:CUSTOM_HEPS_GPU_A16": "required"}, lines) == ""
    assert "CUSTOM_HEPS_GPU_L4" in specs_mod.unsatisfiable(
        {"resources:VGPU": "1", "trait:CUSTOM_HEPS_GPU_L4": "required"}, lines)
    assert "at most 2" in specs_mod.unsatisfiable({"resources:CUSTOM_HEPS_GPU_A100": "4"},
                                                  lines)
    assert specs_mod.unsatisfiable({"pci_passthrough:alias": "a100:1"}, lines) == ""
    offers = specs_mod.offers(lines, {"a100"})
    assert [(o.value, o.hosts) for o in offers] == [
        ("rc:CUSTOM_HEPS_GPU_A100", 1), ("vgpu:CUSTOM_HEPS_GPU_A16", 1), ("pci:a100", 0)]


def test_successor_names():
    assert specs_mod.successor_name("heps.vgpu.a16", set()) == "heps.vgpu.a16.v2"
    assert specs_mod.successor_name("heps.vgpu.a16.v2", {"heps.vgpu.a16.v3"}) == \
        "heps.vgpu.a16.v4"
    assert specs_mod.pci_aliases([{"pci_passthrough:alias": "a100:1, t4:2"}, {}]) == \
        {"a100", "t4"}


MUTATING = {"set_project", "set_defaults", "create", "edit", "delete", "retire",
            "limit_create", "limit_update", "limit_delete", "registered_limit_create",
            "registered_limit_update", "registered_limit_delete", "project_quota_update",
            "default_quota_update", "flavor_create", "flavor_delete", "flavor_set_specs",
            "flavor_unset_specs", "flavor_access_add", "flavor_access_remove"}


@pytest.mark.parametrize("relative", [
    "dashboards/admin/desktop_quotas/views.py", "dashboards/admin/desktop_quotas/tables.py",
    "dashboards/admin/desktop_profiles/views.py",
    "dashboards/admin/desktop_profiles/tables.py"])
def test_get_serving_modules_reach_no_writing_call(relative):
    """Pages and modal renders only read: writes are in the forms' handle() only."""
    import ast
    import pathlib

    import heps_desktop_dashboard

    path = pathlib.Path(heps_desktop_dashboard.__file__).parent / relative
    calls = [node.func for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)]
    assert not [ast.unparse(func) for func in calls if func.attr in MUTATING
                and ast.unparse(func.value) in ("quotas", "profiles_admin")
                or ast.unparse(func.value).startswith("api.")
                and func.attr in MUTATING]


def test_unsatisfiable_reason_is_a_code_with_its_numbers():
    lines = _lines()
    assert specs_mod.unsatisfiable_reason({"resources:CUSTOM_HEPS_GPU_A100": "4"}, lines) == (
        specs_mod.TOO_FEW, {"amount": 4, "resource_class": "CUSTOM_HEPS_GPU_A100", "most": 2})
    assert specs_mod.unsatisfiable_reason({"resources:CUSTOM_HEPS_GPU_A100": "1"},
                                          lines) is None
