"""services/experiments.py and services/data_attach.py against an in-memory nova + Manila
(test_data/experiments_data.FakeCloud): plans, then both modes' flows. attach/detach
record the wanted state and take ONE step; the rest is repeated advance() calls, as the
reconciler makes them (with the operator's context, or a user's)."""


import pytest

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mount_steps
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import experiments
from test_data import contexts
from test_data import experiments_data as edata

EXP = edata.EXPERIMENT
RAW, RESULTS = edata.RAW_ID, edata.RESULTS_ID
pytestmark = pytest.mark.usefixtures("forbid_sleep")


mode = edata.mount_mode




# --- experiments and plans ------------------------------------------------------------

def test_experiment_list_is_the_projects_own(cloud, user):
    cloud.add_share(edata.share_info("raw", share_id="b1", project=edata.OTHER_PROJECT,
                                     experiment="2026-0217", public=True))
    found = experiments.experiment_list(user)
    assert [(e.id, e.raw.id, e.results.id) for e in found] == [(EXP, RAW, RESULTS)]
    assert cloud.contexts == [("experiment_shares", "user")]


def test_plans_use_the_configured_mode(cloud, user):
    with mode("access-rule"):
        plan = experiments.plan_for(user, EXP)
    assert plan.grant("raw").source == edata.EXPORT + RAW
    assert cloud.calls.count("export_locations") == 2
    cloud.calls.clear()
    with mode("virtiofs"):
        plan = experiments.plan_for(user, EXP)
    assert (plan.grant("raw").tag, plan.grant("results").tag) == ("heps-raw", "heps-results")
    assert "export_locations" not in cloud.calls
    metadata = experiments.plan_metadata(plan)
    assert (metadata["heps:data_state"], metadata["heps:experiment"]) == ("attaching", EXP)


def test_an_operator_plans_for_the_desktops_project_only(cloud):
    operator = contexts.operator_context()
    assert experiments.plan_for(operator, EXP, project_id=edata.PROJECT).experiment_id == EXP
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(operator, EXP, project_id=edata.OTHER_PROJECT)
    assert exc.value.reason == mounts.UNKNOWN_EXPERIMENT


@pytest.mark.parametrize("status", ["error", "deleting", "creating"])
def test_shares_not_available_are_refused_at_plan_time(cloud, user, status):
    cloud.shares[RESULTS]["status"] = status
    for name in mounts.MODES:
        with mode(name), pytest.raises(mounts.MountRefused) as exc:
            experiments.plan_for(user, EXP)
        assert exc.value.reason == mounts.BAD_STATUS
        message = str(texts.refusal_message(exc.value))
        assert status in message and "exp-2026-0142-results" in message


def test_protocol_the_mode_cannot_mount_is_refused(cloud, user):
    cloud.shares[RAW]["share_proto"] = "CIFS"
    with mode("virtiofs"), pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(user, EXP)
    assert exc.value.reason == mounts.PROTOCOL
    with mode("virtiofs"):
        assert "CIFS" in str(texts.refusal_message(exc.value))


def test_another_projects_experiment_is_unknown(cloud, user):
    cloud.add_share(edata.share_info("raw", share_id="b1", project=edata.OTHER_PROJECT,
                                     experiment="2026-0217", public=True))
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(user, "2026-0217")
    assert exc.value.reason == mounts.UNKNOWN_EXPERIMENT


def test_user_data_for_a_new_desktop(cloud, user):
    with mode("access-rule"):
        text = experiments.user_data_for(experiments.plan_for(user, EXP))
        assert f"What={edata.EXPORT}{RAW}" in text and "Options=ro," in text
        assert experiments.user_data_for(None) is None
    with mode("virtiofs"):
        assert "What=heps-raw" in experiments.user_data_for(None)   # tags even without


def test_an_unknown_mount_mode_setting_is_refused():
    with mode("smb"), pytest.raises(mounts.MountRefused) as exc:
        experiments.mount_mode()
    assert exc.value.reason == mounts.BAD_MODE


# --- attach: the wanted state and one step --------------------------------------------

