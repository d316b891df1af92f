"""desktops/experiments.py, the service layer, against an in-memory nova + Manila
(test_data/experiments_data.FakeCloud): both modes' flows step by step, refusals, failure
roll-back, revocation with retries, results export."""

from unittest import mock

import pytest
from django.test import override_settings
from manilaclient.common.apiclient import exceptions as manila_exc

from heps_desktop_dashboard import api
from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.desktops import experiments
from test_data import experiments_data as edata

EXP = edata.EXPERIMENT
RAW, RESULTS = edata.RAW_ID, edata.RESULTS_ID


def mode(name):
    return override_settings(HEPS_DESKTOPS={"share_mount_mode": name})


@pytest.fixture
def cloud():
    cloud = edata.FakeCloud()
    cloud.add_experiment()
    with cloud.patches():
        yield cloud


@pytest.fixture
def request_():
    return edata.FakeRequest()


@pytest.fixture(autouse=True)
def no_sleep():
    with mock.patch.object(experiments.time, "sleep"):
        yield


def launch(cloud, request_, mode_name, status="BUILD", address=""):
    metadata = {"heps:owner": "test_user"}
    metadata.update(experiments.launch_metadata(request_, EXP, mode=mode_name))
    server = cloud.add_server(status=status, metadata=metadata, address=address,
                              task="spawning" if status == "BUILD" else None)
    return server


def run(cloud, request_, server_id, rounds=12):
    """Poll like the Desktops table does: one progress() and one 'nova/Manila finish'
    per round; returns the data states seen."""
    seen = []
    for _ in range(rounds):
        server = cloud.desktop_get(request_, server_id)
        experiments.progress(request_, server)
        cloud.finish()
        state = cloud.metadata(server_id).get(mounts.META_DATA_STATE, "")
        seen.append(state)
        if state in ("attached", "error", "") and not getattr(
                cloud.servers[server_id], "OS-EXT-STS:task_state", None):
            if seen[-2:] == [state, state] or state != "attached":
                break
    return seen


# --- launch ---------------------------------------------------------------------------

def test_choices_show_size_protocol_status_and_none(cloud, request_):
    cloud.add_share(edata.share_info("raw", share_id="x", project=edata.OTHER_PROJECT,
                                     experiment="2026-0217"))
    choices = experiments.experiment_choices(request_)
    assert [c[0] for c in choices] == ["", EXP]
    label = str(choices[1][1])
    assert "exp-2026-0142-raw (1 GiB, NFS, available)" in label
    assert "Results: exp-2026-0142-results" in label


def test_choices_when_manila_is_down_leave_only_none_and_say_so(cloud, request_):
    cloud.fail["experiment_shares"] = manila.ShareServiceUnavailable("refused")
    with mock.patch.object(experiments.horizon_exceptions, "handle") as handle:
        assert [c[0] for c in experiments.experiment_choices(request_)] == [""]
    assert "Manila" in str(handle.call_args[0][1])


def test_access_rule_launch_user_data_metadata_then_rules(cloud, request_):
    with mode("access-rule"):
        user_data = experiments.user_data_for(request_, EXP)
        assert f"What={edata.EXPORT}{RAW}" in user_data and "Options=ro," in user_data
        server = launch(cloud, request_, "access-rule")
        assert experiments.apply_on_launch(request_, server, EXP).action == mounts.WAIT
        assert cloud.all_rules() == []             # no address yet: nothing granted
        cloud.set_status(server.id, "ACTIVE")
        server.addresses = {"net": [{"addr": "10.42.1.7", "version": 4}]}
        seen = run(cloud, request_, server.id)
    assert seen[-1] == "attached"
    rules = {r["metadata"]["heps:kind"]: r for r in cloud.all_rules()}
    assert rules["raw"]["access_level"] == "ro" and rules["results"]["access_level"] == "rw"
    assert {r["access_to"] for r in rules.values()} == {"10.42.1.7"}
    assert rules["raw"]["metadata"] == {"heps:desktop": server.id, "heps:kind": "raw",
                                        "heps:experiment": EXP}
    assert cloud.metadata(server.id)["heps:experiment"] == EXP


