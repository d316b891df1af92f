"""core/golden_checks.py: every check of the golden-image checklist answers pass, warn
or fail with a reason; core/golden.py: the catalog fields an admin types, validated."""

import dataclasses

import pytest

from heps_desktop_dashboard.core import golden
from heps_desktop_dashboard.core import golden_checks as gc
from test_data import catalog_data as cd
from test_data import usage_data as ud


def status_of(check):
    return check.status, check.reason


def test_a_good_golden_image_passes_every_check():
    checks = gc.checklist(cd.image(), cd.uses())
    assert [c.key for c in checks] == list(gc.KEYS)
    assert {c.status for c in checks} == {gc.PASS}, checks
    assert gc.worst(checks) == gc.PASS


@pytest.mark.parametrize("fmt,status", [("qcow2", gc.PASS), ("raw", gc.PASS),
                                        ("vmdk", gc.WARN), ("iso", gc.FAIL), ("", gc.FAIL)])
def test_disk_format(fmt, status):
    assert gc.disk_format_check(cd.image(disk_format=fmt)).status == status


def test_video_model_and_video_ram():
    assert gc.video_check(cd.image(hw_video_model=None)).status == gc.FAIL
    assert gc.video_check(cd.image(hw_video_model="none")).status == gc.FAIL
    assert gc.video_check(cd.image(hw_video_model="vga")).status == gc.WARN
    assert gc.video_check(cd.image(hw_video_model="qxl")).status == gc.PASS
    capped = [cd.use("small-vram", {**ud.CPU_SPECS, "hw_video:ram_max_mb": "16"})]
    check = gc.video_check(cd.image(hw_video_ram="64"), capped)
    assert check.status == gc.FAIL and "small-vram (16 MB)" in check.reason


def test_guest_agent():
    assert gc.guest_agent_check(cd.image()).status == gc.PASS
    assert gc.guest_agent_check(cd.image(hw_qemu_guest_agent="no")).status == gc.WARN


def test_min_ram_and_disk_against_each_profile():
    check = gc.min_ram_check(cd.image(min_ram=12288), cd.uses())
    assert check.status == gc.FAIL and "heps.cpu.std (8192 MB)" in check.reason
    assert "heps.vgpu.a16" not in check.reason
    assert gc.min_ram_check(cd.image(min_ram=8192), cd.uses()).status == gc.PASS
    assert gc.min_ram_check(cd.image(), []).status == gc.WARN
    big = gc.min_disk_check(cd.image(virtual_size=50 * cd.GIB), cd.uses())
    assert big.status == gc.FAIL and "51" not in big.reason and "50 GB" in big.reason
    assert gc.min_disk_check(cd.image(min_disk=41), cd.uses()).status == gc.FAIL
    zero = gc.min_disk_check(cd.image(), [cd.use("nodisk", ud.CPU_SPECS, disk=0)])
    assert zero.status == gc.WARN and "only admins" in zero.reason
    assert gc.min_disk_check(cd.image(virtual_size=None), cd.uses()).status == gc.PASS