def test_access_rule_attach_records_the_plan_and_takes_one_step(cloud, user, runner):
    server = cloud.add_server()
    with mode("access-rule"):
        step = data_attach.attach(user, server.id, EXP)
        assert step.action == mount_steps.ALLOW
        assert cloud.metadata(server.id)["heps:data_state"] == "attaching"
        assert cloud.metadata(server.id)["heps:experiment"] == EXP
        assert {r["state"] for r in cloud.all_rules()} == {"queued_to_apply"}
        assert {ctx for _name, ctx in cloud.contexts} == {"user"}
        seen = edata.reconcile(cloud, runner, server.id)
    assert seen[-1] == "attached"
    rules = {r["metadata"]["heps:kind"]: r for r in cloud.all_rules()}
    assert rules["raw"]["access_level"] == "ro" and rules["results"]["access_level"] == "rw"
    assert {r["access_to"] for r in rules.values()} == {"10.42.1.7"}
    assert rules["raw"]["metadata"] == {"heps:desktop": server.id, "heps:kind": "raw",
                                        "heps:experiment": EXP, "heps:project": edata.PROJECT}
    assert cloud.calls.count("access_allow") == 2


def test_virtiofs_attach_stops_then_the_reconciler_attaches_and_starts(cloud, user, runner):
    server = cloud.add_server()
    with mode("virtiofs"):
        step = data_attach.attach(user, server.id, EXP)
        assert step.action == mount_steps.STOP
        assert cloud.metadata(server.id)["heps:data_state"] == "attaching-restart"
        assert cloud.attached[server.id] == {}          # the first step only
        seen = edata.reconcile(cloud, runner, server.id)
    assert seen[-1] == "attached"
    assert cloud.calls.count("server_stop") == 1 and cloud.calls.count("server_start") == 1
    assert cloud.status(server.id) == "ACTIVE"
    assert {sid: a["tag"] for sid, a in cloud.attached[server.id].items()} == {
        RAW: "heps-raw", RESULTS: "heps-results"}
    assert cloud.all_rules() == []     # virtiofs: nova grants the host, not the plugin


def test_virtiofs_attach_to_a_stopped_desktop_leaves_it_stopped(cloud, user, runner):
    server = cloud.add_server(status="SHUTOFF")
    with mode("virtiofs"):
        assert data_attach.attach(user, server.id, EXP).action == mount_steps.ATTACH
        assert edata.reconcile(cloud, runner, server.id)[-1] == "attached"
    assert "server_stop" not in cloud.calls and "server_start" not in cloud.calls
    assert cloud.status(server.id) == "SHUTOFF"


def test_attach_with_results_read_only(cloud, user, runner):
    server = cloud.add_server()
    with mode("access-rule"):
        data_attach.attach(user, server.id, EXP, levels={"results": "ro"})
        edata.reconcile(cloud, runner, server.id)
    assert {r["access_level"] for r in cloud.all_rules()} == {"ro"}


@pytest.mark.parametrize("metadata, status, task, reason", [
    ({"heps:data_state": "attached", "heps:mount:raw": "nfs a:/b /data/raw ro x"},
     "ACTIVE", None, mounts.ALREADY_ATTACHED),
    ({"heps:data_state": "attaching"}, "ACTIVE", None, mounts.BUSY),
    ({}, "ACTIVE", "rebooting", mounts.BUSY),
    ({}, "SHELVED_OFFLOADED", None, mounts.BUSY),
    ({}, "ERROR", None, mounts.BUSY),
    ({"heps:revoking": "2026-11-26T05:00:00Z"}, "ACTIVE", None, mounts.BUSY),
    ({}, "ACTIVE", "deleting", mounts.BUSY),
])
def test_attach_refusals_change_nothing(cloud, user, metadata, status, task, reason):
    server = cloud.add_server(status=status, task=task, metadata=metadata)
    with pytest.raises(mounts.MountRefused) as exc:
        data_attach.attach(user, server.id, EXP)
    assert exc.value.reason == reason
    assert cloud.mutations() == [] and cloud.all_rules() == []


@pytest.mark.parametrize("mode_name", mounts.MODES)
def test_a_second_attach_while_one_runs_is_refused(cloud, user, mode_name):
    server = cloud.add_server()
    with mode(mode_name):
        data_attach.attach(user, server.id, EXP)
        before = list(cloud.mutations())
        with pytest.raises(mounts.MountRefused) as exc:
            data_attach.attach(user, server.id, EXP)
    assert exc.value.reason == mounts.BUSY
    assert cloud.mutations() == before