def test_virtiofs_launch_stops_attaches_both_then_starts(cloud, request_):
    with mode("virtiofs"):
        user_data = experiments.user_data_for(request_, EXP)
        assert "What=heps-raw" in user_data and "What=heps-results" in user_data
        assert experiments.user_data_for(request_, "") is not None   # tags even without
        server = launch(cloud, request_, "virtiofs")
        experiments.apply_on_launch(request_, server, EXP)
        assert "desktop_stop" not in cloud.calls               # still building
        cloud.set_status(server.id, "ACTIVE")
        seen = run(cloud, request_, server.id)
    assert seen[-1] == "attached"
    assert "attaching-restart" in seen
    assert cloud.calls.count("desktop_stop") == 1 and cloud.calls.count("desktop_start") == 1
    assert cloud.servers[server.id].status == "ACTIVE"
    assert {sid: a["tag"] for sid, a in cloud.attached[server.id].items()} == {
        RAW: "heps-raw", RESULTS: "heps-results"}
    assert cloud.all_rules() == []     # virtiofs: nova grants the host, not the plugin


def test_a_rows_poll_costs_nothing_extra_without_data_in_transition(cloud, request_):
    server = cloud.add_server()
    assert experiments.progress(request_, server) is server
    assert cloud.calls == []


def test_apply_on_launch_without_launch_metadata_while_building_is_refused(cloud, request_):
    server = cloud.add_server(status="BUILD", task="spawning", metadata={})
    with mode("access-rule"), pytest.raises(mounts.MountRefused) as exc:
        experiments.apply_on_launch(request_, server, EXP)
    assert exc.value.reason == mounts.BUSY
    assert cloud.all_rules() == []


# --- failures: nothing half-granted -------------------------------------------------

def test_a_rule_in_error_rolls_back_the_other_and_records_the_error(cloud, request_):
    with mode("access-rule"):
        server = launch(cloud, request_, "access-rule", status="ACTIVE", address="10.42.1.7")
        experiments.apply_on_launch(request_, server, EXP)     # rules queued
        cloud.rules[RESULTS][0]["state"] = "error"
        seen = run(cloud, request_, server.id)
    assert seen[-1] == "error"
    assert cloud.metadata(server.id)["heps:data_error"] == "rule-error"
    assert [r for r in cloud.all_rules() if r["state"] != "error"] == []


@pytest.mark.parametrize("tamper, reason", [
    (lambda v: v.replace(" ro ", " rw "), "refused"),                # raw asked read-write
    (lambda v: v.replace(edata.RAW_ID, "foreign-share"), "refused"),  # not this project's
])
def test_hand_edited_metadata_is_checked_on_manila_before_any_grant(cloud, request_, tamper,
                                                                    reason):
    cloud.add_share(edata.share_info("raw", share_id="foreign-share",
                                     project=edata.OTHER_PROJECT))
    with mode("access-rule"):
        server = launch(cloud, request_, "access-rule", status="ACTIVE", address="10.42.1.7")
        server.metadata["heps:mount:raw"] = tamper(server.metadata["heps:mount:raw"])
        experiments.advance(request_, server)
    assert cloud.metadata(server.id)["heps:data_error"] == reason
    assert cloud.all_rules() == []
    assert "access_allow" not in cloud.calls


def test_a_raw_share_swapped_for_the_results_share_is_refused(cloud, request_):
    with mode("access-rule"):
        server = launch(cloud, request_, "access-rule", status="ACTIVE", address="10.42.1.7")
        server.metadata["heps:mount:raw"] = server.metadata["heps:mount:raw"].replace(
            RAW, RESULTS)
        experiments.advance(request_, server)
    assert cloud.metadata(server.id)["heps:data_state"] == "error"
    assert cloud.all_rules() == []


@pytest.mark.parametrize("status", ["error", "deleting", "creating"])
def test_shares_not_available_are_refused_at_plan_time(cloud, request_, status):
    cloud.shares[RESULTS]["status"] = status
    for name in mounts.MODES:
        with pytest.raises(mounts.MountRefused) as exc:
            experiments.plan_for(request_, EXP, mode=name)
        assert exc.value.reason == mounts.BAD_STATUS
        message = str(experiments.refusal_message(exc.value))
        assert status in message and "exp-2026-0142-results" in message


