"""Desktops as nova servers on the dev cloud: tags, project isolation, GPUs in
placement, GPU quotas (keystone unified limits) and share attachments (2.97)."""

import time

import pytest
from cloud_fixtures import DESKTOP_TAG
from cloud_fixtures import PLACEMENT_MV
from cloud_fixtures import SEED
from cloud_fixtures import ApiError
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import wait_server

pytestmark = pytest.mark.integration


def _uid(prefix):
    return f"{prefix}-{int(time.time() * 1000) % 10**8}"


def _allocations(admin, server_id):
    """{resource provider name: {resource class: amount}} of a server."""
    allocs = call(admin.placement, "GET", f"/allocations/{server_id}",
                  microversion=PLACEMENT_MV)["allocations"]
    named = {}
    for rp_uuid, alloc in allocs.items():
        rp = call(admin.placement, "GET", f"/resource_providers/{rp_uuid}",
                  microversion=PLACEMENT_MV)
        named[rp["name"]] = alloc["resources"]
    return named


def _traits(admin, rp_name):
    rps = call(admin.placement, "GET", f"/resource_providers?name={rp_name}",
               microversion=PLACEMENT_MV)["resource_providers"]
    return set(call(admin.placement, "GET",
                    f"/resource_providers/{rps[0]['uuid']}/traits",
                    microversion=PLACEMENT_MV)["traits"])


def test_desktop_listing_by_tag_is_per_project(alice, bob, server_factory, devcloud):
    desktop = server_factory.create(alice, _uid("it-desktop"))
    plain = server_factory.create(alice, _uid("it-plain"), flavor="m1.small",
                                  image="cirros-plain", desktop=False)

    tagged = nova(alice, "GET", f"/servers/detail?tags={DESKTOP_TAG}")["servers"]
    ids = {s["id"] for s in tagged}
    assert desktop["id"] in ids
    assert plain["id"] not in ids
    shown = next(s for s in tagged if s["id"] == desktop["id"])
    assert shown["tags"] == [DESKTOP_TAG]
    meta = shown["metadata"]
    assert meta["heps:experiment"] == "2026-0142"
    assert meta["heps:profile"] == "heps.cpu.std"
    assert shown["user_id"] == devcloud.manifest["users"]["alice"]  # the owner
    assert "heps:owner" not in meta
    assert meta["heps:expires_at"].endswith("Z")
    assert list(shown["addresses"]) == ["desktop-net"]

    theirs = nova(bob, "GET", f"/servers/detail?tags={DESKTOP_TAG}")["servers"]
    assert desktop["id"] not in {s["id"] for s in theirs}
    with pytest.raises(ApiError, match="404"):
        nova(bob, "GET", f"/servers/{desktop['id']}")


def test_vgpu_desktop_holds_a_vgpu_in_placement(alice, admin, server_factory):
    server = server_factory.create(alice, _uid("it-vgpu"), flavor="heps.vgpu.a16")
    allocs = _allocations(admin, server["id"])
    vgpu = {rp: r for rp, r in allocs.items() if "VGPU" in r}
    assert len(vgpu) == 1, allocs
    (rp_name, resources), = vgpu.items()
    assert resources["VGPU"] == 1
    assert rp_name.endswith("_pgpu0"), rp_name
    assert "CUSTOM_HEPS_GPU_A16" in _traits(admin, rp_name)
    assert not any("CUSTOM_HEPS_GPU_A100" in r for r in allocs.values())


def test_whole_gpu_desktop_holds_an_a100_and_the_gpu_quota_holds(
        bob, admin, server_factory):
    stamp = _uid("it-a100")
    server = server_factory.create(bob, stamp, flavor="heps.a100.full",
                                   project="experiment-b")
    allocs = _allocations(admin, server["id"])
    gpu = {rp: r["CUSTOM_HEPS_GPU_A100"] for rp, r in allocs.items()
           if "CUSTOM_HEPS_GPU_A100" in r}
    assert list(gpu.values()) == [1], allocs
    assert next(iter(gpu)) in ("heps-gpu-01", "heps-gpu-02")
    assert not any("VGPU" in r for r in allocs.values())

    # experiment-b may hold class:CUSTOM_HEPS_GPU_A100 (a keystone unified
    # limit) whole GPUs: keep booting until nova refuses, naming that limit
    limit = SEED.PROJECT_LIMITS["class:CUSTOM_HEPS_GPU_A100"]
    with pytest.raises(ApiError, match=r"403.*class:CUSTOM_HEPS_GPU_A100 is over limit"):
        for i in range(limit):
            server_factory.create(bob, f"{stamp}-{i}", flavor="heps.a100.full",
                                  project="experiment-b")


def test_share_attachment_on_a_stopped_desktop(alice, devcloud, server_factory):
    server = server_factory.create(alice, _uid("it-share"))
    sid = server["id"]
    share_id = devcloud.manifest["shares"]["experiment-a"]["exp-2026-0142-raw"]

    # attaching needs a stopped server (nova answers 409 otherwise)
    with pytest.raises(ApiError, match="409"):
        nova(alice, "POST", f"/servers/{sid}/shares",
             json={"share": {"share_id": share_id}})
    nova(alice, "POST", f"/servers/{sid}/action", json={"os-stop": None})
    wait_server(alice, sid, ("SHUTOFF",))

    created = nova(alice, "POST", f"/servers/{sid}/shares",
                   json={"share": {"share_id": share_id}})["share"]
    assert created["share_id"] == share_id

    deadline = time.monotonic() + 60
    while True:
        shares = nova(alice, "GET", f"/servers/{sid}/shares")["shares"]
        assert [s["share_id"] for s in shares] == [share_id]
        if shares[0]["status"] != "attaching" or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert shares[0]["status"] == "inactive", shares
