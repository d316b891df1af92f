"""The audit trail: the shape of an event, audit.outcome()'s ok / refused / failed, and one
event from every service that acts (launch, experiment data, delete, extend, results
export, Save as Image), on the in-memory cloud or with the api layer mocked."""

import datetime
import json
import logging
from unittest import mock

import pytest
from novaclient import exceptions as nova_exc

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import conventions
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import launch
from heps_desktop_dashboard.services import lifetimes
from heps_desktop_dashboard.services import network_policy
from heps_desktop_dashboard.services import results_export
from heps_desktop_dashboard.services import revocation
from test_data import audit_data
from test_data import contexts
from test_data import experiments_data as edata
from test_data import launch_data

EXP = edata.EXPERIMENT
STANDARD = {"time", "actor", "user_id", "user", "project_id", "action", "target_id",
            "target_name", "result", "request_id", "source_ip"}
pytestmark = pytest.mark.usefixtures("forbid_sleep")


# --- the event itself ----------------------------------------------------------------------

def test_an_event_is_one_json_object_with_who_what_result_and_where_from():
    ctx = contexts.user_context(project_id="p-1", user_id="u-1", username="alice")
    ctx.request_id, ctx.source_ip = "req-7", "192.0.2.7"
    with audit_data.captured() as events:
        record = audit.event(ctx, audit.DESKTOP_EXTEND, "srv-1", "d1", hours=4, none=None)
    assert events == [record]
    assert set(record) == STANDARD | {"hours"}
    assert (record["actor"], record["user"], record["user_id"], record["project_id"],
            record["action"], record["target_id"], record["target_name"], record["result"],
            record["request_id"], record["source_ip"]) == (
        "user", "alice", "u-1", "p-1", "desktop.extend", "srv-1", "d1", "ok", "req-7",
        "192.0.2.7")
    desktops.parse_expiry(record["time"])


def test_the_reconcilers_events_carry_the_desktops_project():
    with audit_data.captured() as events:
        audit.event(contexts.operator_context(), audit.DATA_REVOKE, "srv-1",
                    project_id="p-9", result=audit.FAILED)
    assert (events[0]["actor"], events[0]["project_id"], events[0]["result"]) == (
        "operator", "p-9", "failed")
    assert events[0]["request_id"] == events[0]["source_ip"] == ""


def test_a_broken_handler_never_breaks_the_action():
    class Broken(logging.Handler):
        def emit(self, record):
            raise OSError("disk full")

        def handleError(self, record):
            raise OSError("disk full")

    logger = logging.getLogger(conventions.AUDIT_LOGGER)
    broken = Broken()
    logger.addHandler(broken)
    try:
        assert audit.event(contexts.user_context(), audit.DATA_GRANT)["action"] == "data.grant"
    finally:
        logger.removeHandler(broken)


def test_action_names_are_short_dotted_verbs_listed_once():
    assert len(set(audit.ACTIONS)) == len(audit.ACTIONS)
    for name in audit.ACTIONS:
        what, _sep, verb = name.partition(".")
        assert what and verb and name == name.lower() and " " not in name


def test_outcome_is_ok_refused_or_failed():
    ctx = contexts.user_context()
    with audit_data.captured() as events:
        with audit.outcome(ctx, audit.DESKTOP_EXTEND, "a") as pending:
            pending.target_name = "named later"
            pending.details["hours"] = 2
        with pytest.raises(ValueError), audit.outcome(ctx, audit.DESKTOP_EXTEND, "b",
                                                      refusals=(ValueError,)):
            raise ValueError("too long")
        with pytest.raises(KeyError), audit.outcome(ctx, audit.DESKTOP_EXTEND, "c",
                                                    refusals=(ValueError,)):
            raise KeyError("boom")
    assert [(e["target_id"], e["result"]) for e in events] == [
        ("a", "ok"), ("b", "refused"), ("c", "failed")]
    assert (events[0]["target_name"], events[0]["hours"]) == ("named later", 2)
    assert events[1]["error"] == "ValueError: too long"
    assert "error" not in events[0]


# --- launch --------------------------------------------------------------------------------

@pytest.fixture
def launching():
    ctx = contexts.user_context()
    server = launch_data.created(user_id=ctx.user_id, project_id=ctx.project_id,
                                 flavor_name="heps.vgpu.a16")
    with mock.patch.object(api.neutron, "desktop_network",
                           return_value=launch_data.network()), \
            mock.patch.object(api.nova, "recent_desktops", return_value=[]) as recent, \
            mock.patch.object(api.nova, "desktop_create", return_value=server) as create, \
            mock.patch.object(api.nova, "desktop_get", return_value=server), \
            mock.patch.object(api.nova, "desktop_discard"):
        yield ctx, server, recent, create


