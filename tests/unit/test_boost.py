"""Boost: the signed record (core/boost.py), the expiry kept across the resize, the
owner's Boost and Return (services/boost.py: quota, free GPUs, refusals, nothing
half-made) and the reconciler's steps (services/boost_steps.py), api layer mocked."""

import datetime
import types
from unittest import mock

import pytest
from django.test import override_settings

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import boost as rules
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import quota
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import boost
from heps_desktop_dashboard.services import boost_steps
from test_data import contexts

UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 29, 6, tzinfo=UTC)
HOUR = datetime.timedelta(hours=1)
PROJECT = "p-1"
SMALL_SPECS = {"heps:profile": "true", "resources:VGPU": "1"}
BIG_SPECS = {"heps:profile": "true", "resources:CUSTOM_HEPS_GPU_A100": "1"}
SMALL = profiles.profile_from_flavor("f-small", "heps.vgpu.a16", 4, 16384, 40, SMALL_SPECS)
BIG = profiles.profile_from_flavor("f-big", "heps.a100.full", 8, 32768, 80, BIG_SPECS)
CPU = profiles.profile_from_flavor("f-cpu", "heps.cpu.std", 4, 8192, 40,
                                   {"heps:profile": "true"})


def server(metadata=None, flavor=SMALL, specs=SMALL_SPECS, status="ACTIVE", task=None,
           user_id="test-user-id", project=PROJECT):
    return types.SimpleNamespace(
        id="srv-1", name="alice-desktop", user_id=user_id, tenant_id=project,
        created="2026-11-29T05:00:00Z", status=status, metadata=dict(metadata or {}),
        flavor={"original_name": flavor.name, "vcpus": flavor.vcpus, "ram": flavor.ram_mb,
                "disk": flavor.disk_gb, "extra_specs": specs},
        **{"OS-EXT-STS:task_state": task})


def with_record(record, **kw):
    return server(rules.metadata(conf.signing_key(), "srv-1", record), **kw)


@pytest.fixture
def user():
    return contexts.user_context(project_id=PROJECT)


@pytest.fixture
def nova():
    catalog = [(SMALL, SMALL_SPECS), (BIG, BIG_SPECS), (CPU, {"heps:profile": "true"})]
    flavors = [(types.SimpleNamespace(id=p.id, name=p.name), s) for p, s in catalog]
    with mock.patch.object(api.nova, "desktop_get") as get, \
            mock.patch.object(api.nova, "server_set_metadata") as set_meta, \
            mock.patch.object(api.nova, "server_delete_metadata") as del_meta, \
            mock.patch.object(api.nova_volumes, "server_resize") as resize, \
            mock.patch.object(api.nova_volumes, "server_confirm_resize") as confirm, \
            mock.patch.object(api.nova_flavors, "profile_list_with_specs",
                              return_value=catalog), \
            mock.patch.object(api.nova_flavors, "flavors_with_specs", return_value=flavors), \
            mock.patch.object(api.nova_flavors, "absolute_limits", return_value={
                "maxTotalInstances": 10, "totalInstancesUsed": 1, "maxTotalCores": 20,
                "totalCoresUsed": 4, "maxTotalRAMSize": 65536, "totalRAMUsed": 16384}), \
            mock.patch.object(api.keystone, "compute_limits",
                              return_value={"class:CUSTOM_HEPS_GPU_A100": 1}) as limits, \
            mock.patch.object(api.placement, "project_usages", return_value={"VGPU": 1}), \
            mock.patch.object(api.placement, "gpu_free", return_value=None) as free:
        yield types.SimpleNamespace(get=get, set_meta=set_meta, del_meta=del_meta,
                                    resize=resize, confirm=confirm, limits=limits, free=free)


# --- core/boost.py ------------------------------------------------------------------------

