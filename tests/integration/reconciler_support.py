"""Helpers for the reconciler's integration tests: launch desktops through the plugin's
services with a real user token, run reconciler passes in-process with the dev cloud's
admin credential, and read access rules back through Manila as admin."""

import datetime
import threading
import time
import uuid

import pytest
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import why_error

from heps_desktop_dashboard import api
from heps_desktop_dashboard.api import context
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import launch
from heps_desktop_dashboard.services import reconcile
from integration.horizon_request import make_request
from integration.horizon_request import use_devcloud

EXPERIMENT = "2026-0142"   # alice's (experiment-a)
CPU_PROFILE = "heps.cpu.std"
IMAGE = "heps-imaging-desktop-2026.1"
MANILA_MV = "2.45"


def settings_for(settings, devcloud, monkeypatch, **overrides):
    use_devcloud(settings, devcloud)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(devcloud.clouds_yaml))
    monkeypatch.setattr(context, "_operators", {})
    settings.HEPS_DESKTOPS = {"network": "desktop-net", "security_group": "heps-desktop",
                              "share_mount_mode": "access-rule",
                              "default_lifetime_hours": 24, "max_lifetime_hours": 168,
                              "expiry_warning_hours": 4, **overrides}
    return context.for_operator("devcloud-admin")


def run_pass(ops, **kwargs):
    lines = []
    report = reconcile.Pass(ops, out=lines.append, **kwargs).run()
    report.lines = lines
    return report


class Launcher:
    """Desktops made by the plugin's launch service as alice; deleted at the end."""

    def __init__(self, devcloud, admin):
        self.devcloud = devcloud
        self.admin = admin
        self.made = []

    def user(self, username="alice"):
        return api.context.for_request(make_request(self.devcloud, username))

    def launch(self, ctx=None, experiment=EXPERIMENT, hours=8, wait_active=True):
        ctx = ctx or self.user()
        profile = next(p for p, _specs in api.nova_flavors.profile_list_with_specs(ctx)
                       if p.name == CPU_PROFILE)
        plan = experiments.plan_for(ctx, experiment) if experiment else None
        server = launch.launch(ctx, launch.LaunchRequest(
            name=f"it-rec-{uuid.uuid4().hex[:8]}",
            image_id=self.devcloud.manifest["images"][IMAGE], profile=profile,
            lifetime_hours=hours, plan=plan))
        self.made.append(server.id)
        if wait_active:
            self.wait(server.id, ("ACTIVE",))
        return server

    def get(self, server_id):
        found = nova(self.admin, "GET", f"/servers/{server_id}", ok=(200, 404))
        return found.get("server")

    def wait(self, server_id, statuses, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            server = self.get(server_id)
            status = server["status"] if server else "GONE"
            if status in statuses and not (server or {}).get("OS-EXT-STS:task_state"):
                return server
            if status == "ERROR":
                raise AssertionError(why_error(server))
            if time.monotonic() > deadline:
                raise AssertionError(f"{server_id} still {status} after {timeout} s")
            time.sleep(0.5)

    def cleanup(self):
        for server_id in self.made:
            nova(self.admin, "DELETE", f"/servers/{server_id}", ok=(204, 404))


def plugin_rules(admin, share_id, desktop_id):
    """Every live rule the plugin made on a share for a desktop, read as admin."""
    rules = call(admin.shared_file_system, "GET",
                 f"/share-access-rules?share_id={share_id}",
                 headers={"X-OpenStack-Manila-API-Version": MANILA_MV})["access_list"]
    return [r for r in rules if (r.get("metadata") or {}).get("heps:desktop") == desktop_id
            and r.get("state") not in ("queued_to_deny", "denying")]


def experiment_rules(admin, devcloud, desktop_id):
    shares = devcloud.manifest["shares"]["experiment-a"]
    return [rule for share_id in shares.values()
            for rule in plugin_rules(admin, share_id, desktop_id)]


def passes_until(ops, check, limit=6, pause=1.0):
    """Run passes until ``check()`` holds; returns how many were needed."""
    for count in range(1, limit + 1):
        run_pass(ops)
        if check():
            return count
        time.sleep(pause)
    raise AssertionError(f"not reached after {limit} passes")


class LoopingReconciler:
    """Passes in a thread, as ``--loop`` runs them next to Horizon."""

    def __init__(self, ops, interval=0.5):
        self.ops = ops
        self.interval = interval
        self.stop = threading.Event()
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            try:
                run_pass(self.ops)
            except Exception as exc:  # recorded, the test asserts on it
                self.errors.append(exc)
            self.stop.wait(self.interval)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=120)


def utc_text(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(name="launcher")
def launcher_fixture(devcloud, admin):
    made = Launcher(devcloud, admin)
    yield made
    made.cleanup()
