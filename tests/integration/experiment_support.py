"""Helpers of the experiment-data integration tests (test_experiment_*.py; the fixtures
are in integration/conftest.py).

Desktops are launched through the plugin's launch service with a real user token
(integration/horizon_request.py); attaching and detaching is carried on by the
reconciler's steps with the operator's context, as in production (no GET moves
anything on); what was done is checked with the real APIs as admin (access rules with
their addresses and levels, share attachments, locks), not with the plugin's readers.
"""

import uuid

from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import wait_until
from cloud_fixtures import why_error

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import launch
from heps_desktop_dashboard.services import reconcile

EXPERIMENT = "2026-0142"          # alice's (experiment-a)
BOB_EXPERIMENT = "2026-0217"      # bob's (experiment-b)
MANILA_MV = "2.45"
PROFILE = "heps.cpu.std"
IMAGE = "heps-imaging-desktop-2026.1"
VIRTIOFS, ACCESS_RULE = mounts.MODE_VIRTIOFS, mounts.MODE_ACCESS_RULE


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def mount_mode(settings, mode):
    """Set the deployment's share mount mode (the only place a mode comes from)."""
    settings.HEPS_DESKTOPS = dict(settings.HEPS_DESKTOPS, share_mount_mode=mode)


def manila_call(conn, method, url, ok=(200, 201, 202, 204), **kw):
    headers = {"X-OpenStack-Manila-API-Version": MANILA_MV}
    return call(conn.shared_file_system, method, url, ok, headers=headers, **kw)


def rules_of(admin, share_id):
    """Every access rule of a share, as admin sees them (addresses not masked)."""
    return manila_call(admin, "GET", f"/share-access-rules?share_id={share_id}")["access_list"]


def desktop_rules(admin, share_id, desktop_id):
    return [r for r in rules_of(admin, share_id)
            if (r.get("metadata") or {}).get("heps:desktop") == desktop_id]


def nova_rules_for(admin, share_id, server_id):
    """Rules nova locked for this instance's share attachment (resource locks, 2.81)."""
    locks = call(admin.shared_file_system, "GET",
                 "/resource-locks?resource_type=access_rule&all_projects=True",
                 headers={"X-OpenStack-Manila-API-Version": "2.81"})["resource_locks"]
    locked = {lock["resource_id"] for lock in locks
              if server_id in (lock.get("lock_reason") or "")}
    return [r for r in rules_of(admin, share_id) if r["id"] in locked]


def available(conn, share_id):
    share = manila_call(conn, "GET", f"/shares/{share_id}")["share"]
    if share["status"] == "error":
        raise AssertionError(f"share {share_id} went to error")
    return share if share["status"] == "available" else None


def create_share(conn, experiment, kind, proto="NFS", share_type=None, settle=True,
                 on_created=None):
    """A share of ``experiment`` made by ``conn``; ``on_created(id)`` right after the
    POST (so a teardown deletes it even if it never settles)."""
    body = {"share": {"name": uid(f"it-{kind}"), "share_proto": proto, "size": 1,
                      "metadata": {"heps:experiment": experiment, "heps:kind": kind}}}
    if share_type:
        body["share"]["share_type"] = share_type
    share = manila_call(conn, "POST", "/shares", json=body)["share"]
    if on_created:
        on_created(share["id"])
    if not settle:
        return wait_until(lambda: manila_call(conn, "GET", f"/shares/{share['id']}")[
            "share"]["status"] in ("available", "error") and share, 90,
            what=f"share {share['id']} created")
    return wait_until(lambda: available(conn, share["id"]), 90,
                      what=f"share {share['id']} available")


def profile_named(ctx, name=PROFILE):
    return next(p for p, _specs in api.nova_flavors.profile_list_with_specs(ctx)
                if p.name == name)


class Desktops:
    """Desktops launched through the plugin's launch service (services.launch, what the
    Launch form calls), deleted at teardown whatever the test did."""

    def __init__(self, devcloud, admin):
        self.devcloud, self.admin, self.made = devcloud, admin, []

    def launch(self, ctx, name, experiment=None, wait_active=False, hours=2):
        plan = experiments.plan_for(ctx, experiment) if experiment else None
        server = launch.launch(ctx, launch.LaunchRequest(
            name=name, image_id=self.devcloud.manifest["images"][IMAGE],
            profile=profile_named(ctx), lifetime_hours=hours, plan=plan))
        self.made.append(server.id)
        if wait_active:
            self.wait_status(ctx, server.id, "ACTIVE")
        return server

    def wait_status(self, ctx, server_id, status, timeout=120):
        def ready():
            server = api.nova.desktop_get(ctx, server_id)
            if server.status == "ERROR":
                raise AssertionError(why_error({"id": server_id,
                                                "fault": getattr(server, "fault", None)}))
            return server if server.status == status and not getattr(
                server, "OS-EXT-STS:task_state", None) else None
        return wait_until(ready, timeout, what=f"{server_id} {status}")

    def wait_gone(self, server_id, timeout=120):
        def gone():
            resp = self.admin.compute.get(f"/servers/{server_id}", microversion="2.97")
            return resp.status_code == 404
        wait_until(gone, timeout, what=f"{server_id} deleted")

    def cleanup(self):
        for server_id in self.made:
            nova(self.admin, "DELETE", f"/servers/{server_id}", ok=(204, 404))
        for server_id in self.made:
            try:
                self.wait_gone(server_id)
            except AssertionError:
                pass


def _settled(server, want):
    """The server when its data state is ``want`` ("": no data keys left) and nova has
    no task; raises when the data went to error unexpectedly."""
    data = mounts.read_data_state(server.metadata)
    if data.state == mounts.STATE_ERROR and want != mounts.STATE_ERROR:
        raise AssertionError(f"experiment data went to error: {data.error}")
    if data.state == want and not getattr(server, "OS-EXT-STS:task_state", None) \
            and server.status in ("ACTIVE", "SHUTOFF"):
        return server
    return None


def drive(ctx, server_id, want, timeout=150):
    """Carry one desktop's attach/detach on as the reconciler does, one step at a time
    (``data_attach.advance``; ``ctx``: the operator's, as the reconciler, or a user's),
    until the data state is ``want``."""
    def done():
        server = api.nova.server_find(ctx, server_id)
        if server is None:
            raise AssertionError(f"server {server_id} is gone")
        if _settled(server, want):
            return server
        data_attach.advance(ctx, server)
        return None
    return wait_until(done, timeout, interval=1, what=f"data state {want!r} on {server_id}")


def run_passes(operator, server_id, want, timeout=150):
    """Whole reconciler passes (the data part, every desktop) until the desktop's data
    state is ``want``; returns the server and how many passes it took."""
    count = 0

    def done():
        nonlocal count
        server = api.nova.server_find(operator, server_id)
        if server is not None and _settled(server, want):
            return server
        report = reconcile.Pass(operator, only=("data",)).run()
        count += 1
        mine = [a for a in report.failed if server_id in a.desktop]
        assert not mine, [a.line() for a in mine]
        return None
    server = wait_until(done, timeout, interval=1, what=f"data state {want!r} on {server_id}")
    return server, count


def fixed_ip(server):
    return mounts.fixed_address(server.addresses)