def test_a_record_round_trips_and_is_bound_to_its_server():
    record = rules.new_record("heps.vgpu.a16", "heps.a100.full", NOW, 8)
    value = rules.encode(b"k", "srv-1", record)
    meta = {names.META_BOOST: value}
    assert rules.read(b"k", "srv-1", meta) == (record, True)
    assert rules.read(b"k", "srv-2", meta) == (None, True)      # copied to another desktop
    assert rules.read(b"other", "srv-1", meta) == (None, True)  # another key
    edited = value.replace("2026-11-29T14", "2027-11-29T14")
    assert rules.read(b"k", "srv-1", {names.META_BOOST: edited}) == (None, True)
    assert rules.read(b"k", "srv-1", {names.META_BOOST: "not json"}) == (None, True)
    assert rules.read(b"k", "srv-1", {}) == (None, False)
    assert record.until == NOW + 8 * HOUR


def test_profile_names_too_long_for_nova_are_refused():
    with pytest.raises(ValueError):
        rules.encode(b"k", "s", rules.new_record("a" * 120, "b" * 120, NOW, 8))


@pytest.mark.parametrize("state,status,task,flavor,now,action", [
    (rules.BOOSTING, "RESIZE", "resize_migrating", "heps.vgpu.a16", NOW, rules.WAIT),
    (rules.BOOSTING, "VERIFY_RESIZE", None, "heps.a100.full", NOW, rules.CONFIRM),
    (rules.BOOSTING, "ACTIVE", None, "heps.a100.full", NOW, rules.MARK_BOOSTED),
    (rules.BOOSTING, "ACTIVE", None, "heps.vgpu.a16", NOW, rules.WAIT),
    (rules.BOOSTING, "ACTIVE", None, "heps.vgpu.a16", NOW + HOUR, rules.CLEAR),
    (rules.BOOSTED, "ACTIVE", None, "heps.a100.full", NOW + HOUR, rules.NOTHING),
    (rules.BOOSTED, "ACTIVE", None, "heps.a100.full", NOW + 8 * HOUR, rules.RETURN),
    (rules.BOOSTED, "SHUTOFF", None, "heps.a100.full", NOW + 9 * HOUR, rules.RETURN),
    (rules.BOOSTED, "SHELVED_OFFLOADED", None, "heps.a100.full", NOW + 9 * HOUR, rules.WAIT),
    (rules.BOOSTED, "ACTIVE", None, "heps.vgpu.a16", NOW + HOUR, rules.CLEAR),
    (rules.RETURNING, "VERIFY_RESIZE", None, "heps.vgpu.a16", NOW, rules.CONFIRM),
    (rules.RETURNING, "ACTIVE", None, "heps.vgpu.a16", NOW, rules.CLEAR),
    (rules.RETURNING, "ACTIVE", None, "heps.a100.full", NOW + HOUR, rules.RETURN),
    (rules.BOOSTED, "ACTIVE", None, "m1.small", NOW, rules.CLEAR),
])
def test_next_step(state, status, task, flavor, now, action):
    record = rules.new_record("heps.vgpu.a16", "heps.a100.full", NOW, 8)
    record = record.with_state(state, NOW)
    assert rules.next_step(record, status, task, flavor, now).action == action


def test_the_expiry_stays_believed_on_the_boosted_profile():
    policy = conf.lifetime_policy()
    expiry = NOW + 20 * HOUR
    before = server()
    signed = desktops.expiry_metadata(policy, expiry, desktops.subject_of(before))
    record = rules.new_record(SMALL.name, BIG.name, NOW, 8)
    boosted = server({**signed, **rules.metadata(policy.key, "srv-1", record)}, flavor=BIG,
                     specs=BIG_SPECS)
    assert desktops.effective_expiry(boosted, policy, NOW) == (expiry, "")
    # Without the (signed) boost record the same token is not believed on another flavor.
    bare = server(signed, flavor=BIG, specs=BIG_SPECS)
    assert desktops.effective_expiry(bare, policy, NOW)[1] == desktops.EXPIRY_BAD_SIGNATURE


# --- services/boost.py ----------------------------------------------------------------------

def test_choices_are_bigger_profiles_only():
    assert [p.name for p, _s in [(BIG, 0), (CPU, 0), (SMALL, 0)]
            if boost.bigger(server(), p)] == [BIG.name]


