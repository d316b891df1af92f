"""Admin › Desktop Quotas and Desktop Profiles on the dev cloud, as its admin: the quota
board detects nova's unified-limits driver and shows keystone's limits with placement's
usage; a VGPU limit of 0 set through the quota service makes bob's vGPU launch fail with
the launch form's quota message, and the original limit lets it through again (restored
in a finally block); a profile created through the profile service is offered at launch,
boots a desktop that allocates its GPU class (and vGPU type) in placement, and deleting
it while the desktop runs retires it (hidden from launch, kept for the desktop)."""

import time
import uuid

import pytest
from cloud_fixtures import PLACEMENT_MV
from cloud_fixtures import call
from cloud_fixtures import wait_server

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import profile_specs
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import quota_admin
from heps_desktop_dashboard.dashboards.project.desktops import forms as launch_forms
from heps_desktop_dashboard.services import profiles_admin
from heps_desktop_dashboard.services import quotas
from integration.horizon_request import make_request
from integration.horizon_request import user_context

pytestmark = pytest.mark.integration
VGPU = "class:VGPU"
A16 = "CUSTOM_HEPS_GPU_A16"
QUOTA_MESSAGE = "Quota exceeded for GPU: "
VGPU_MODEL = "NVIDIA A16 vGPU (simulated)"


def _uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _launch_form(devcloud, user, **values):
    """A bound LaunchForm posted as ``user``, defaults filled in like a browser would."""
    blank = launch_forms.LaunchForm(make_request(devcloud, user))
    data = {name: field.initial for name, field in blank.fields.items()
            if field.initial is not None}
    data["experiment"] = ""
    data.update(values)
    request = make_request(devcloud, user, method="POST", path="/project/desktops/launch/",
                           data=data)
    return request, launch_forms.LaunchForm(request, data=data)


def _own_limit(ctx, project_id, resource):
    edit = quotas.project_edit(ctx, project_id)
    return edit, edit.readings.project_values(project_id).get(resource)


def _set(ctx, project_id, resource, value):
    edit, _current = _own_limit(ctx, project_id, resource)
    quotas.set_project(ctx, edit, [quota_admin.Change(resource, value)])


def test_board_detects_unified_limits_and_shows_keystones_numbers(cloud_settings, devcloud):
    ctx = user_context(devcloud, "admin")
    board = quotas.board(ctx)
    assert board.driver == quota_admin.UNIFIED, board.evidence
    assert not board.missing
    assert {"VGPU", "CUSTOM_HEPS_GPU_A100"} <= set(board.classes)
    rows = {row.name: row for row in board.projects}
    for project in ("experiment-a", "experiment-b"):
        user = {"experiment-a": "alice", "experiment-b": "bob"}[project]
        names = [VGPU, "class:CUSTOM_HEPS_GPU_A100"]
        expected = api.keystone.compute_limits(user_context(devcloud, user), names)
        assert {name: rows[project].lines[name].limit for name in names} == expected
        for _attempt in range(5):  # other sessions boot and delete meanwhile
            used = api.placement.project_usages(user_context(devcloud, user)).get("VGPU", 0)
            board_used = quotas.board(ctx)
            shown = {r.name: r for r in board_used.projects}[project].lines[VGPU].used
            if shown == used:
                break
            time.sleep(1)
        assert shown == used


