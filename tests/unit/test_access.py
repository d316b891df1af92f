"""Private desktops at the service layer: core/grants.py (signed grants and support
records), services/access.py (levels, console modes, support reasons),
services/sharing.py and services/desktop_actions.py with the api layer mocked.

Every refusal changes nothing: no nova call that writes is made."""

import datetime
import types
from unittest import mock

import pytest
from django.test import override_settings

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import grants
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import desktop_actions
from heps_desktop_dashboard.services import sharing
from test_data import contexts

KEY = b"grant-test-key"
PROJECT = "p-1"
OWNER = "u-owner"
MEMBER = "u-member"
NOW = datetime.datetime(2026, 11, 29, 10, tzinfo=datetime.UTC)
WRITES = ("server_set_metadata", "server_delete_metadata", "server_start", "server_stop",
          "server_reboot", "server_shelve", "server_unshelve", "server_rename",
          "server_delete", "server_create_image")


def server(metadata=None, server_id="srv-1", user_id=OWNER, project=PROJECT):
    return types.SimpleNamespace(id=server_id, name=f"desk-{server_id}", user_id=user_id,
                                 tenant_id=project, metadata=dict(metadata or {}),
                                 status="ACTIVE")


def ctx(user_id=MEMBER, roles=(), project=PROJECT):
    found = contexts.user_context(project_id=project, user_id=user_id, username=user_id)
    found.roles = tuple(roles)
    return found


def grant(level, user_id=MEMBER, server_id="srv-1", key=None):
    key = key or conf.signing_key()
    return {grants.grant_key(user_id): grants.grant_value(key, server_id, user_id, level)}


@pytest.fixture
def nova():
    """api.nova with desktop_get answering from ``nova.servers`` and every write mocked."""
    servers = {}
    with mock.patch.multiple(api.nova, **{name: mock.DEFAULT for name in WRITES}) as mocks, \
            mock.patch.object(api.nova, "desktop_get",
                              side_effect=lambda _ctx, sid: servers[sid]) as get:
        found = types.SimpleNamespace(servers=servers, get=get, **mocks)
        found.writes = lambda: {n: m.call_args_list for n, m in mocks.items() if m.called}
        yield found


# --- core/grants.py -----------------------------------------------------------------------

def test_a_grant_is_bound_to_server_user_and_level():
    value = grants.grant_value(KEY, "srv-1", MEMBER, grants.VIEW)
    key = grants.grant_key(MEMBER)
    assert grants.granted_level(KEY, "srv-1", {key: value}, MEMBER) == grants.VIEW
    # copied to another desktop, another user, edited to control, another key: nothing
    assert grants.granted_level(KEY, "srv-2", {key: value}, MEMBER) == ""
    assert grants.granted_level(KEY, "srv-1", {grants.grant_key("u-x"): value}, "u-x") == ""
    edited = value.replace(" view ", " control ")
    assert grants.granted_level(KEY, "srv-1", {key: edited}, MEMBER) == ""
    assert grants.granted_level(b"other-key", "srv-1", {key: value}, MEMBER) == ""


@pytest.mark.parametrize("value", ["", "v1 control", "v1 control 00", "control", "v2 view x",
                                   "v1 admin " + "0" * 64, "v1 view " + "0" * 64 + " x"])
def test_forged_grant_values_grant_nothing(value):
    assert grants.granted_level(KEY, "srv-1", {grants.grant_key(MEMBER): value}, MEMBER) == ""
    [found] = grants.read_grants(KEY, "srv-1", {grants.grant_key(MEMBER): value})
    assert not found.valid


@pytest.mark.parametrize("user_id", ["", "a b", "x" * 65, "../x", "a:b", None])
def test_user_ids_nova_cannot_hold_in_a_key_are_refused(user_id):
    with pytest.raises(grants.InvalidGrant):
        grants.grant_value(KEY, "srv-1", user_id, grants.VIEW)


def test_support_record_round_trips_and_is_tamper_evident():
    value = grants.support_value(KEY, "srv-1", MEMBER, NOW, "  ticket\n#42 \x07 😀 ")
    metadata = {grants.support_key(MEMBER): value}
    record = grants.support_record(KEY, "srv-1", metadata, MEMBER)
    assert (record.when, record.reason) == (NOW, "ticket #42 ? ?")
    edited = {grants.support_key(MEMBER): value.replace("ticket", "tlcket")}
    assert grants.support_record(KEY, "srv-1", edited, MEMBER) is None
    assert not grants.read_support(KEY, "srv-1", edited)[0].valid
    assert grants.support_record(KEY, "srv-2", metadata, MEMBER) is None
    assert len(value) <= 255 or pytest.fail("longer than nova's metadata value")


def test_support_reason_is_required_and_bounded():
    for bad in ("", "   ", "x" * (grants.REASON_MAX + 1)):
        with pytest.raises(grants.InvalidGrant):
            grants.clean_reason(bad)
    longest = grants.support_value(KEY, "s" * 36, "u" * 64, NOW, "é" * grants.REASON_MAX)
    assert len(longest) <= 255


# --- services/access.py -------------------------------------------------------------------