def test_boost_records_then_resizes(user, nova):
    nova.get.return_value = server()
    record = boost.boost(user, "srv-1", "f-big", now=NOW)
    assert (record.state, record.from_profile, record.to_profile) == (
        rules.BOOSTING, SMALL.name, BIG.name)
    assert record.until == NOW + 8 * HOUR
    nova.set_meta.assert_called_once_with(user, "srv-1", rules.metadata(
        conf.signing_key(), "srv-1", record))
    nova.resize.assert_called_once_with(user, "srv-1", "f-big")
    # The quota is checked for the difference: 4 more vCPUs, 16 GiB, one A100.
    nova.limits.assert_called_once_with(user, ["class:CUSTOM_HEPS_GPU_A100"])


@override_settings(HEPS_DESKTOPS={"boost_hours": 2})
def test_boost_hours_setting(user, nova):
    nova.get.return_value = server()
    assert boost.boost(user, "srv-1", "f-big", now=NOW).until == NOW + 2 * HOUR


@pytest.mark.parametrize("kwargs,profile,code", [
    ({"status": "SHUTOFF"}, "f-big", boost.NOT_RUNNING),
    ({"task": "rebooting"}, "f-big", boost.NOT_RUNNING),
    ({}, "f-cpu", boost.NOT_BIGGER),
    ({}, "f-small", boost.NOT_BIGGER),
    ({}, "m1.small-id", boost.UNKNOWN_PROFILE),
])
def test_boost_refusals_change_nothing(user, nova, kwargs, profile, code):
    nova.get.return_value = server(**kwargs)
    with pytest.raises(boost.BoostRefused) as raised:
        boost.boost(user, "srv-1", profile, now=NOW)
    assert raised.value.code == code
    nova.set_meta.assert_not_called()
    nova.resize.assert_not_called()


def test_boost_twice_is_refused(user, nova):
    nova.get.return_value = with_record(rules.new_record(SMALL.name, BIG.name, NOW, 8))
    with pytest.raises(boost.BoostRefused) as raised:
        boost.boost(user, "srv-1", "f-big", now=NOW)
    assert raised.value.code == boost.ALREADY


def test_boost_over_the_gpu_quota_names_the_class(user, nova):
    nova.get.return_value = server()
    nova.limits.return_value = {"class:CUSTOM_HEPS_GPU_A100": 0}
    with pytest.raises(boost.BoostRefused) as raised:
        boost.boost(user, "srv-1", "f-big", now=NOW)
    assert raised.value.params["resources"] == ["class:CUSTOM_HEPS_GPU_A100"]
    nova.resize.assert_not_called()


def test_boost_without_a_free_gpu_is_refused(user, nova):
    nova.get.return_value = server()
    nova.free.return_value = {quota.GpuRequest("CUSTOM_HEPS_GPU_A100"): 0}
    with pytest.raises(boost.BoostRefused) as raised:
        boost.boost(user, "srv-1", "f-big", now=NOW)
    assert raised.value.code == boost.NO_GPU


def test_someone_elses_desktop_is_refused(user, nova):
    nova.get.return_value = server(user_id="bob")
    with pytest.raises(access.AccessDenied):
        boost.boost(user, "srv-1", "f-big", now=NOW)
    nova.resize.assert_not_called()


def test_a_refused_resize_takes_the_record_back(user, nova):
    nova.get.return_value = server()
    nova.resize.side_effect = api.nova.Conflict(409, "busy")
    with pytest.raises(boost.BoostFailed):
        boost.boost(user, "srv-1", "f-big", now=NOW)
    nova.del_meta.assert_called_once_with(user, "srv-1", [names.META_BOOST])


def test_return_now_resizes_back_and_a_failure_restores_the_boost(user, nova):
    record = rules.new_record(SMALL.name, BIG.name, NOW, 8).with_state(rules.BOOSTED, NOW)
    nova.get.return_value = with_record(record, flavor=BIG, specs=BIG_SPECS)
    back = boost.return_now(user, "srv-1", now=NOW + HOUR)
    assert back.state == rules.RETURNING
    nova.resize.assert_called_once_with(user, "srv-1", "f-small")
    nova.resize.side_effect = api.nova.Conflict(409, "busy")
    with pytest.raises(boost.BoostFailed):
        boost.return_now(user, "srv-1", now=NOW + HOUR)
    assert nova.set_meta.call_args.args[2] == rules.metadata(conf.signing_key(), "srv-1",
                                                             record)