def test_a_share_that_went_to_error_after_launch_is_not_granted(cloud, request_):
    with mode("access-rule"):
        server = launch(cloud, request_, "access-rule", status="ACTIVE", address="10.42.1.7")
        cloud.shares[RESULTS]["status"] = "error"
        experiments.advance(request_, server)
    assert cloud.all_rules() == []
    assert cloud.metadata(server.id)["heps:data_state"] == "error"


def test_protocol_the_mode_cannot_mount_is_refused(cloud, request_):
    cloud.shares[RAW]["share_proto"] = "CIFS"
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(request_, EXP, mode="virtiofs")
    assert exc.value.reason == mounts.PROTOCOL
    assert "CIFS" in str(experiments.refusal_message(exc.value))


def test_another_projects_experiment_is_unknown(cloud, request_):
    cloud.add_share(edata.share_info("raw", share_id="b1", project=edata.OTHER_PROJECT,
                                     experiment="2026-0217"))
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(request_, "2026-0217")
    assert exc.value.reason == mounts.UNKNOWN_EXPERIMENT


def test_manila_down_during_a_step_keeps_the_state_for_the_next_poll(cloud, request_):
    with mode("access-rule"):
        server = launch(cloud, request_, "access-rule", status="ACTIVE", address="10.42.1.7")
        cloud.fail["desktop_rules"] = manila.ShareServiceUnavailable("down")
        assert experiments.progress(request_, server) is server
        assert cloud.metadata(server.id)["heps:data_state"] == "attaching"
        del cloud.fail["desktop_rules"]
        assert run(cloud, request_, server.id)[-1] == "attached"


def test_virtiofs_attachment_error_rolls_back_while_stopped(cloud, request_):
    with mode("virtiofs"):
        server = launch(cloud, request_, "virtiofs", status="SHUTOFF")
        experiments.advance(request_, server)                 # attaches both
        cloud.attached[server.id][RESULTS]["status"] = "error"
        cloud.attached[server.id][RAW]["status"] = "inactive"
        experiments.advance(request_, cloud.servers[server.id])
    assert cloud.metadata(server.id)["heps:data_error"] == "attachment-error"
    assert {a["status"] for a in cloud.attached[server.id].values()} == {"detaching"}
    cloud.finish()
    assert cloud.attached[server.id] == {}


# --- attach / detach on an existing desktop -------------------------------------------

def test_attach_to_a_stopped_desktop_leaves_it_stopped(cloud, request_):
    server = cloud.add_server(status="SHUTOFF")
    with mode("virtiofs"):
        experiments.attach(request_, server.id, EXP)
        seen = run(cloud, request_, server.id)
    assert seen[-1] == "attached"
    assert "desktop_stop" not in cloud.calls and "desktop_start" not in cloud.calls
    assert cloud.servers[server.id].status == "SHUTOFF"


def test_attach_with_results_read_only(cloud, request_):
    server = cloud.add_server()
    with mode("access-rule"):
        experiments.attach(request_, server.id, EXP, levels={"results": "ro"})
        run(cloud, request_, server.id)
    assert {r["access_level"] for r in cloud.all_rules()} == {"ro"}


@pytest.mark.parametrize("metadata, status, task, reason", [
    ({"heps:data_state": "attached", "heps:mount:raw": "nfs a:/b /data/raw ro x"},
     "ACTIVE", None, mounts.ALREADY_ATTACHED),
    ({"heps:data_state": "attaching"}, "ACTIVE", None, mounts.BUSY),
    ({}, "ACTIVE", "rebooting", mounts.BUSY),
    ({}, "SHELVED_OFFLOADED", None, mounts.BUSY),
])
def test_attach_refusals(cloud, request_, metadata, status, task, reason):
    server = cloud.add_server(status=status, task=task, metadata=metadata)
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.attach(request_, server.id, EXP)
    assert exc.value.reason == reason
    assert cloud.all_rules() == [] and "compute POST" not in cloud.calls


