"""My storage (services/home_storage.py, home_storage_steps.py) with the api layer
mocked: one volume per user and project, owned by Cinder's user_id (never the editable
metadata), created once within the quota, moved between the owner's desktops only,
detached before a delete and kept; the reconciler's one step per pass."""

import types
from unittest import mock

import pytest
from django.test import override_settings

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import home_storage
from heps_desktop_dashboard.services import home_storage_steps as steps
from heps_desktop_dashboard.services import revocation
from test_data import contexts

PROJECT = "p-1"
ALICE = "test-user-id"
HOME_META = {names.VOLUME_META_KIND: names.VOLUME_KIND_HOME,
             names.VOLUME_META_OWNER: ALICE}


def volume(vid="vol-1", user_id=ALICE, status="available", attached=(), metadata=None,
           created="2026-11-29T05:00:00.000000", project=PROJECT):
    return {"id": vid, "name": "heps-home-alice", "size": 10, "status": status,
            "user_id": user_id, "os-vol-tenant-attr:tenant_id": project,
            "created_at": created, "metadata": dict(HOME_META if metadata is None
                                                    else metadata),
            "attachments": [{"server_id": sid} for sid in attached]}


def desktop(sid, created="2026-11-29T05:00:00Z", user_id=ALICE, status="ACTIVE",
            task=None, metadata=None, project=PROJECT):
    return types.SimpleNamespace(id=sid, name=f"desktop-{sid}", user_id=user_id,
                                 tenant_id=project, created=created, status=status,
                                 metadata=dict(metadata or {}),
                                 **{"OS-EXT-STS:task_state": task})


@pytest.fixture
def user():
    return contexts.user_context(project_id=PROJECT, username="alice")


@pytest.fixture
def cinder():
    with mock.patch.object(api.cinder, "in_catalog", return_value=True), \
            mock.patch.object(api.cinder, "volume_list", return_value=[]) as listing, \
            mock.patch.object(api.cinder, "volume_create") as create, \
            mock.patch.object(api.cinder, "volume_delete") as delete, \
            mock.patch.object(api.cinder, "volume_get") as get, \
            mock.patch.object(api.cinder, "volume_set_metadata") as set_meta, \
            mock.patch.object(api.cinder, "quota_usage", return_value={
                "volumes": {"limit": 10, "in_use": 1, "reserved": 0},
                "gigabytes": {"limit": 100, "in_use": 40, "reserved": 0}}) as usage, \
            mock.patch.object(api.nova_volumes, "volume_attach") as attach, \
            mock.patch.object(api.nova_volumes, "volume_detach") as detach, \
            mock.patch.object(api.nova_volumes, "volume_attachments",
                              return_value=[]) as attachments, \
            mock.patch.object(api.nova, "desktop_get") as get_desktop:
        yield types.SimpleNamespace(list=listing, create=create, delete=delete, get=get,
                                    set_meta=set_meta, usage=usage, attach=attach,
                                    detach=detach, attachments=attachments,
                                    desktop=get_desktop)


# --- finding and creating -------------------------------------------------------------------

def test_the_home_is_the_users_own_volume_whatever_its_metadata_says(user, cinder):
    cinder.list.return_value = [
        volume("bobs", user_id="bob"),                       # heps:owner=alice, bob's
        volume("plain", metadata={}),                        # not a home volume
        volume("mine", metadata={names.VOLUME_META_KIND: names.VOLUME_KIND_HOME,
                                 names.VOLUME_META_OWNER: "bob"})]
    assert home_storage.find_home(user).id == "mine"


def test_ensure_home_reuses_the_existing_volume(user, cinder):
    cinder.list.return_value = [volume()]
    home, created = home_storage.ensure_home(user)
    assert (home.id, created) == ("vol-1", False)
    cinder.create.assert_not_called()


@override_settings(HEPS_DESKTOPS={"home_volume_gb": 25})
def test_ensure_home_creates_one_volume_of_the_configured_size(user, cinder):
    made = volume("new")
    cinder.create.return_value = made
    cinder.list.side_effect = [[], [made]]
    home, created = home_storage.ensure_home(user)
    assert (home.id, created) == ("new", True)
    cinder.create.assert_called_once_with(
        user, size=25, name="heps-home-alice", metadata=HOME_META,
        description="My storage of alice")


def test_a_racing_second_volume_is_deleted_again(user, cinder):
    cinder.create.return_value = volume("younger", created="2026-11-29T06:00:00")
    cinder.list.side_effect = [[], [volume("older"),
                                    volume("younger", created="2026-11-29T06:00:00")]]
    home, created = home_storage.ensure_home(user)
    assert (home.id, created) == ("older", False)
    cinder.delete.assert_called_once_with(user, "younger")