def test_return_now_of_a_desktop_not_boosted_is_refused(user, nova):
    nova.get.return_value = server()
    with pytest.raises(boost.BoostRefused) as raised:
        boost.return_now(user, "srv-1")
    assert raised.value.code == boost.NOT_BOOSTED


# --- services/boost_steps.py (the reconciler) -----------------------------------------------

def test_reconciler_confirms_marks_returns_and_clears(nova):
    operator = contexts.operator_context()
    record = rules.new_record(SMALL.name, BIG.name, NOW, 8)
    why, call, args = boost_steps.step(operator, with_record(
        record, status="VERIFY_RESIZE", flavor=BIG, specs=BIG_SPECS), NOW)
    call(*args)
    nova.confirm.assert_called_once_with(operator, "srv-1")
    why, call, args = boost_steps.step(operator, with_record(
        record, flavor=BIG, specs=BIG_SPECS), NOW)
    call(*args)
    marked, _present = rules.read(conf.signing_key(), "srv-1", nova.set_meta.call_args.args[2])
    assert marked.state == rules.BOOSTED
    why, call, args = boost_steps.step(operator, with_record(
        marked, flavor=BIG, specs=BIG_SPECS), NOW + 8 * HOUR)
    call(*args)
    nova.resize.assert_called_once_with(operator, "srv-1", "f-small")
    back = marked.with_state(rules.RETURNING, NOW + 8 * HOUR)
    why, call, args = boost_steps.step(operator, with_record(back), NOW + 8 * HOUR)
    call(*args)
    nova.del_meta.assert_called_once_with(operator, "srv-1", [names.META_BOOST])


def test_reconciler_removes_a_forged_record_and_ignores_plain_desktops(nova):
    operator = contexts.operator_context()
    assert boost_steps.step(operator, server(), NOW) is None
    forged = server({names.META_BOOST: '{"s":"boosted","f":"a","t":"b"}'})
    why, call, args = boost_steps.step(operator, forged, NOW)
    assert "not signed" in why
    call(*args)
    nova.del_meta.assert_called_once_with(operator, "srv-1", [names.META_BOOST])


def test_a_confirm_nova_did_meanwhile_is_skipped(nova):
    operator = contexts.operator_context()
    record = rules.new_record(SMALL.name, BIG.name, NOW, 8)
    nova.confirm.side_effect = api.nova_volumes.Conflict(409, "in vm_state active")
    why, call, args = boost_steps.step(operator, with_record(
        record, status="VERIFY_RESIZE", flavor=BIG, specs=BIG_SPECS), NOW)
    assert call(*args) == "confirmed already"


def test_marking_and_clearing_sign_the_expiry_for_the_flavor_it_runs_on(nova):
    """An expiry signed for the big profile (an Extend during the boost) is believed
    again on the own profile after the return: the reconciler re-signs it."""
    operator = contexts.operator_context()
    policy = conf.lifetime_policy()
    expiry = NOW + 20 * HOUR
    big = server(flavor=BIG, specs=BIG_SPECS)
    signed_big = desktops.expiry_metadata(policy, expiry, desktops.subject_of(big))
    back = rules.new_record(SMALL.name, BIG.name, NOW, 8).with_state(rules.RETURNING, NOW)
    returned = server({**signed_big, **rules.metadata(policy.key, "srv-1", back)})
    why, call, args = boost_steps.step(operator, returned, NOW)
    call(*args)
    written = nova.set_meta.call_args.args[2]
    resigned = server(written)
    assert desktops.effective_expiry(resigned, policy, NOW) == (expiry, "")
    nova.del_meta.assert_called_once_with(operator, "srv-1", [names.META_BOOST])
