"""Tamper-evident lifetimes: core/signing.py, core/desktops.py (effective_expiry,
read_desktop, fallback_expiry) and services/lifetimes.py (decide, apply, extend) with the
api layer mocked. The expiry believed is the signed one: editing ``heps:expires_at``,
forging a token or copying one from another desktop changes nothing."""

import datetime
import types
from unittest import mock

import pytest
from django.test import override_settings

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import signing
from heps_desktop_dashboard.services import lifetimes
from heps_desktop_dashboard.services import revocation
from test_data import contexts

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)
KEY = b"test-signing-key"
POLICY = desktops.LifetimePolicy(key=KEY, default_hours=24, max_hours=168, warning_hours=4)
CREATED = datetime.datetime(2026, 11, 26, 5, tzinfo=UTC)
NOW = CREATED + 2 * HOUR


def fmt(moment):
    return desktops.format_expiry(moment)


def server(metadata=None, server_id="srv-a", user_id="u-1", project="p-1",
           profile="heps.vgpu.a16", created=CREATED, status="ACTIVE", task=None, **kw):
    return types.SimpleNamespace(
        id=server_id, name=f"desktop-{server_id}", user_id=user_id, tenant_id=project,
        created=fmt(created) if created else None, flavor={"original_name": profile},
        metadata=dict(metadata or {}), status=status, **{"OS-EXT-STS:task_state": task},
        **kw)


def signed(target, expiry, scope=signing.SCOPE_SERVER, key=KEY):
    policy = desktops.LifetimePolicy(key=key, default_hours=24, max_hours=168,
                                     warning_hours=4)
    return desktops.expiry_metadata(policy, expiry, desktops.subject_of(target), scope)


def launched(expiry, **kw):
    """A desktop as launched: the token signed before nova gave it an id."""
    metadata = desktops.build_metadata(policy=POLICY, user_id=kw.get("user_id", "u-1"),
                                       project_id=kw.get("project", "p-1"),
                                       profile=kw.get("profile", "heps.vgpu.a16"),
                                       expires_at=expiry)
    return server(metadata, **kw)


# --- core/signing.py ----------------------------------------------------------------------

def test_a_server_token_round_trips_and_is_bound_to_the_server_and_profile():
    subject = desktops.subject_of(server())
    token = signing.sign(KEY, signing.SCOPE_SERVER, "2026-11-27T05:00:00Z", subject)
    assert token.startswith("v1 s 2026-11-27T05:00:00Z ")
    read = signing.signed_expiry_text
    assert read(KEY, token, subject, 168, desktops.parse_expiry) == "2026-11-27T05:00:00Z"
    for other in (server(server_id="srv-b"), server(profile="heps.cpu")):
        assert read(KEY, token, desktops.subject_of(other), 168, desktops.parse_expiry) is None
    assert read(b"another-key", token, subject, 168, desktops.parse_expiry) is None


@pytest.mark.parametrize("token", [
    "", "v1", "v1 s 2026-11-27T05:00:00Z", "v2 s 2026-11-27T05:00:00Z abc",
    "v1 x 2026-11-27T05:00:00Z abc", "v1 s 2026-11-27T05:00:00Z " + "0" * 64,
    None,
])
def test_garbage_tokens_are_not_believed(token):
    subject = desktops.subject_of(server())
    assert signing.signed_expiry_text(KEY, token, subject, 168, desktops.parse_expiry) is None


def test_a_token_with_its_expiry_changed_is_not_believed():
    subject = desktops.subject_of(server())
    token = signing.sign(KEY, signing.SCOPE_SERVER, "2026-11-27T05:00:00Z", subject)
    forged = token.replace("2026-11-27", "2027-11-27")
    assert signing.signed_expiry_text(KEY, forged, subject, 168, desktops.parse_expiry) is None


def test_sign_refuses_bad_scopes_and_texts():
    subject = desktops.subject_of(server())
    for scope, text in (("x", "2026-11-27T05:00:00Z"), ("s", "2026-11-27 05:00")):
        with pytest.raises(ValueError):
            signing.sign(KEY, scope, text, subject)


# --- core/desktops.py: the expiry believed ------------------------------------------------

def test_a_signed_expiry_is_believed_and_the_claimed_text_is_ignored():
    target = server()
    metadata = signed(target, CREATED + 30 * HOUR)
    metadata["heps:expires_at"] = "2099-01-01T00:00:00Z"       # edited by a member
    target.metadata = metadata
    assert desktops.effective_expiry(target, POLICY, NOW) == (CREATED + 30 * HOUR, "")
    info = desktops.read_desktop(target, POLICY, NOW)
    assert info.expires_at == CREATED + 30 * HOUR and info.problems == ()
    assert info.claimed_expiry == "2099-01-01T00:00:00Z"