def test_levels_owner_grantees_support_and_everyone_else():
    assert access.level(ctx(OWNER), server()) == access.OWNER
    assert access.level(ctx(), server()) == access.NONE
    assert access.level(ctx(), server(grant("view"))) == access.VIEW
    assert access.level(ctx(), server(grant("control"))) == access.CONTROL
    with override_settings(HEPS_DESKTOPS={"support_role": "heps-support"}):
        assert access.level(ctx(roles=["member", "heps-support"]), server()) == access.SUPPORT
        assert access.level(ctx(roles=["member"]), server()) == access.NONE
    # another project's desktop (an admin token sees it): nothing, even for its owner id
    assert access.level(ctx(OWNER, project="p-2"), server()) == access.NONE
    # the operator (reconciler) acts on every desktop
    assert access.level(contexts.operator_context(), server()) == access.OWNER


def test_project_admins_are_not_owners():
    admin = contexts.user_context(project_id=PROJECT, user_id="u-admin", is_admin=True)
    admin.roles = ("admin", "member")
    assert access.level(admin, server()) == access.NONE


def test_what_each_level_allows():
    assert access.allows(access.CONTROL, access.POWER)
    assert not access.allows(access.CONTROL, access.MANAGE)
    assert not access.allows(access.CONTROL, access.SHARE)
    assert access.allows(access.VIEW, access.CONSOLE)
    assert not access.allows(access.VIEW, access.NATIVE_CONSOLE)
    assert not access.allows(access.VIEW, access.POWER)
    assert not access.allows(access.SUPPORT, access.POWER)
    assert not access.allows(access.NONE, access.DETAIL)


def test_console_modes():
    assert access.console_mode(ctx(OWNER), server()) == access.MODE_CONTROL
    assert access.console_mode(ctx(), server(grant("control"))) == access.MODE_CONTROL
    assert access.console_mode(ctx(), server(grant("view"))) == access.MODE_VIEW
    with pytest.raises(access.AccessDenied) as refused:
        access.console_mode(ctx(), server())
    assert not isinstance(refused.value, access.ReasonNeeded)


@override_settings(HEPS_DESKTOPS={"support_role": "heps-support"})
def test_support_needs_a_recent_signed_reason():
    support = ctx("u-support", roles=["member", "heps-support"])
    with pytest.raises(access.ReasonNeeded):
        access.console_mode(support, server(), now=NOW)
    recorded = {grants.support_key("u-support"): grants.support_value(
        conf.signing_key(), "srv-1", "u-support", NOW, "ticket 42")}
    assert access.console_mode(support, server(recorded), now=NOW) == access.MODE_SUPPORT
    later = NOW + access.SUPPORT_WINDOW + datetime.timedelta(minutes=1)
    with pytest.raises(access.ReasonNeeded):
        access.console_mode(support, server(recorded), now=later)
    # another support user's record opens nothing for this one
    other = ctx("u-support-2", roles=["heps-support"])
    with pytest.raises(access.ReasonNeeded):
        access.console_mode(other, server(recorded), now=NOW)


@override_settings(HEPS_DESKTOPS={"support_role": "heps-support"})
def test_open_as_support_records_signed_reason_and_audits(nova, caplog):
    nova.servers["srv-1"] = server()
    support = ctx("u-support", roles=["member", "heps-support"])
    with caplog.at_level("INFO", logger="heps_desktops.audit"):
        access.open_as_support(support, "srv-1", "ticket 42", now=NOW)
    [(call_ctx, server_id, metadata)] = [c.args for c in nova.server_set_metadata.call_args_list]
    assert server_id == "srv-1" and list(metadata) == ["heps:support:u-support"]
    nova.servers["srv-1"].metadata.update(metadata)
    record = access.support_session(support, nova.servers["srv-1"], now=NOW)
    assert record.reason == "ticket 42"
    assert '"action": "console.support"' in caplog.text and "ticket 42" in caplog.text


def test_open_as_support_is_refused_without_the_role(nova):
    nova.servers["srv-1"] = server()
    with pytest.raises(access.AccessDenied):
        access.open_as_support(ctx(roles=["member"]), "srv-1", "curious")
    assert nova.writes() == {}


# --- services/desktop_actions.py ----------------------------------------------------------

ACTIONS = [
    ("start", (), access.POWER), ("stop", (), access.POWER), ("reboot", (), access.POWER),
    ("shelve", (), access.MANAGE), ("unshelve", (), access.MANAGE),
    ("rename", ("new-name",), access.MANAGE), ("extend", (4,), access.MANAGE),
    ("delete", (), access.MANAGE), ("attach_data", ("2026-0142",), access.MANAGE),
    ("detach_data", (), access.MANAGE), ("save_image", ("img",), access.MANAGE),
]


REFUSED = [(name, args, level) for name, args, needs in ACTIONS
           for level in (None, "view", "control")
           if not access.allows(level or access.NONE, needs)]


@pytest.mark.parametrize("name,args,level", REFUSED,
                         ids=[f"{n}-{lvl or 'none'}" for n, _a, lvl in REFUSED])
