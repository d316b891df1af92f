"""My storage on the dev cloud's Cinder, as a temporary member of experiment-a (its own
personal volume, so other tests' desktops are never candidates): created once, attached
by reconciler passes to the newest running desktop, detached by Delete and kept over 5
launch/delete cycles (make soak; make test runs one), moved between two desktops with Move
My Storage here."""

import uuid

import pytest
from cloud_fixtures import nova

from heps_desktop_dashboard import api
from heps_desktop_dashboard.services import desktop_actions
from heps_desktop_dashboard.services import home_storage
from heps_desktop_dashboard.services import launch
from integration import reconciler_support as support
from integration.storage_support import cinder
from integration.storage_support import horizon_key
from integration.storage_support import request_of
from integration.storage_support import wait_for
from integration.temp_users import temporary_member

pytestmark = pytest.mark.integration
PROJECT = "experiment-a"



@pytest.fixture
def member(admin):
    with temporary_member(admin, PROJECT, prefix="heps-it-home") as found:
        yield found


@pytest.fixture
def ops(settings, devcloud, monkeypatch):
    horizon_key(settings)
    return support.settings_for(settings, devcloud, monkeypatch, home_volume_gb=1)


class Storage:
    def __init__(self, devcloud, admin, ctx):
        self.devcloud, self.admin, self.ctx = devcloud, admin, ctx
        self.servers = []
        self.launcher = support.Launcher(devcloud, admin)

    def launch(self):
        profile = next(p for p, _specs in api.nova_flavors.profile_list_with_specs(self.ctx)
                       if p.name == support.CPU_PROFILE)
        server = launch.launch(self.ctx, launch.LaunchRequest(
            name=f"it-home-{uuid.uuid4().hex[:8]}",
            image_id=self.devcloud.manifest["images"][support.IMAGE], profile=profile,
            lifetime_hours=2))
        self.servers.append(server.id)
        self.launcher.wait(server.id, ("ACTIVE",))
        return server.id

    def volume(self, volume_id):
        return cinder(self.admin, "GET", f"/volumes/{volume_id}", ok=(200, 404)).get("volume")

    def attached_to(self, volume_id):
        volume = self.volume(volume_id)
        if volume is None or volume["status"] not in ("in-use", "available"):
            return None
        return [a["server_id"] for a in volume["attachments"]]

    def attach_within_passes(self, ops, volume_id, server_id, limit=10):
        """The reconciler's storage part, pass after pass, until the volume is attached
        to ``server_id`` (one nova call a pass: detach, then attach)."""
        for _ in range(limit):
            support.run_pass(ops, only=["storage"])
            if wait_for(lambda: self.settled(volume_id), "volume settled", timeout=30) \
                    and self.attached_to(volume_id) == [server_id]:
                return
        raise AssertionError(f"{volume_id} not attached to {server_id} in {limit} passes")

    def settled(self, volume_id):
        volume = self.volume(volume_id)
        return volume is not None and volume["status"] in ("in-use", "available")

    def cleanup(self):
        for server_id in self.servers:
            nova(self.admin, "DELETE", f"/servers/{server_id}", ok=(204, 404))


def storage_test(ops, devcloud, admin, member, cycles):
    """Made once; ``cycles`` launch/delete cycles (attached to each new desktop, detached by
    Delete, kept); then two desktops: the newer gets it, Move takes it to the older."""
    user, password = member
    ctx = api.context.for_request(request_of(devcloud, user.name, password))
    made = Storage(devcloud, admin, ctx)
    home = None
    try:
        home, created = home_storage.ensure_home(ctx)
        assert created and home.size == 1 and home.user_id == ctx.user_id
        again, created_again = home_storage.ensure_home(ctx)
        assert (again.id, created_again) == (home.id, False)
        wait_for(lambda: made.attached_to(home.id) == [], "volume available")

        for _cycle in range(cycles):
            server_id = made.launch()
            made.attach_within_passes(ops, home.id, server_id)
            desktop_actions.delete(ctx, server_id)
            wait_for(lambda: made.attached_to(home.id) == [], "detached by Delete")
        assert len(home_storage.homes_of_user(ctx)) == 1

        first = made.launch()
        second = made.launch()
        made.attach_within_passes(ops, home.id, second)
        home_storage.move_here(ctx, first)
        made.attach_within_passes(ops, home.id, first)
        support.run_pass(ops, only=["storage"])
        assert made.attached_to(home.id) == [first]          # the owner's choice stays
        overview = home_storage.overview(ctx)
        assert overview.home.attached_to == (first,) and "gigabytes" in overview.quota
    finally:
        made.cleanup()
        if home is not None:
            wait_for(lambda: (made.volume(home.id) or {}).get("status") in (
                None, "available", "error"), "volume free", timeout=60)
            cinder(admin, "DELETE", f"/volumes/{home.id}", ok=(202, 404))


def test_my_storage_is_made_once_follows_the_newest_desktop_and_moves(
        ops, devcloud, admin, member):
    storage_test(ops, devcloud, admin, member, cycles=1)


@pytest.mark.soak
def test_my_storage_survives_five_launch_delete_cycles(ops, devcloud, admin, member):
    storage_test(ops, devcloud, admin, member, cycles=5)
