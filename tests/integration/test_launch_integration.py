"""The launch form's readings and the form itself against the dev cloud (no mocks):
GPU capacity from placement (as admin), quota from nova and keystone (as alice), a
launch through LaunchForm, and a GPU quota exceeded both before submit and by nova.
The api/ functions get a real user's api context (integration/horizon_request.py)."""

import time

import pytest
from cloud_fixtures import PLACEMENT_MV
from cloud_fixtures import SEED
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import wait_server

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import quota
from heps_desktop_dashboard.dashboards.project.desktops import forms as launch_forms
from integration.horizon_request import make_request
from integration.horizon_request import user_context

pytestmark = pytest.mark.integration

A100 = "CUSTOM_HEPS_GPU_A100"
VGPU_REQUEST = quota.GpuRequest("VGPU", 1, ("CUSTOM_HEPS_GPU_A16",))
A100_REQUEST = quota.GpuRequest(A100, 1)


@pytest.fixture
def cloud(cloud_settings, devcloud):
    return devcloud


def _uid(prefix):
    return f"{prefix}-{int(time.time() * 1000) % 10**8}"


def _free_the_long_way(admin, wanted):
    """Free units per GpuRequest from every provider's inventories, usages and traits
    (total - reserved - used), the way an operator would add them up by hand."""
    def get(path):
        return call(admin.placement, "GET", path, microversion=PLACEMENT_MV)

    providers = get("/resource_providers")["resource_providers"]
    traits = {rp["uuid"]: set(get(f"/resource_providers/{rp['uuid']}/traits")["traits"])
              for rp in providers}
    roots = {rp["uuid"]: rp["root_provider_uuid"] for rp in providers}
    free = {}
    for request in wanted:
        total = 0
        for rp in providers:
            if not set(request.required) <= traits[rp["uuid"]]:
                continue
            if "COMPUTE_STATUS_DISABLED" in traits[roots[rp["uuid"]]]:
                continue
            inventory = get(f"/resource_providers/{rp['uuid']}/inventories")["inventories"]
            inv = inventory.get(request.resource_class)
            if not inv:
                continue
            used = get(f"/resource_providers/{rp['uuid']}/usages")["usages"].get(
                request.resource_class, 0)
            total += max(int((inv["total"] - inv["reserved"]) * inv["allocation_ratio"])
                         - used, 0)
        free[request] = total
    return free


def test_gpu_capacity_as_admin_matches_inventories_minus_usages(cloud, admin):
    request = make_request(cloud, "admin")
    assert request.user.is_superuser
    ctx = api.context.for_request(request)
    assert ctx.is_admin and not ctx.operator
    wanted = [VGPU_REQUEST, A100_REQUEST]
    for _attempt in range(5):  # other test sessions may boot or delete meanwhile
        before = _free_the_long_way(admin, wanted)
        ours = api.placement.gpu_free(ctx, wanted)
        after = _free_the_long_way(admin, wanted)
        if before == after:
            break
        time.sleep(1)
    assert before == after, "placement kept changing under the test"
    assert ours == before
    # the dev cloud has 2 hosts x 4 vGPU slices and 2 hosts x 2 A100
    assert 0 <= ours[VGPU_REQUEST] <= 8
    assert 0 <= ours[A100_REQUEST] <= 4


def test_gpu_capacity_is_unknown_for_a_project_member(cloud):
    request = make_request(cloud, "alice")
    assert not request.user.is_superuser
    assert api.placement.gpu_free(api.context.for_request(request), [VGPU_REQUEST]) is None


def test_quota_readable_as_alice(cloud, admin):
    limits = api.nova_flavors.absolute_limits(user_context(cloud, "alice"))
    assert limits["maxTotalInstances"] == SEED.PROJECT_LIMITS["servers"]
    assert limits["maxTotalCores"] == SEED.PROJECT_LIMITS["class:VCPU"]
    assert limits["maxTotalRAMSize"] == SEED.PROJECT_LIMITS["class:MEMORY_MB"]
    for key in ("totalInstancesUsed", "totalCoresUsed", "totalRAMUsed"):
        assert limits[key] >= 0

    names = ["class:VGPU", f"class:{A100}"]
    assert api.keystone.compute_limits(user_context(cloud, "alice"), names) == {
        name: SEED.PROJECT_LIMITS[name] for name in names}

    # GPU usage: placement's /usages is readable by the project's members, and agrees
    # with the count from the project's servers (retried: other sessions boot too)
    for _attempt in range(5):
        placement_usage = api.placement.project_usages(user_context(cloud, "alice"))
        counted = api.nova_flavors.gpu_usage_from_servers(user_context(cloud, "alice"))
        if all(placement_usage.get(rc, 0) == counted.get(rc, 0) for rc in ("VGPU", A100)):
            break
        time.sleep(1)
    assert all(placement_usage.get(rc, 0) == counted.get(rc, 0) for rc in ("VGPU", A100)), (
        placement_usage, counted)