def _launch_request(name="d1", **kw):
    profile = next(p for p, _s in launch_data.catalog() if p.id == launch_data.VGPU_ID)
    return launch.LaunchRequest(name=name, image_id="img-1", profile=profile,
                                lifetime_hours=5, **kw)


def test_a_launch_is_one_event_ok_with_what_was_made(launching):
    ctx, server, _recent, _create = launching
    with audit_data.captured() as events:
        launch.launch(ctx, _launch_request())
    assert len(events) == 1
    event = events[0]
    assert (event["action"], event["result"], event["target_id"], event["target_name"]) == (
        "desktop.launch", "ok", server.id, "d1")
    assert (event["profile"], event["image_id"], event["experiment"], event["network_id"],
            event["security_groups"], event["public_ip"]) == (
        "heps.vgpu.a16", "img-1", "", "net-1", ["heps-desktop"], False)


def test_a_double_submit_is_refused_and_a_nova_error_failed(launching):
    ctx, _server, recent, create = launching
    recent.return_value = [launch_data.created(name="d1", image_id="img-1",
                                               flavor_name="heps.vgpu.a16")]
    with audit_data.captured() as events:
        with pytest.raises(launch.DoubleSubmit):
            launch.launch(ctx, _launch_request())
        recent.return_value = []
        create.side_effect = nova_exc.Forbidden(403, "policy")
        with pytest.raises(launch.LaunchFailed):
            launch.launch(ctx, _launch_request())
    assert audit_data.actions(events) == [("desktop.launch", "refused"),
                                          ("desktop.launch", "failed")]
    assert events[0]["target_id"] == events[1]["target_id"] == ""
    assert "DoubleSubmit" in events[0]["error"] and "LaunchFailed" in events[1]["error"]


def test_a_public_address_on_a_profile_without_it_is_refused(launching):
    ctx, _server, _recent, create = launching
    with audit_data.captured() as events, pytest.raises(network_policy.NetworkRefused):
        launch.launch(ctx, _launch_request(public_ip=True))
    create.assert_not_called()
    assert audit_data.actions(events) == [("desktop.launch", "refused")]


# --- experiment data -----------------------------------------------------------------------

@pytest.mark.parametrize("mode_name", ["access-rule", "virtiofs"])
def test_attach_then_detach_is_one_event_each_and_one_per_rule_or_attachment(
        cloud, user, mode_name):
    server = cloud.add_server()
    with edata.mount_mode(mode_name), audit_data.captured() as events:
        data_attach.attach(user, server.id, EXP)
        edata.reconcile(cloud, contexts.operator_context(), server.id)
        data_attach.detach(user, server.id)
        edata.reconcile(cloud, contexts.operator_context(), server.id)
    assert [a for a in audit_data.actions(events, "data.")] == [
        ("data.attach", "ok"), ("data.grant", "ok"), ("data.grant", "ok"),
        ("data.detach", "ok"), ("data.revoke", "ok"), ("data.revoke", "ok")]
    grants = [e for e in events if e["action"] == "data.grant"]
    assert {(g["share_id"], g["level"]) for g in grants} == {(edata.RAW_ID, "ro"),
                                                            (edata.RESULTS_ID, "rw")}
    for event in events:
        assert (event["target_id"], event["project_id"]) == (server.id, edata.PROJECT)
        assert event["mode"] == mode_name
    # access-rule: the POST itself grants; virtiofs: the reconciler, after the stop
    assert {g["actor"] for g in grants} == {"user" if mode_name == "access-rule"
                                            else "operator"}
    if mode_name == "access-rule":
        assert all(g["rule_id"] and g["address"] == "10.42.1.7" for g in grants)


def test_an_attach_refused_or_on_another_projects_desktop_is_a_refused_event(cloud, user):
    server = cloud.add_server()
    other = cloud.add_server(project=edata.OTHER_PROJECT)
    with audit_data.captured() as events:
        with pytest.raises(mounts.MountRefused):
            data_attach.attach(user, server.id, "2026-9999")
        with pytest.raises(nova_exc.NotFound):
            data_attach.attach(user, other.id, EXP)
        with pytest.raises(mounts.MountRefused):
            data_attach.detach(user, server.id)
    assert audit_data.actions(events) == [("data.attach", "refused")] * 2 + [
        ("data.detach", "refused")]
    assert events[1]["target_id"] == other.id and "target_name" in events[1]