def test_vgpu_limit_zero_refuses_bobs_launch_and_back_lets_it_through(
        cloud_settings, devcloud, bob, server_factory):
    ctx = user_context(devcloud, "admin")
    project_b = devcloud.manifest["projects"]["experiment-b"]
    vgpu_profile = devcloud.manifest["flavors"]["heps.vgpu.a16"]
    _edit, original = _own_limit(ctx, project_b, VGPU)
    try:
        _set(ctx, project_b, VGPU, 0)
        _request, form = _launch_form(devcloud, "bob", name=_uid("it-quota0"),
                                      profile=vgpu_profile)
        assert not form.is_valid()
        errors = str(form.non_field_errors())
        assert QUOTA_MESSAGE in errors and VGPU_MODEL in errors, errors
        assert "of 0 and this desktop needs 1 more" in errors

        _set(ctx, project_b, VGPU, original)
        edit, _current = _own_limit(ctx, project_b, VGPU)
        line = edit.project.lines[VGPU]
        if line.limit is not None and (line.used or 0) + 1 > line.limit:
            pytest.skip(f"experiment-b's vGPUs are all in use by other sessions "
                        f"({line.used}/{line.limit})")
        request, form = _launch_form(devcloud, "bob", name=_uid("it-quota-back"),
                                     profile=vgpu_profile)
        assert form.is_valid(), form.errors
        server = form.handle(request, form.cleaned_data)
        assert server, form.errors
        server_factory.made.append((bob, server.id))
        assert wait_server(bob, server.id)["status"] == "ACTIVE"
    finally:
        _edit, now = _own_limit(ctx, project_b, VGPU)
        if now != original:
            _set(ctx, project_b, VGPU, original)
    assert _own_limit(ctx, project_b, VGPU)[1] == original


def _allocated(admin, server_id):
    """{resource class: (amount, provider traits)} of a server's placement allocations."""
    body = call(admin.placement, "GET", f"/allocations/{server_id}",
                microversion=PLACEMENT_MV)
    found = {}
    for rp_uuid, item in body["allocations"].items():
        traits = call(admin.placement, "GET", f"/resource_providers/{rp_uuid}/traits",
                      microversion=PLACEMENT_MV)["traits"]
        for rclass, amount in item["resources"].items():
            found[rclass] = (amount, set(traits))
    return found


def _offered(devcloud, user):
    return {p.name for p, _specs in
            api.nova_flavors.profile_list_with_specs(user_context(devcloud, user))}


def test_a_profile_made_by_the_service_boots_and_allocates_its_gpu(
        cloud_settings, devcloud, admin, alice, server_factory):
    ctx = user_context(devcloud, "admin")
    name = _uid("it-profile")
    spec = profile_specs.ProfileSpec(
        name=name, gpu_kind=profiles.GPU_VGPU, gpu=f"vgpu:{A16}", gpu_model="IT A16 slice",
        vcpus=2, ram_mb=4096, disk_gb=10, video_model="virtio", video_ram_mb=64,
        description="integration test profile", is_public=True)
    flavor = profiles_admin.create(ctx, spec)
    try:
        _flavor, specs = api.flavors_admin.flavor_get(ctx, flavor.id)
        assert specs == spec.extra_specs()
        assert specs["resources:VGPU"] == "1" and specs[f"trait:{A16}"] == "required"
        assert name in _offered(devcloud, "alice")

        request, form = _launch_form(devcloud, "alice", name=_uid("it-prof-desk"),
                                     profile=flavor.id)
        assert form.is_valid(), form.errors
        server = form.handle(request, form.cleaned_data)
        assert server, form.errors
        server_factory.made.append((alice, server.id))
        shown = wait_server(alice, server.id)
        assert shown["flavor"]["original_name"] == name
        allocated = _allocated(admin, server.id)
        assert allocated["VGPU"][0] == 1
        assert A16 in allocated["VGPU"][1]          # the vGPU type asked for
        assert "CUSTOM_HEPS_GPU_A100" not in allocated

        row = {r.name: r for r in profiles_admin.board(ctx).profiles}[name]
        assert row.problem == ""
        assert server.id in [s.id for s in row.desktops]

        # deleting it while the desktop runs retires it: hidden from launch, kept
        done, users = profiles_admin.delete(ctx, flavor.id)
        assert done == profiles_admin.RETIRED and [s.id for s in users] == [server.id]
        assert name not in _offered(devcloud, "alice")
        _flavor, specs = api.flavors_admin.flavor_get(ctx, flavor.id)
        assert profiles.is_retired(specs)
    finally:
        server_factory.cleanup()
        try:
            api.flavors_admin.flavor_delete(ctx, flavor.id)
        except api.flavors_admin.NotFound:
            pass
