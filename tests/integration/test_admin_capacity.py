"""Admin › GPU Capacity and Admin › Desktops on the dev cloud, as its admin: with one
vGPU desktop (heps.vgpu.a16, alice) and one whole-GPU desktop (heps.a100.full, bob) the
board's totals equal placement's inventories and usages read directly, both desktops
are listed as holders with their project and user, the fleet list filters with nova's
own filters, an admin Extend is signed, and shelving both through the admin path frees
their GPUs (shelve-offload) and drops them from the board."""

import time
import uuid

import pytest
from cloud_fixtures import call
from cloud_fixtures import wait_server

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import gpu_capacity
from heps_desktop_dashboard.services import capacity
from heps_desktop_dashboard.services import fleet
from integration.horizon_request import make_request

pytestmark = pytest.mark.integration
MV = "1.14"
VGPU_KEY = ("VGPU", ("CUSTOM_HEPS_GPU_A16",))
A100_KEY = ("CUSTOM_HEPS_GPU_A100", ())
ATTEMPTS = 10


def _gpu(rc):
    return rc == "VGPU" or (rc.startswith("CUSTOM_") and "GPU" in rc)


def placement_direct(admin):
    """{(class, vGPU type traits): (total, reserved, used, free)} read straight from
    placement as admin (the oracle the board must equal)."""
    found = {}
    for rp in call(admin.placement, "GET", "/resource_providers",
                   microversion=MV)["resource_providers"]:
        base = f"/resource_providers/{rp['uuid']}"
        inventories = call(admin.placement, "GET", f"{base}/inventories",
                           microversion=MV)["inventories"]
        gpu = [rc for rc in inventories if _gpu(rc)]
        if not gpu:
            continue
        usages = call(admin.placement, "GET", f"{base}/usages", microversion=MV)["usages"]
        traits = tuple(sorted(t for t in call(admin.placement, "GET", f"{base}/traits",
                                              microversion=MV)["traits"]
                              if t.startswith("CUSTOM_")))
        for rc in gpu:
            inv = inventories[rc]
            capacity_ = int((inv["total"] - inv["reserved"]) * inv["allocation_ratio"])
            key = (rc, traits if rc == "VGPU" else ())
            total, reserved, used, free = found.get(key, (0, 0, 0, 0))
            found[key] = (total + inv["total"], reserved + inv["reserved"],
                          used + usages.get(rc, 0),
                          free + max(capacity_ - usages.get(rc, 0), 0))
    return found


def _numbers(board):
    return {(c.resource_class, c.traits): (c.total, c.reserved, c.used, c.free)
            for c in board.classes}


def consistent_board(ctx, admin):
    """A board read between two equal direct reads (other engineers' tests change
    placement meanwhile: read again until nothing moved under the board)."""
    for _attempt in range(ATTEMPTS):
        before = placement_direct(admin)
        board = capacity.board(ctx)
        if placement_direct(admin) == before:
            return board, before
    raise AssertionError("placement kept changing under the test")


def wait_gpu_freed(admin, server_id, attempts=240):
    for _attempt in range(attempts):
        held = call(admin.placement, "GET", f"/allocations/{server_id}",
                    microversion="1.12")["allocations"]
        if not held:
            return
        time.sleep(0.5)
    raise AssertionError(f"{server_id} still holds {held}")


@pytest.fixture
def admin_ctx(cloud_settings, devcloud):
    return api.context.for_request(make_request(devcloud, "admin",
                                                path="/admin/gpu_capacity/"))


def test_board_equals_placement_and_drops_when_shelved(admin_ctx, admin, alice, bob,
                                                       devcloud, server_factory):
    stamp = uuid.uuid4().hex[:8]
    vgpu = server_factory.create(alice, f"it-cap-vgpu-{stamp}", flavor="heps.vgpu.a16")
    a100 = server_factory.create(bob, f"it-cap-a100-{stamp}", flavor="heps.a100.full",
                                 project="experiment-b")
    ours = {vgpu["id"]: VGPU_KEY, a100["id"]: A100_KEY}

    board, direct = consistent_board(admin_ctx, admin)
    assert _numbers(board) == direct
    assert {VGPU_KEY, A100_KEY} <= set(direct)
    held = {h.consumer_id: h for h in board.holders}
    for server_id, key in ours.items():
        holder = held[server_id]
        assert (holder.resource_class, holder.amount) == (key[0], 1)
        assert holder.server is not None and holder.status == "ACTIVE"
        assert not holder.idle
    assert board.projects[held[vgpu["id"]].server.tenant_id] == "experiment-a"
    assert board.users[held[a100["id"]].server.user_id] == "bob"
    for key in (VGPU_KEY, A100_KEY):  # who holds = placement's usage
        label = gpu_capacity.class_label(*key)
        assert sum(h.amount for h in board.holders if h.label == label) == direct[key][2]

    for server_id in ours:
        fleet.shelve(admin_ctx, server_id)
    for server_id, conn in ((vgpu["id"], alice), (a100["id"], bob)):
        wait_server(conn, server_id, ("SHELVED_OFFLOADED",), timeout=120)
        wait_gpu_freed(admin, server_id)

    after, direct_after = consistent_board(admin_ctx, admin)
    assert _numbers(after) == direct_after
    assert not set(ours) & {h.consumer_id for h in after.holders}
    others_before = {(h.consumer_id, h.resource_class) for h in board.holders
                     if h.consumer_id not in ours}
    others_after = {(h.consumer_id, h.resource_class) for h in after.holders}
    if others_before == others_after:  # nobody else moved: exactly our two GPUs freed
        for key in (VGPU_KEY, A100_KEY):
            assert _numbers(after)[key][2] == _numbers(board)[key][2] - 1
            assert _numbers(after)[key][3] == _numbers(board)[key][3] + 1


def test_fleet_page_filters_and_admin_extend(admin_ctx, alice, bob, devcloud,
                                             server_factory):
    stamp = uuid.uuid4().hex[:8]
    mine = server_factory.create(alice, f"it-fleet-a-{stamp}")
    theirs = server_factory.create(bob, f"it-fleet-b-{stamp}", project="experiment-b")
    project_a = devcloud.manifest["projects"]["experiment-a"]

    page = fleet.page(admin_ctx, 200, filters=fleet.Filters(project_id=project_a))
    ids = {s.id for s in page.servers}
    assert mine["id"] in ids and theirs["id"] not in ids
    assert page.projects[project_a] == "experiment-a"
    listed = next(s for s in page.servers if s.id == mine["id"])
    on_host = getattr(listed, "OS-EXT-SRV-ATTR:host")
    page = fleet.page(admin_ctx, 200, filters=fleet.Filters(
        host=on_host, status="ACTIVE", profile="heps.cpu.std",
        user_id=devcloud.manifest["users"]["alice"]))
    assert mine["id"] in {s.id for s in page.servers}
    assert theirs["id"] not in {s.id for s in page.servers}
    page = fleet.page(admin_ctx, 200, filters=fleet.Filters(status="SHUTOFF"))
    assert mine["id"] not in {s.id for s in page.servers}

    policy = conf.lifetime_policy()
    server = api.nova_admin.desktop_get_any_project(admin_ctx, theirs["id"])
    before = desktops.read_desktop(server, policy).expires_at
    new = fleet.extend(admin_ctx, theirs["id"], policy.max_hours + 24, "it: beamtime")
    again = api.nova_admin.desktop_get_any_project(admin_ctx, theirs["id"])
    info = desktops.read_desktop(again, policy)
    assert info.expiry_problem == "" and info.expires_at == new
    assert new > before