def test_visibility_against_who_may_use_profiles():
    names = {cd.ADMIN_PROJECT: "admin", ud.PROJECT_A: "experiment-a",
             ud.PROJECT_B: "experiment-b"}
    assert gc.visibility_check(cd.image(), cd.uses()).status == gc.PASS
    assert gc.visibility_check(cd.image(hidden=True), cd.uses()).status == gc.FAIL
    assert gc.visibility_check(cd.image(visibility="community"), cd.uses()).status == gc.FAIL
    private = gc.visibility_check(cd.image(visibility="private"), cd.uses(), None, names)
    assert status_of(private) == (gc.WARN, "private: only project admin sees it in the "
                                           "launch form")
    shared = cd.image(visibility="shared")
    accepted = {ud.PROJECT_A: "accepted"}
    assert gc.visibility_check(shared, cd.uses(), accepted, names).status == gc.PASS
    pending = gc.visibility_check(shared, cd.uses(), {**accepted, ud.PROJECT_B: "pending"},
                                  names)
    assert pending.status == gc.WARN and "experiment-b did not accept" in pending.reason
    assert gc.visibility_check(shared, cd.uses(), {ud.PROJECT_B: "rejected"},
                               names).status == gc.FAIL
    assert gc.visibility_check(shared, cd.uses(), None).status == gc.WARN
    # every profile private to experiment-b: an image only experiment-a sees is useless
    only_b = [dataclasses.replace(u, public=False, projects=frozenset([ud.PROJECT_B]))
              for u in cd.uses()]
    assert gc.visibility_check(shared, only_b, accepted, names).status == gc.FAIL
    assert gc.visibility_check(shared, only_b, {ud.PROJECT_B: "accepted"},
                               names).status == gc.PASS


def test_gpu_driver_declared_for_gpu_profiles():
    assert gc.gpu_driver_check(cd.image(), cd.uses()).status == gc.PASS
    undeclared = gc.gpu_driver_check(cd.image(**{golden.GPU_DRIVER: None}), cd.uses())
    assert undeclared.status == gc.WARN and "heps.vgpu.a16" in undeclared.reason
    assert "heps.cpu.std" not in undeclared.reason
    cpu_only = [cd.use("heps.cpu.std", ud.CPU_SPECS)]
    assert gc.gpu_driver_check(cd.image(**{golden.GPU_DRIVER: None}), cpu_only).status \
        == gc.PASS


def test_origin_status_and_catalog_text():
    snapshot = cd.catalog_images()[-1]
    assert gc.origin_check(snapshot).status == gc.FAIL
    assert gc.origin_check(cd.image(heps_source_desktop="d1")).status == gc.PASS
    assert gc.status_check(cd.image(status="queued")).status == gc.FAIL
    bare = cd.image(**{golden.TECHNIQUES: None, golden.DESCRIPTION: None})
    assert gc.catalog_text_check(bare).status == gc.WARN


def test_catalog_fields_are_validated():
    assert golden.clean_techniques(" Imaging, tomography ,imaging,  X-ray  CT") == \
        "imaging,tomography,x-ray ct"
    for bad in ("imaging;rm -rf", "a" * 41, ",".join(f"t{i}" for i in range(13))):
        with pytest.raises(ValueError):
            golden.clean_techniques(bad)
    assert golden.clean_description("  two\n lines ") == "two lines"
    with pytest.raises(ValueError):
        golden.clean_description("x" * 256)
    assert golden.clean_gpu_driver(" nvidia-grid-17.3 ") == "nvidia-grid-17.3"
    with pytest.raises(ValueError):
        golden.clean_gpu_driver("nvidia 550; reboot")


def test_property_changes_add_replace_and_remove():
    record = cd.image(is_golden=False)
    wanted = golden.catalog_properties(True, "imaging", "", "")
    to_set, to_remove = golden.property_changes(record, wanted)
    assert to_set == {golden.GOLDEN: "true", golden.TECHNIQUES: "imaging"}
    assert to_remove == []
    to_set, to_remove = golden.property_changes(cd.image(), wanted)
    assert to_set == {golden.TECHNIQUES: "imaging"}
    assert sorted(to_remove) == [golden.DESCRIPTION, golden.GPU_DRIVER]


def test_catalog_field_refusals_name_their_rule():
    with pytest.raises(ValueError) as exc:
        golden.clean_techniques("imaging;rm")
    assert (exc.value.code, exc.value.params) == (golden.TECHNIQUE_BAD,
                                                  {"technique": "imaging;rm"})
    with pytest.raises(ValueError) as exc:
        golden.clean_description("x" * 256)
    assert (exc.value.code, exc.value.params) == (golden.DESCRIPTION_TOO_LONG,
                                                  {"max": golden.VALUE_MAX})