@pytest.mark.parametrize("usage,resource", [
    ({"volumes": {"limit": 1, "in_use": 1, "reserved": 0}}, "volumes"),
    ({"gigabytes": {"limit": 100, "in_use": 95, "reserved": 0}}, "gigabytes"),
])
def test_over_quota_creates_nothing_and_names_the_resource(user, cinder, usage, resource):
    cinder.usage.return_value = usage
    with pytest.raises(home_storage.HomeRefused) as raised:
        home_storage.ensure_home(user)
    assert raised.value.code == home_storage.QUOTA
    assert raised.value.params["resource"] == resource
    cinder.create.assert_not_called()


def test_unlimited_quota_does_not_block(user, cinder):
    cinder.usage.return_value = {"gigabytes": {"limit": -1, "in_use": 5000}}
    cinder.create.return_value = volume("new")
    cinder.list.side_effect = [[], [volume("new")]]
    assert home_storage.ensure_home(user)[1] is True


def test_cinder_down_is_unavailable(user, cinder):
    cinder.list.side_effect = api.cinder.BlockStorageUnavailable("down")
    with pytest.raises(home_storage.Unavailable):
        home_storage.ensure_home(user)
    assert home_storage.overview(user) == home_storage.Overview(False, home_storage.DOWN)


def test_cinder_absent_is_unavailable_without_a_call(user, cinder):
    with mock.patch.object(api.cinder, "in_catalog", return_value=False):
        with pytest.raises(home_storage.Unavailable):
            home_storage.ensure_home(user)
        assert home_storage.overview(user).reason == home_storage.ABSENT
    cinder.list.assert_not_called()


def test_overview_shows_the_volume_and_the_quota(user, cinder):
    cinder.list.return_value = [volume()]
    cinder.usage.return_value = {"gigabytes": {"limit": -1, "in_use": 10},
                                 "volumes": {"limit": 10, "in_use": 1}}
    found = home_storage.overview(user)
    assert found.home.id == "vol-1"
    assert found.quota == {"gigabytes": (10, None), "volumes": (1, 10)}


# --- moving ---------------------------------------------------------------------------

def test_move_here_records_the_wish_and_detaches_from_the_other_desktop(user, cinder):
    cinder.desktop.return_value = desktop("d-2")
    cinder.list.return_value = [volume(status="in-use", attached=["d-1"])]
    home_storage.move_here(user, "d-2")
    value = cinder.set_meta.call_args.args[2][names.VOLUME_META_HOME_DESKTOP]
    assert value.startswith("d-2 ")
    cinder.detach.assert_called_once_with(user, "d-1", "vol-1")
    cinder.attach.assert_not_called()


def test_move_here_attaches_an_available_volume(user, cinder):
    cinder.desktop.return_value = desktop("d-2")
    cinder.list.return_value = [volume()]
    home_storage.move_here(user, "d-2")
    cinder.attach.assert_called_once_with(user, "d-2", "vol-1")


@pytest.mark.parametrize("server,volumes,error", [
    (desktop("d-2", user_id="bob"), [volume()], access.AccessDenied),
    (desktop("d-2"), [], home_storage.HomeRefused),
    (desktop("d-2", status="SHUTOFF"), [volume()], home_storage.HomeRefused),
    (desktop("d-2"), [volume(status="error")], home_storage.HomeRefused),
    (desktop("d-2"), [volume("bobs", user_id="bob")], home_storage.HomeRefused),
])
def test_move_refusals_change_nothing(user, cinder, server, volumes, error):
    cinder.desktop.return_value = server
    cinder.list.return_value = volumes
    with pytest.raises(error):
        home_storage.move_here(user, "d-2")
    cinder.set_meta.assert_not_called()
    cinder.attach.assert_not_called()
    cinder.detach.assert_not_called()


# --- the delete path ------------------------------------------------------------------

def attached(server, *volume_ids):
    setattr(server, home_storage.VOLUMES_ATTACHED, [{"id": v} for v in volume_ids])
    return server


def test_release_detaches_only_personal_volumes(user, cinder):
    cinder.get.side_effect = lambda ctx, vid: volume(vid, metadata=HOME_META if vid ==
                                                     "vol-1" else {"heps:kind": "root"})
    assert home_storage.release(user, attached(desktop("d-1"), "vol-1", "root")) == ["vol-1"]
    assert home_storage.release(user, desktop("d-2")) == []
    cinder.detach.assert_called_once_with(user, "d-1", "vol-1")


def test_release_never_raises(user, cinder):
    cinder.get.side_effect = api.cinder.BlockStorageUnavailable("down")
    assert home_storage.release(user, attached(desktop("d-1"), "vol-1")) == []