def test_registered_limits_apply_without_a_project_limit(cloud, admin):
    """The admin project has no project limits: keystone's registered limits apply."""
    registered = call(admin.identity, "GET", "/registered_limits")["registered_limits"]
    expected = {r["resource_name"]: r["default_limit"] for r in registered
                if r["resource_name"] in ("class:VGPU", f"class:{A100}")}
    ctx = user_context(cloud, "admin")
    own = call(admin.identity, "GET", f"/limits?project_id={ctx.project_id}")["limits"]
    if any(lim["resource_name"] in expected for lim in own):
        pytest.skip("the admin project has GPU project limits on this cloud")
    assert api.keystone.compute_limits(ctx, list(expected)) == expected


def _launch_form(cloud, **values):
    """A bound LaunchForm posted as alice, defaults filled in like a browser would."""
    blank = launch_forms.LaunchForm(make_request(cloud, "alice"))
    data = {name: field.initial for name, field in blank.fields.items()
            if field.initial is not None}
    data["experiment"] = ""
    data.update(values)
    request = make_request(cloud, "alice", method="POST",
                           path="/project/desktops/launch/", data=data)
    return request, launch_forms.LaunchForm(request, data=data)


def test_launch_form_starts_a_tagged_desktop(cloud, alice, server_factory):
    name = _uid("it-launch")
    request, form = _launch_form(cloud, name=name, profile=cloud.manifest["flavors"][
        "heps.cpu.std"], experiment="2026-0142", lifetime_hours=8)
    assert form.is_valid(), form.errors
    server = form.handle(request, form.cleaned_data)
    assert server, form.errors
    server_factory.made.append((alice, server.id))
    shown = wait_server(alice, server.id)
    assert shown["name"] == name
    assert shown["tags"] == ["heps-desktop"]
    assert shown["flavor"]["original_name"] == "heps.cpu.std"
    assert shown["user_id"] == cloud.manifest["users"]["alice"]  # the owner
    meta = shown["metadata"]
    assert "heps:owner" not in meta
    assert meta["heps:expires_sig"].startswith(f"v1 l {meta['heps:expires_at']} ")
    assert meta["heps:profile"] == "heps.cpu.std"
    assert meta["heps:experiment"] == "2026-0142"
    assert meta["heps:expires_at"].endswith("Z")
    assert list(shown["addresses"]) == ["desktop-net"]
    assert {a.get("OS-EXT-IPS:type") for a in shown["addresses"]["desktop-net"]} == {"fixed"}

    # the same form posted again is refused, and so is an identical launch seconds later
    request2 = make_request(cloud, "alice", method="POST")
    request2.session = request.session
    again = launch_forms.LaunchForm(request2, data=form.data)
    assert not again.is_valid()
    assert "already submitted" in str(again.non_field_errors())
    twin_data = {**form.data, "launch_token": ""}
    request3 = make_request(cloud, "alice", method="POST")
    twin = launch_forms.LaunchForm(request3, data=twin_data)
    assert twin.is_valid(), twin.errors
    assert twin.handle(request3, twin.cleaned_data) is False
    assert "launched less than" in str(twin.non_field_errors())


def _server_names(conn):
    return {s["name"] for s in nova(conn, "GET", "/servers")["servers"]}


def test_gpu_quota_exceeded_is_a_form_error_and_creates_nothing(cloud, alice, admin,
                                                                server_factory,
                                                                monkeypatch):
    name = f"class:{A100}"
    limit = api.keystone.compute_limits(user_context(cloud, "alice"), [name])[name]
    used = api.placement.project_usages(user_context(cloud, "alice")).get(A100, 0)
    free = api.placement.gpu_free(user_context(cloud, "admin"), [A100_REQUEST])[A100_REQUEST]
    if limit - used > free:
        pytest.skip(f"not enough free A100 in the cloud to fill alice's quota "
                    f"({used}/{limit} used, {free} free)")
    for i in range(limit - used):
        server_factory.create(alice, _uid(f"it-fill{i}"), flavor="heps.a100.full")

    a100 = cloud.manifest["flavors"]["heps.a100.full"]
    _request, form = _launch_form(cloud, name=_uid("it-over"), profile=a100)
    assert not form.is_valid()
    errors = str(form.non_field_errors())
    assert "Quota exceeded for GPU: NVIDIA A100 80GB (simulated)" in errors, errors
    assert f"uses {limit} of {limit}" in errors

    # quota readings that are stale (or unreadable): nova itself refuses, the form says
    # which resource, and no server is left behind
    monkeypatch.setattr(api.keystone, "compute_limits",
                        lambda ctx, names, project_id=None: {})
    over_name = _uid("it-over-nova")
    request, form = _launch_form(cloud, name=over_name, profile=a100)
    assert form.is_valid(), form.errors
    assert form.handle(request, form.cleaned_data) is False
    errors = str(form.non_field_errors())
    assert "Quota exceeded for GPU: NVIDIA A100 80GB (simulated)" in errors, errors
    assert "over limit" in errors
    assert over_name not in _server_names(alice)  # other sessions may boot meanwhile