def test_an_unsigned_expiry_falls_back():
    target = server({"heps:expires_at": "2099-01-01T00:00:00Z"})
    assert desktops.effective_expiry(target, POLICY, NOW) == (
        CREATED + 24 * HOUR, desktops.EXPIRY_UNSIGNED)
    assert desktops.effective_expiry(server(), POLICY, NOW) == (
        CREATED + 24 * HOUR, desktops.EXPIRY_MISSING)


def test_a_forged_token_falls_back():
    target = server()
    token = signed(target, CREATED + 30 * HOUR, key=b"someone-elses-key")
    target.metadata = token
    expiry, problem = desktops.effective_expiry(target, POLICY, NOW)
    assert (expiry, problem) == (CREATED + 24 * HOUR, desktops.EXPIRY_BAD_SIGNATURE)
    info = desktops.read_desktop(target, POLICY, NOW)
    assert info.expiry_problem == desktops.EXPIRY_BAD_SIGNATURE
    assert "heps:expires_at" in info.problems


def test_a_server_token_copied_onto_another_desktop_is_refused():
    source = server()
    copy = server(server_id="srv-b", metadata=signed(source, CREATED + 100 * HOUR))
    assert desktops.effective_expiry(copy, POLICY, NOW)[1] == desktops.EXPIRY_BAD_SIGNATURE


def test_a_launch_token_is_believed_up_to_creation_plus_the_maximum():
    target = launched(CREATED + 168 * HOUR)
    assert target.metadata["heps:expires_sig"].startswith("v1 l ")
    assert desktops.effective_expiry(target, POLICY, NOW) == (CREATED + 168 * HOUR, "")


def test_a_launch_token_copied_onto_an_older_desktop_is_refused():
    # The same user launches a new desktop a week later with the maximum lifetime and
    # copies its token (bound to user, project and profile, not to a server id) onto
    # the old one: past the old desktop's creation + the maximum, it is not believed.
    later = CREATED + 100 * HOUR
    token = launched(later + 168 * HOUR, created=later).metadata
    old = server(token)
    expiry, problem = desktops.effective_expiry(old, POLICY, later)
    assert problem == desktops.EXPIRY_BAD_SIGNATURE
    assert expiry == later + 4 * HOUR      # the fallback has passed: the warning window


@pytest.mark.parametrize("kw", [{"user_id": "u-2"}, {"project": "p-2"},
                                {"profile": "heps.cpu"}, {"created": None}])
def test_a_launch_token_is_bound_to_user_project_profile_and_a_creation_time(kw):
    token = launched(CREATED + 24 * HOUR).metadata
    assert desktops.effective_expiry(server(token, **kw), POLICY, NOW)[1] == \
        desktops.EXPIRY_BAD_SIGNATURE


def test_fallback_expiry():
    assert desktops.fallback_expiry(CREATED, POLICY, NOW) == CREATED + 24 * HOUR
    late = CREATED + 30 * HOUR
    assert desktops.fallback_expiry(CREATED, POLICY, late) == late + 4 * HOUR
    assert desktops.fallback_expiry(None, POLICY, NOW) == NOW + 24 * HOUR


# --- services/lifetimes.decide ---------------------------------------------------------------

def decide(target, now=NOW, action="shelve"):
    return lifetimes.decide(target, POLICY, now, action)


def test_a_signed_desktop_far_from_its_expiry_needs_nothing():
    target = server()
    target.metadata = signed(target, NOW + 48 * HOUR)
    assert decide(target).action == ""


@pytest.mark.parametrize("metadata", [{}, {"heps:expires_at": "2099-01-01T00:00:00Z"}])
def test_an_unsigned_desktop_is_signed_with_the_fallback(metadata):
    decision = decide(server(metadata))
    assert decision.action == "sign" and decision.expires_at == CREATED + 24 * HOUR
    assert "2099" in decision.why or "nothing" in decision.why


def test_a_desktop_is_warned_once_per_expiry():
    target = server()
    target.metadata = signed(target, NOW + 3 * HOUR)
    decision = decide(target)
    assert decision.action == "warn" and decision.expires_at == NOW + 3 * HOUR
    target.metadata["heps:warned_at"] = fmt(NOW + 3 * HOUR)
    assert decide(target).action == ""
    target.metadata.update(signed(target, NOW + 2 * HOUR))     # a new expiry: warn again
    assert decide(target).action == "warn"


@pytest.mark.parametrize("action", ["shelve", "delete"])
def test_an_expired_desktop_gets_the_configured_action(action):
    target = server()
    target.metadata = signed(target, NOW - HOUR)
    decision = decide(target, action=action)
    assert decision.action == action and decision.expires_at == NOW - HOUR


@pytest.mark.parametrize("status, task", [("SHELVED", None), ("SHELVED_OFFLOADED", None),
                                          ("ACTIVE", "deleting"), ("DELETED", None),
                                          ("SOFT_DELETED", None)])