def test_delete_detaches_my_storage_before_nova_deletes(user, cinder):
    order = []
    server = desktop("d-1")
    with mock.patch.object(revocation, "mark_revoking"), \
            mock.patch.object(revocation, "revoke", return_value=revocation.RevokeReport()), \
            mock.patch.object(home_storage, "release",
                              side_effect=lambda *a: order.append("release")), \
            mock.patch.object(api.nova, "server_delete",
                              side_effect=lambda *a: order.append("delete")):
        revocation.revoke_then_delete(user, server)
    assert order == ["release", "delete"]
    cinder.delete.assert_not_called()


# --- the reconciler ---------------------------------------------------------------------

def homes(*volumes):
    return [home_storage.home_of(v) for v in volumes]


def by_id(*servers):
    return {s.id: s for s in servers}


def test_attached_to_the_newest_running_desktop():
    servers = by_id(desktop("old", "2026-11-29T01:00:00Z"),
                    desktop("new", "2026-11-29T04:00:00Z"),
                    desktop("newest-stopped", "2026-11-29T05:00:00Z", status="SHUTOFF"),
                    desktop("bobs", "2026-11-29T06:00:00Z", user_id="bob"),
                    desktop("other-project", "2026-11-29T06:00:00Z", project="p-2"))
    step = steps.next_step(homes(volume())[0], servers)
    assert (step.action, step.server_id) == (steps.ATTACH, "new")


def test_moves_one_step_per_pass_to_a_newer_desktop():
    servers = by_id(desktop("old", "2026-11-29T01:00:00Z"),
                    desktop("new", "2026-11-29T04:00:00Z"))
    step = steps.next_step(homes(volume(status="in-use", attached=["old"]))[0], servers)
    assert (step.action, step.server_id) == (steps.DETACH, "old")
    assert steps.next_step(homes(volume(status="in-use", attached=["new"]))[0],
                           servers) is None
    assert steps.next_step(homes(volume(status="detaching", attached=["old"]))[0],
                           servers) is None


def test_the_chosen_desktop_wins_until_a_newer_one_is_launched():
    moved = {**HOME_META, names.VOLUME_META_HOME_DESKTOP: "old 2026-11-29T04:30:00Z"}
    servers = by_id(desktop("old", "2026-11-29T01:00:00Z"),
                    desktop("new", "2026-11-29T04:00:00Z"))
    assert steps.next_step(homes(volume(status="in-use", attached=["old"],
                                        metadata=moved))[0], servers) is None
    servers["newer"] = desktop("newer", "2026-11-29T05:00:00Z")
    step = steps.next_step(homes(volume(status="in-use", attached=["old"],
                                        metadata=moved))[0], servers)
    assert (step.action, step.server_id) == (steps.DETACH, "old")


def test_a_wish_for_someone_elses_desktop_is_ignored():
    moved = {**HOME_META, names.VOLUME_META_HOME_DESKTOP: "bobs 2026-11-29T07:00:00Z"}
    servers = by_id(desktop("mine", "2026-11-29T01:00:00Z"),
                    desktop("bobs", "2026-11-29T04:00:00Z", user_id="bob"))
    step = steps.next_step(homes(volume(metadata=moved))[0], servers)
    assert step.server_id == "mine"
    # Attached by hand to bob's desktop: taken away from it.
    step = steps.next_step(homes(volume(status="in-use", attached=["bobs"]))[0], servers)
    assert (step.action, step.server_id) == (steps.DETACH, "bobs")


def test_detached_from_a_desktop_being_deleted_and_left_alone_without_a_desktop():
    servers = by_id(desktop("d-1", metadata={names.META_REVOKING: "2026-11-29T05:00:00Z"}))
    step = steps.next_step(homes(volume(status="in-use", attached=["d-1"]))[0], servers)
    assert step.action == steps.DETACH
    assert steps.next_step(homes(volume())[0], {}) is None
    # Attached to a stopped desktop of its owner with none running: stays.
    stopped = by_id(desktop("d-1", status="SHUTOFF"))
    assert steps.next_step(homes(volume(status="in-use", attached=["d-1"]))[0],
                           stopped) is None


def test_steps_use_the_oldest_volume_of_each_user():
    operator = contexts.operator_context()
    listing = [volume("younger", created="2026-11-29T06:00:00"), volume("older"),
               volume("bobs", user_id="bob"), volume("plain", metadata={})]
    with mock.patch.object(api.cinder, "volume_list", return_value=listing) as found:
        result = steps.steps(operator, by_id(desktop("d-1")))
    found.assert_called_once_with(operator, {"all_tenants": 1})
    assert sorted(s.home.id for s in result) == ["older"]