def test_another_member_is_refused_and_nothing_changes(nova, name, args, level, caplog):
    nova.servers["srv-1"] = server(grant(level) if level else None)
    member = ctx()
    with caplog.at_level("INFO", logger="heps_desktops.audit"), \
            pytest.raises(access.AccessDenied):
        getattr(desktop_actions, name)(member, "srv-1", *args)
    assert nova.writes() == {}
    assert '"result": "refused"' in caplog.text


@pytest.mark.parametrize("name,nova_call", [("start", "server_start"),
                                            ("stop", "server_stop"),
                                            ("reboot", "server_reboot")])
def test_a_control_grant_starts_stops_and_reboots(nova, name, nova_call):
    nova.servers["srv-1"] = server(grant("control"))
    getattr(desktop_actions, name)(ctx(), "srv-1")
    assert getattr(nova, nova_call).call_args.args[1] == "srv-1"


def test_the_owner_acts_with_one_nova_read(nova, caplog):
    nova.servers["srv-1"] = server()
    with caplog.at_level("INFO", logger="heps_desktops.audit"):
        desktop_actions.rename(ctx(OWNER), "srv-1", "better-name")
        desktop_actions.reboot(ctx(OWNER), "srv-1", hard=True)
    nova.server_rename.assert_called_once_with(mock.ANY, "srv-1", "better-name")
    nova.server_reboot.assert_called_once_with(mock.ANY, "srv-1", hard=True)
    assert nova.get.call_count == 2
    assert '"action": "desktop.rename"' in caplog.text


def test_a_forged_grant_in_metadata_grants_nothing(nova):
    nova.servers["srv-1"] = server({grants.grant_key(MEMBER): "v1 control " + "a" * 64})
    with pytest.raises(access.AccessDenied):
        desktop_actions.stop(ctx(), "srv-1")
    # a genuine grant copied from another desktop neither
    nova.servers["srv-1"] = server(grant("control", server_id="srv-other"))
    with pytest.raises(access.AccessDenied):
        desktop_actions.stop(ctx(), "srv-1")
    assert nova.writes() == {}


# --- services/sharing.py ------------------------------------------------------------------

MEMBERS = access.Members(True, {OWNER: "alice", MEMBER: "carol"})


def test_the_owner_shares_and_revokes(nova):
    nova.servers["srv-1"] = server()
    sharing.share(ctx(OWNER), "srv-1", MEMBER, "view", members=MEMBERS)
    [(_ctx, _sid, metadata)] = [c.args for c in nova.server_set_metadata.call_args_list]
    nova.servers["srv-1"].metadata.update(metadata)
    assert access.level(ctx(), nova.servers["srv-1"]) == access.VIEW
    sharing.unshare(ctx(OWNER), "srv-1", MEMBER)
    nova.server_delete_metadata.assert_called_once_with(mock.ANY, "srv-1",
                                                        ["heps:grant:" + MEMBER])


@pytest.mark.parametrize("grantee,level", [
    ("u-of-project-b", "view"),        # not a member of the project
    (OWNER, "view"),                   # the owner
    (MEMBER, "owner"), (MEMBER, "admin"),
    ("bad id", "view"), ("", "control"),
])
def test_bad_grants_are_refused(nova, grantee, level):
    nova.servers["srv-1"] = server()
    with pytest.raises(sharing.ShareRefused):
        sharing.share(ctx(OWNER), "srv-1", grantee, level, members=MEMBERS)
    assert nova.writes() == {}


def test_only_the_owner_shares_or_revokes(nova):
    nova.servers["srv-1"] = server(grant("control"))
    for call in (lambda: sharing.share(ctx(), "srv-1", "u-x", "control", members=MEMBERS),
                 lambda: sharing.unshare(ctx(), "srv-1", MEMBER)):
        with pytest.raises(access.AccessDenied):
            call()
    assert nova.writes() == {}


def test_unknown_member_list_still_grants_by_id(nova):
    # keystone lets only admins list members: the grant is made (inert for non-members)
    nova.servers["srv-1"] = server()
    sharing.share(ctx(OWNER), "srv-1", "u-typed", "view", members=access.Members(False, {}))
    assert nova.server_set_metadata.called


def test_project_members_tries_the_users_token_then_the_operator():
    user = ctx(OWNER)
    forbidden = api.keystone.Forbidden()
    with mock.patch.object(api.keystone, "project_members",
                           side_effect=[forbidden]) as members:
        assert access.project_members(user) == access.Members(False, {})
    members.assert_called_once_with(user)
    user = ctx(OWNER)
    with override_settings(HEPS_DESKTOPS={"operator_cloud": "ops"}), \
            mock.patch.object(api.context, "for_operator") as operator, \
            mock.patch.object(api.keystone, "project_members",
                              side_effect=[forbidden, {OWNER: "alice"}]) as members:
        assert access.project_members(user) == access.Members(True, {OWNER: "alice"})
        assert access.project_members(user).names == {OWNER: "alice"}  # once per context
    assert members.call_args_list[1] == mock.call(operator.return_value, PROJECT)
    assert members.call_count == 2
