"""Boost on the dev cloud: alice's vGPU desktop is resized to the whole A100 and back by
reconciler passes (the return judged at a time after boost_hours), with placement
holding the right GPU class at each step and the signed expiry believed throughout."""

import datetime
import os
import pathlib
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
from integration.horizon_request import make_request

pytestmark = pytest.mark.integration
SMALL = "heps.vgpu.a16"
BIG = "heps.a100.full"


@pytest.fixture
def ops(settings, devcloud, monkeypatch):
    horizon_key(settings)
    return support.settings_for(settings, devcloud, monkeypatch, boost_hours=1)


def horizon_key(settings):
    """Sign with the SECRET_KEY of the dev Horizon (.horizon): the reconciler that runs
    beside it (make run, the browser tests) acts on every project and takes records
    signed with another key for forged."""
    store = pathlib.Path(os.environ.get("HEPS_HORIZON_STATE")
                         or pathlib.Path(__file__).resolve().parents[2] / ".horizon")
    store = store / ".secret_key_store"
    if store.exists():
        settings.SECRET_KEY = store.read_text().strip()


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


def test_boost_to_a_whole_gpu_and_automatic_return(ops, devcloud, admin):
    ctx = api.context.for_request(make_request(devcloud, "alice"))
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