def test_a_grant_manila_fails_is_a_failed_event(cloud, user):
    server = cloud.add_server()
    cloud.fail["access_allow"] = api.manila.BadRequest("quota")
    with edata.mount_mode("access-rule"), audit_data.captured() as events:
        data_attach.attach(user, server.id, EXP)
    assert ("data.grant", "failed") in audit_data.actions(events)


# --- delete, extend ------------------------------------------------------------------------

def test_delete_is_one_event_after_one_revoke_per_rule(cloud, user):
    server = cloud.add_server()
    with edata.mount_mode("access-rule"):
        data_attach.attach(user, server.id, EXP)
        edata.reconcile(cloud, user, server.id)
    with audit_data.captured() as events:
        revocation.delete_desktop(user, server.id)
    assert audit_data.actions(events) == [("data.revoke", "ok"), ("data.revoke", "ok"),
                                          ("desktop.delete", "ok")]
    assert (events[-1]["target_id"], events[-1]["rules_denied"]) == (server.id, 2)


def test_deleting_another_projects_desktop_is_refused_and_a_kept_desktop_failed(cloud, user):
    other = cloud.add_server(project=edata.OTHER_PROJECT)
    server = cloud.add_server()
    with edata.mount_mode("access-rule"):
        data_attach.attach(user, server.id, EXP)
        edata.reconcile(cloud, user, server.id)
    cloud.fail["access_deny"] = RuntimeError("locked")
    with audit_data.captured() as events:
        with pytest.raises(nova_exc.NotFound):
            revocation.delete_desktop(user, other.id)
        with pytest.raises(revocation.RevocationFailed):
            revocation.delete_desktop(user, server.id)
    assert audit_data.actions(events, "desktop.") == [("desktop.delete", "refused"),
                                                      ("desktop.delete", "failed")]
    assert other.id in cloud.servers and server.id in cloud.servers


def test_extend_is_one_event_with_the_old_and_new_expiry(cloud, user):
    soon = desktops.format_expiry(desktops.utcnow() + datetime.timedelta(hours=1))
    server = cloud.add_server(expires_at=soon)
    other = cloud.add_server(project=edata.OTHER_PROJECT)
    with audit_data.captured() as events:
        new = lifetimes.extend(user, server.id, 4)
        with pytest.raises(nova_exc.NotFound):
            lifetimes.extend(user, other.id, 4)
    assert audit_data.actions(events) == [("desktop.extend", "ok"),
                                          ("desktop.extend", "refused")]
    assert (events[0]["hours"], events[0]["expires_at"]) == (4, desktops.format_expiry(new))
    assert events[0]["expires_before"] == soon


# --- results export ------------------------------------------------------------------------

def test_snapshot_share_from_snapshot_and_save_as_image_are_events(cloud, user):
    cloud.add_experiment(snapshots=True)
    server = cloud.add_server()
    snapshot = {"id": "snap-1", "name": "s1", "share_id": edata.RESULTS_ID,
                "status": "available"}
    with mock.patch.object(api.manila, "snapshot_create", return_value=snapshot), \
            mock.patch.object(api.manila, "snapshot_get", return_value=snapshot), \
            mock.patch.object(api.manila, "share_create_from_snapshot",
                              return_value={"id": "share-new"}), \
            mock.patch.object(api.nova, "server_create_image", return_value="img-9"), \
            audit_data.captured() as events:
        results_export.snapshot_results(user, edata.RESULTS_ID, "s1")
        results_export.share_from_snapshot(user, "snap-1", "copy")
        results_export.save_as_image(user, server.id, "mine")
        with pytest.raises(mounts.MountRefused):
            results_export.snapshot_results(user, edata.RAW_ID, "raw is not results")
    assert audit_data.actions(events) == [
        ("results.snapshot", "ok"), ("results.share_from_snapshot", "ok"),
        ("desktop.save_image", "ok"), ("results.snapshot", "refused")]
    assert (events[0]["target_id"], events[0]["snapshot_id"]) == (edata.RESULTS_ID, "snap-1")
    assert (events[1]["target_id"], events[1]["share_id"]) == ("snap-1", "share-new")
    assert (events[2]["target_id"], events[2]["image_id"]) == (server.id, "img-9")


def test_every_event_is_json_serializable_even_with_odd_details():
    with audit_data.captured() as events:
        audit.event(contexts.user_context(), audit.DATA_GRANT, details=object(),
                    name="<script>\"'")
    json.dumps(events[0])