@pytest.mark.parametrize("mode_name", mounts.MODES)
def test_detach_removes_everything_and_the_metadata(cloud, request_, mode_name):
    server = cloud.add_server()
    with mode(mode_name):
        experiments.attach(request_, server.id, EXP)
        assert run(cloud, request_, server.id)[-1] == "attached"
        experiments.detach(request_, server.id)
        seen = run(cloud, request_, server.id)
    assert seen[-1] == ""
    assert mounts.data_metadata_keys(cloud.metadata(server.id)) == []
    assert cloud.all_rules() == [] and cloud.attached[server.id] == {}
    assert cloud.servers[server.id].status == "ACTIVE"
    assert cloud.metadata(server.id)["heps:experiment"] == EXP


def test_detach_refused_without_data(cloud, request_):
    server = cloud.add_server()
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.detach(request_, server.id)
    assert exc.value.reason == mounts.NOTHING_ATTACHED


# --- revocation on delete -------------------------------------------------------------------

def _attached(cloud, request_, mode_name="access-rule", status="ACTIVE"):
    server = cloud.add_server()
    with mode(mode_name):
        experiments.attach(request_, server.id, EXP)
        run(cloud, request_, server.id)
    if status != "ACTIVE":
        cloud.set_status(server.id, status)
    return server


def test_revoke_then_delete_removes_the_rules_first(cloud, request_):
    server = _attached(cloud, request_)
    order = []
    deny, delete = cloud.access_deny, cloud.desktop_delete
    with mock.patch.object(manila, "access_deny",
                           side_effect=lambda *a: (order.append("deny"), deny(*a))[1]), \
            mock.patch.object(api.nova, "desktop_delete",
                              side_effect=lambda *a: (order.append("delete"), delete(*a))[1]), \
            mock.patch.object(experiments, "_wait_denied", return_value=[]):
        report = experiments.revoke_then_delete(request_, server.id)
    assert order == ["deny", "deny", "delete"]
    assert report.ok and len(report.denied) == 2
    cloud.finish()
    assert cloud.all_rules() == []


def test_a_rule_left_from_another_experiment_is_revoked_too(cloud, request_):
    server = _attached(cloud, request_)
    cloud.add_share(edata.share_info("raw", share_id="old-raw", experiment="2025-0001"))
    cloud.access_allow(request_, "old-raw", "10.42.1.7", "ro", {"heps:desktop": server.id})
    with mock.patch.object(experiments, "_wait_denied", return_value=[]):
        report = experiments.revoke_then_delete(request_, server.id)
    assert {share_id for share_id, _n, _r in report.denied} == {RAW, RESULTS, "old-raw"}


def test_revocation_retries_then_keeps_the_desktop_and_reports(cloud, request_):
    server = _attached(cloud, request_)
    cloud.fail["access_deny"] = manila_exc.ClientException(500, "boom")
    with pytest.raises(experiments.RevocationFailed) as exc:
        experiments.revoke_then_delete(request_, server.id)
    assert cloud.calls.count("access_deny") == 2 * experiments.REVOKE_ATTEMPTS
    assert "desktop_delete" not in cloud.calls and server.id in cloud.servers
    message = str(experiments.revocation_message(exc.value.name, exc.value.report))
    assert "was not deleted" in message and "exp-2026-0142-raw" in message


def test_a_transient_deny_failure_is_retried_and_the_delete_goes_on(cloud, request_):
    server = _attached(cloud, request_)
    real = cloud.access_deny
    failures = [manila_exc.ClientException(503, "busy")]

    def flaky(*args):
        if failures:
            raise failures.pop()
        return real(*args)

    with mock.patch.object(manila, "access_deny", side_effect=flaky), \
            mock.patch.object(experiments, "_wait_denied", return_value=[]):
        report = experiments.revoke_then_delete(request_, server.id)
    assert report.ok and cloud.deleted == [server.id]


def test_manila_down_at_delete_keeps_the_desktop(cloud, request_):
    server = _attached(cloud, request_)
    cloud.fail["experiment_shares"] = manila.ShareServiceUnavailable("down")
    with pytest.raises(experiments.RevocationFailed):
        experiments.revoke_then_delete(request_, server.id)
    assert server.id in cloud.servers