@pytest.mark.parametrize("expiry", [-HOUR, 2 * HOUR, None])
def test_nothing_for_shelved_or_deleting_desktops(status, task, expiry):
    target = server(status=status, task=task)
    if expiry is not None:                 # expired, in the warning window, or unsigned
        target.metadata = signed(target, NOW + expiry)
    assert decide(target).action == ""


def test_a_shelved_desktop_past_its_expiry_is_deleted_in_delete_mode():
    target = server(status="SHELVED_OFFLOADED")
    target.metadata = signed(target, NOW - HOUR)
    assert decide(target, action="delete").action == "delete"


def test_an_expired_desktop_with_a_task_is_left_for_the_next_pass():
    target = server(task="powering-off")
    target.metadata = signed(target, NOW - HOUR)
    assert decide(target).action == ""


# --- services/lifetimes.apply and extend (api layer mocked) ----------------------------------

@pytest.fixture
def nova():
    names = ("server_set_metadata", "server_delete_metadata", "server_shelve",
             "server_delete", "desktop_get")
    with mock.patch.multiple(api.nova, **{n: mock.DEFAULT for n in names}) as mocks:
        yield mocks


def test_apply_sign_writes_a_server_scoped_token(nova):
    ctx, target = contexts.operator_context(), server()
    lifetimes.apply(ctx, target, decide(target), POLICY)
    ctx_, server_id, metadata = nova["server_set_metadata"].call_args.args
    assert (ctx_, server_id) == (ctx, target.id)
    assert metadata["heps:expires_sig"].startswith("v1 s ")
    target.metadata = metadata
    assert desktops.effective_expiry(target, POLICY, NOW) == (CREATED + 24 * HOUR, "")


def test_apply_warn_records_the_warning_and_notifies(nova):
    ctx, target = contexts.operator_context(), server()
    target.metadata = signed(target, NOW + 3 * HOUR)
    with mock.patch.object(lifetimes, "notify_owner") as notify:
        lifetimes.apply(ctx, target, decide(target), POLICY)
    nova["server_set_metadata"].assert_called_once_with(
        ctx, target.id, {"heps:warned_at": fmt(NOW + 3 * HOUR)})
    notify.assert_called_once_with(ctx, target, fmt(NOW + 3 * HOUR))


def test_apply_shelve_revokes_forgets_the_data_then_shelves(nova):
    ctx = contexts.operator_context()
    target = server({"heps:data_state": "attached", "heps:data_mode": "access-rule",
                     "heps:mount:raw": "nfs h:/x /data/raw ro s1"})
    report = revocation.RevokeReport(denied=[("s1", "r1")])
    with mock.patch.object(revocation, "revoke", return_value=report) as revoke:
        lifetimes.apply(ctx, target, lifetimes.Decision("shelve", "expired"), POLICY)
    revoke.assert_called_once_with(ctx, target)
    nova["server_delete_metadata"].assert_called_once_with(
        ctx, target.id, ["heps:data_mode", "heps:data_state", "heps:mount:raw"])
    nova["server_shelve"].assert_called_once_with(ctx, target.id)
    nova["server_delete"].assert_not_called()


def test_apply_delete_marks_revokes_then_deletes(nova):
    ctx, target = contexts.operator_context(), server()
    with mock.patch.object(revocation, "revoke",
                           return_value=revocation.RevokeReport()) as revoke:
        lifetimes.apply(ctx, target, lifetimes.Decision("delete", "expired"), POLICY)
    assert "heps:revoking" in nova["server_set_metadata"].call_args.args[2]
    revoke.assert_called_once_with(ctx, target)
    nova["server_delete"].assert_called_once_with(ctx, target.id)


@pytest.mark.parametrize("report", [revocation.RevokeReport(failed=[("s1", "boom")]),
                                    revocation.RevokeReport(manila_down=True)])
def test_apply_keeps_a_desktop_whose_access_could_not_be_revoked(nova, report):
    with mock.patch.object(revocation, "revoke", return_value=report), \
            pytest.raises(revocation.RevocationFailed):
        lifetimes.apply(contexts.operator_context(), server(),
                        lifetimes.Decision("shelve", "expired"), POLICY)
    nova["server_shelve"].assert_not_called()


@override_settings(HEPS_DESKTOPS={"signing_key": "k", "max_lifetime_hours": 48})
def test_extend_writes_a_signed_expiry_never_past_the_maximum(nova):
    user = contexts.user_context(project_id="p-1")
    target = server()
    policy = desktops.LifetimePolicy(key=b"k", default_hours=24, max_hours=48,
                                     warning_hours=4)
    target.metadata = signed(target, NOW + 10 * HOUR, key=b"k")
    nova["desktop_get"].return_value = target
    assert lifetimes.extend(user, target.id, 100, now=NOW) == NOW + 48 * HOUR
    nova["desktop_get"].assert_called_once_with(user, target.id)
    metadata = nova["server_set_metadata"].call_args.args[2]
    target.metadata = metadata
    assert desktops.effective_expiry(target, policy, NOW) == (NOW + 48 * HOUR, "")