def test_another_projects_desktop_is_not_found(cloud, user):
    server = cloud.add_server(project=edata.OTHER_PROJECT)
    with pytest.raises(api.nova.NotFound):
        data_attach.attach(user, server.id, EXP)
    with pytest.raises(api.nova.NotFound):
        data_attach.detach(user, server.id)
    assert cloud.mutations() == []


# --- detach ------------------------------------------------------------------------------

@pytest.mark.parametrize("mode_name", mounts.MODES)
def test_detach_removes_the_access_the_data_keys_and_the_experiment(cloud, user, runner,
                                                                    mode_name):
    server = cloud.add_server()
    with mode(mode_name):
        data_attach.attach(user, server.id, EXP)
        assert edata.reconcile(cloud, runner, server.id)[-1] == "attached"
        step = data_attach.detach(user, server.id)
        assert step.action == (mount_steps.STOP if mode_name == "virtiofs"
                               else mount_steps.DENY)
        seen = edata.reconcile(cloud, runner, server.id)
    assert seen[-1] == ""
    metadata = cloud.metadata(server.id)
    assert mounts.data_metadata_keys(metadata) == []
    assert "heps:experiment" not in metadata
    assert cloud.live_rules() == [] and cloud.attached[server.id] == {}
    assert cloud.status(server.id) == "ACTIVE"


def test_detach_refusals(cloud, user):
    server = cloud.add_server()
    with pytest.raises(mounts.MountRefused) as exc:
        data_attach.detach(user, server.id)
    assert exc.value.reason == mounts.NOTHING_ATTACHED
    with mode("access-rule"):
        data_attach.attach(user, server.id, EXP)
        with pytest.raises(mounts.MountRefused) as exc:
            data_attach.detach(user, server.id)
    assert exc.value.reason == mounts.BUSY


# --- the configured mode, never the metadata's ------------------------------------------

@pytest.mark.parametrize("configured, recorded", [("access-rule", "virtiofs"),
                                                  ("virtiofs", "access-rule")])
def test_advance_follows_the_setting_not_heps_data_mode(cloud, user, runner, configured,
                                                        recorded):
    server = edata.planned_server(cloud, user, configured)
    cloud.servers[server.id]["metadata"]["heps:data_mode"] = recorded   # a user's edit
    with mode(configured):
        step = data_attach.advance(runner, cloud.server(server.id))
    if configured == "access-rule":
        assert step.action == mount_steps.ALLOW and "server_stop" not in cloud.calls
    else:
        assert step.action == mount_steps.STOP and "access_allow" not in cloud.calls


def test_detach_records_the_configured_mode(cloud, user):
    server = cloud.add_server(status="SHUTOFF")
    with mode("access-rule"):
        data_attach.attach(user, server.id, EXP)
        edata.reconcile(cloud, user, server.id)
        cloud.servers[server.id]["metadata"]["heps:data_mode"] = "virtiofs"
        data_attach.detach(user, server.id)
    assert cloud.metadata(server.id)["heps:data_mode"] == "access-rule"
    assert "server_start" not in cloud.calls


# --- what advance() does not do ------------------------------------------------------------

def test_advance_without_data_in_transition_costs_nothing(cloud, runner):
    server = cloud.add_server()
    assert data_attach.advance(runner, server).action == mount_steps.DONE
    assert cloud.calls == []


def test_a_building_desktop_waits_and_nothing_is_granted(cloud, user, runner):
    server = edata.planned_server(cloud, user, "access-rule", status="BUILD", task="spawning",
                            address="")
    with mode("access-rule"):
        assert data_attach.advance(runner, server).action == mount_steps.WAIT
        cloud.set_status(server.id, "ACTIVE")
        assert data_attach.advance(runner, cloud.server(server.id)).action == \
            mount_steps.WAIT                                           # no address yet
    assert cloud.mutations() == []


@pytest.mark.parametrize("metadata, task", [({"heps:revoking": "2026-11-26T05:00:00Z"}, None),
                                            ({}, "deleting")])
@pytest.mark.parametrize("mode_name", mounts.MODES)
def test_a_desktop_being_deleted_gets_no_grant(cloud, user, runner, metadata, task,
                                               mode_name):
    server = edata.planned_server(cloud, user, mode_name, task=task)
    cloud.servers[server.id]["metadata"].update(metadata)
    with mode(mode_name):
        step = data_attach.advance(runner, cloud.server(server.id))
    assert step.action == mount_steps.WAIT
    assert cloud.mutations() == [] and cloud.all_rules() == []
