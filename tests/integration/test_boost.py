"""Boost on the dev cloud: a vGPU desktop of a temporary member of experiment-a (a user of
its own: no other test's storage or desktops beside it) is resized to the whole A100 and
back by reconciler passes (the return judged at a time after boost_hours), with placement
holding the right GPU class at each step and the signed expiry believed throughout."""

import datetime
import time
import uuid

import pytest
from cloud_fixtures import call
from cloud_fixtures import nova

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import boost as rules
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import boost
from heps_desktop_dashboard.services import launch
from integration import reconciler_support as support
from integration.storage_support import horizon_key
from integration.storage_support import request_of
from integration.temp_users import temporary_member

pytestmark = pytest.mark.integration
SMALL = "heps.vgpu.a16"
BIG = "heps.a100.full"


@pytest.fixture
def ops(settings, devcloud, monkeypatch):
    horizon_key(settings)
    return support.settings_for(settings, devcloud, monkeypatch, boost_hours=1)


def gpu_classes(admin, server_id):
    """The GPU resource classes placement holds for the server (as its consumer)."""
    body = call(admin.placement, "GET", f"/allocations/{server_id}", microversion="1.12")
    return sorted({rc for item in body["allocations"].values()
                   for rc in item["resources"] if rc == "VGPU" or "GPU" in rc})


def server_of(admin, server_id):
    return nova(admin, "GET", f"/servers/{server_id}")["server"]


def wait_status(admin, server_id, status, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        found = server_of(admin, server_id)
        if found["status"] == status and not found.get("OS-EXT-STS:task_state"):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{server_id}: {found['status']} after {timeout} s")
        time.sleep(0.5)


def passes(ops, admin, server_id, check, now=None, limit=8):
    for _ in range(limit):
        support.run_pass(ops, now=now, only=["boost"])
        found = server_of(admin, server_id)
        if check(found):
            return found
        time.sleep(1.0)
    raise AssertionError(f"{server_id}: not reached in {limit} passes")


def record_of(found):
    return rules.read(conf.signing_key(), found["id"], found.get("metadata"))[0]


def expiry_believed(ctx, server_id):
    server = api.nova.desktop_get(ctx, server_id)
    info = desktops.read_desktop(server, conf.lifetime_policy())
    return info.expiry_problem == ""


@pytest.fixture
def member(admin):
    with temporary_member(admin, "experiment-a", prefix="heps-it-boost") as found:
        yield found


def test_boost_to_a_whole_gpu_and_automatic_return(ops, devcloud, admin, member):
    user, password = member
    ctx = api.context.for_request(request_of(devcloud, user.name, password))
    catalog = {p.name: p for p, _specs in api.nova_flavors.profile_list_with_specs(ctx)}
    server = launch.launch(ctx, launch.LaunchRequest(
        name=f"it-boost-{uuid.uuid4().hex[:8]}",
        image_id=devcloud.manifest["images"][support.IMAGE], profile=catalog[SMALL],
        lifetime_hours=4))
    try:
        wait_status(admin, server.id, "ACTIVE")
        assert gpu_classes(admin, server.id) == ["VGPU"]

        record = boost.boost(ctx, server.id, catalog[BIG].id)
        wait_status(admin, server.id, "VERIFY_RESIZE")
        assert gpu_classes(admin, server.id) == ["CUSTOM_HEPS_GPU_A100"]
        found = passes(ops, admin, server.id, lambda s: s["status"] == "ACTIVE"
                       and (record_of(s) or record).state == rules.BOOSTED)
        assert found["flavor"]["original_name"] == BIG
        assert gpu_classes(admin, server.id) == ["CUSTOM_HEPS_GPU_A100"]
        assert expiry_believed(ctx, server.id)

        later = record.until + datetime.timedelta(minutes=1)
        found = passes(ops, admin, server.id, lambda s: s["status"] == "ACTIVE"
                       and s["flavor"]["original_name"] == SMALL and record_of(s) is None,
                       now=later)
        assert gpu_classes(admin, server.id) == ["VGPU"]
        assert expiry_believed(ctx, server.id)
    finally:
        nova(admin, "DELETE", f"/servers/{server.id}", ok=(204, 404))