def test_virtiofs_revoke_detaches_when_stopped_and_leaves_running_ones_to_nova(cloud,
                                                                               request_):
    stopped = _attached(cloud, request_, "virtiofs", status="SHUTOFF")
    report = experiments.revoke(request_, stopped.id, settle=0)
    assert set(report.detached) == {RAW, RESULTS} and report.left_to_nova == []
    running = _attached(cloud, request_, "virtiofs")
    report = experiments.revoke(request_, running.id, settle=0)
    assert set(report.left_to_nova) == {RAW, RESULTS} and report.ok


def test_wait_denied_reports_rules_still_listed(cloud, request_):
    server = _attached(cloud, request_)
    with mock.patch.object(experiments.time, "monotonic", side_effect=[0, 0, 100, 100]):
        report = experiments.revoke(request_, server.id, settle=1)
    assert len(report.pending) == 2          # Manila had not dropped them yet
    cloud.finish()
    assert experiments.revoke(request_, server.id, settle=1).pending == []


def test_delete_desktop_turns_a_failed_revocation_into_one_message(cloud, request_):
    server = _attached(cloud, request_)
    cloud.fail["access_deny"] = manila_exc.ClientException(500, "boom")
    with mock.patch.object(experiments.horizon_exceptions, "handle") as handle:
        experiments.delete_desktop(request_, server.id)
    kwargs = handle.call_args.kwargs
    assert kwargs["escalate"] is True and kwargs["details"] == ""
    assert "was not deleted" in str(handle.call_args[0][1])


# --- results export -----------------------------------------------------------------------

def test_snapshot_refusals(cloud, request_):
    with mock.patch.object(manila, "snapshot_create") as create:
        with pytest.raises(experiments.ExportRefused) as exc:
            experiments.snapshot_results(request_, RESULTS, "s")
        assert "no snapshot support" in str(exc.value.message)
        with pytest.raises(mounts.MountRefused):          # the raw share is not exported
            experiments.snapshot_results(request_, RAW, "s")
        cloud.shares[RESULTS]["snapshot_support"] = True
        cloud.shares[RESULTS]["status"] = "deleting"
        with pytest.raises(experiments.ExportRefused):
            experiments.snapshot_results(request_, RESULTS, "s")
        cloud.shares[RESULTS]["status"] = "available"
        experiments.snapshot_results(request_, RESULTS, "s", "d")
    create.assert_called_once_with(request_, RESULTS, "s", "d")
    assert experiments.default_snapshot_name(EXP).startswith(f"{EXP}-results-20")


def test_share_from_snapshot_is_tagged_with_its_source_not_the_experiment(cloud, request_):
    cloud.shares[RESULTS]["snapshot_support"] = True
    cloud.shares[RESULTS]["create_share_from_snapshot_support"] = True
    snapshot = {"id": "snap-1", "share_id": RESULTS, "status": "available", "size": 1,
                "share_proto": "NFS", "name": "s"}
    with mock.patch.object(manila, "snapshot_get", return_value=snapshot), \
            mock.patch.object(manila, "share_create_from_snapshot",
                              return_value={"id": "new"}) as create:
        experiments.share_from_snapshot(request_, "snap-1", "export", "d")
        snapshot["status"] = "creating"
        with pytest.raises(experiments.ExportRefused):
            experiments.share_from_snapshot(request_, "snap-1", "export")
    create.assert_called_once_with(request_, snapshot, "export", "d", {
        "heps:source_snapshot": "snap-1", "heps:source_experiment": EXP})


def test_results_quota(cloud, request_):
    with mock.patch.object(manila, "quota_usage", return_value={
            "gigabytes": {"limit": 1000, "in_use": 2, "reserved": 0}}):
        quota = experiments.results_quota(request_, edata.share("results"))
    assert quota == {"share_size": 1, "used": 2, "limit": 1000, "reserved": 0}


def test_save_as_image_is_never_a_golden_image(cloud, request_):
    server = cloud.add_server()
    client = mock.Mock()
    with mock.patch.object(api.nova, "client_for", return_value=client):
        experiments.save_as_image(request_, server.id, "my-image")
    name, metadata = client.servers.create_image.call_args[0][1:]
    assert name == "my-image"
    assert metadata["heps_golden"] == "false"
    assert metadata["heps_source_desktop"] == server.id
    assert metadata["heps_source_experiment"] == EXP
