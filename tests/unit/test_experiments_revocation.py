"""services/revocation.py and services/results_export.py against the in-memory cloud:
access goes before the desktop, once per call (no retries, no sleeping), Manila down
does not block a delete, a grant racing with a delete is caught by the re-scan."""

import datetime
from unittest import mock

import pytest
from manilaclient.common.apiclient import exceptions as manila_exc

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mount_steps
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import reconcile
from heps_desktop_dashboard.services import results_export
from heps_desktop_dashboard.services import revocation
from test_data import contexts
from test_data import experiments_data as edata

EXP = edata.EXPERIMENT
RAW, RESULTS = edata.RAW_ID, edata.RESULTS_ID
pytestmark = pytest.mark.usefixtures("forbid_sleep")
mode = edata.mount_mode


@pytest.fixture(params=["user", "operator"])
def ctx(request):
    """Who deletes: a user in the panel, or the reconciler finishing it."""
    if request.param == "operator":
        return contexts.operator_context()
    return contexts.user_context(project_id=edata.PROJECT)


def attached(cloud, user, mode_name="access-rule", status="ACTIVE"):
    server = cloud.add_server()
    with mode(mode_name):
        data_attach.attach(user, server.id, EXP)
        assert edata.reconcile(cloud, user, server.id)[-1] == "attached"
    if status != "ACTIVE":
        cloud.set_status(server.id, status)
    cloud.calls.clear()
    return cloud.server(server.id)


# --- revoke, then delete ----------------------------------------------------------------

def test_revoke_then_delete_marks_revokes_then_deletes(cloud, user, ctx):
    server = attached(cloud, user)
    report = revocation.revoke_then_delete(ctx, server)
    assert cloud.mutations() == ["server_set_metadata", "access_deny", "access_deny",
                                 "server_delete"]
    assert report.ok and len(report.denied) == 2
    cloud.finish()
    assert cloud.all_rules() == [] and cloud.deleted == [server.id]


def test_a_marked_desktop_gets_no_grant_from_a_later_step(cloud, user):
    server = edata.planned_server(cloud, user, "access-rule")
    revocation.mark_revoking(user, server)
    assert "heps:revoking" in cloud.metadata(server.id)
    with mode("access-rule"):
        step = data_attach.advance(contexts.operator_context(), cloud.server(server.id))
    assert step.action == mount_steps.WAIT and cloud.all_rules() == []


def test_a_rule_left_from_another_experiment_is_revoked_too(cloud, user):
    server = attached(cloud, user)
    cloud.add_share(edata.share_info("raw", share_id="old-raw", experiment="2025-0001"))
    cloud.access_allow(user, "old-raw", "10.42.1.7", "ro", {"heps:desktop": server.id})
    report = revocation.revoke_then_delete(user, server)
    assert {share_id for share_id, _rule in report.denied} == {RAW, RESULTS, "old-raw"}


def test_a_rule_manila_refuses_to_remove_keeps_the_desktop_without_retrying(cloud, user):
    server = attached(cloud, user)
    cloud.fail["access_deny"] = manila_exc.Forbidden(403, "locked")
    with pytest.raises(revocation.RevocationFailed) as exc:
        revocation.revoke_then_delete(user, server)
    assert cloud.calls.count("access_deny") == 2               # once per rule, no retry
    assert "server_delete" not in cloud.calls and server.id in cloud.servers
    assert {share for share, _reason in exc.value.report.failed} == {RAW, RESULTS}
    message = str(texts.revocation_message(exc.value))
    assert "was not deleted" in message and RAW in message


@pytest.mark.parametrize("down", ["experiment_shares", "desktop_rules"])
def test_manila_down_at_delete_still_deletes_and_says_so(cloud, user, ctx, down):
    server = attached(cloud, user)
    cloud.fail[down] = api.manila.ShareServiceUnavailable("down")
    report = revocation.revoke_then_delete(ctx, server)
    assert report.manila_down and not report.ok and report.failed == []
    assert cloud.deleted == [server.id]
    # The rules are the reconciler's to remove (services/orphans.py).
    assert len(cloud.live_rules()) == 2


@pytest.mark.parametrize("mode_name", mounts.MODES)
def test_a_delete_while_attaching_leaves_no_access(cloud, user, ctx, mode_name):
    server = edata.planned_server(cloud, user, mode_name, status="SHUTOFF")
    operator = contexts.operator_context()
    # The reconciler read the desktop before it was marked, and tries to grant while
    # the panel deletes it: it re-reads the desktop right before granting and sees the
    # mark (a grant that slips past is taken back by its own check after the grant, or
    # by the delete's re-scan).
    stale = cloud.server(server.id)
    with mode(mode_name):
        cloud.hooks["server_delete"] = lambda: data_attach.advance(operator, stale)
        revocation.revoke_then_delete(ctx, server)
    assert cloud.deleted == [server.id]
    if mode_name == "access-rule":
        assert cloud.calls.count("access_allow") == 0
    else:
        # Share attachments go with the server: nova deletes them itself.
        assert cloud.calls.count("share_attach") == 2 and server.id not in cloud.attached
    cloud.finish()
    assert cloud.all_rules() == []


def test_virtiofs_revoke_detaches_when_stopped_and_leaves_running_ones_to_nova(cloud,
                                                                               user):
    stopped = attached(cloud, user, "virtiofs", status="SHUTOFF")
    report = revocation.revoke(user, stopped)
    assert set(report.detached) == {RAW, RESULTS} and report.left_to_nova == []
    running = attached(cloud, user, "virtiofs")
    report = revocation.revoke(user, running)
    assert set(report.left_to_nova) == {RAW, RESULTS} and report.ok


def test_a_desktop_nova_will_not_mark_is_still_revoked_and_deleted(cloud, user):
    server = attached(cloud, user)
    cloud.set_status(server.id, "ERROR")
    report = revocation.revoke_then_delete(user, cloud.server(server.id))
    assert cloud.calls[:1] == ["server_set_metadata"]        # refused by nova (409)
    assert report.ok and len(report.denied) == 2 and cloud.deleted == [server.id]


def test_delete_desktop_checks_the_project_first(cloud, user):
    server = cloud.add_server(project=edata.OTHER_PROJECT)
    with pytest.raises(api.nova.NotFound):
        revocation.delete_desktop(user, server.id)
    assert cloud.mutations() == [] and server.id in cloud.servers
    mine = attached(cloud, user)
    assert revocation.delete_desktop(user, mine.id).ok
    assert cloud.deleted == [mine.id]


# --- results export -----------------------------------------------------------------------

def test_snapshot_refusals(cloud, user):
    with mock.patch.object(api.manila, "snapshot_create") as create:
        with pytest.raises(results_export.ExportRefused) as exc:
            results_export.snapshot_results(user, RESULTS, "s")
        assert "snapshot support" in str(exc.value.message)
        with pytest.raises(mounts.MountRefused):          # the raw share is not exported
            results_export.snapshot_results(user, RAW, "s")
        cloud.shares[RESULTS]["snapshot_support"] = True
        cloud.shares[RESULTS]["status"] = "deleting"
        with pytest.raises(results_export.ExportRefused):
            results_export.snapshot_results(user, RESULTS, "s")
        cloud.shares[RESULTS]["status"] = "available"
        results_export.snapshot_results(user, RESULTS, "s", "d")
    create.assert_called_once_with(user, RESULTS, "s", "d")
    assert results_export.default_snapshot_name(EXP).startswith(f"{EXP}-results-20")


def test_another_projects_results_share_is_never_snapshotted(cloud, user):
    cloud.add_share(edata.share_info("results", share_id="theirs", public=True,
                                     project=edata.OTHER_PROJECT, snapshots=True))
    with mock.patch.object(api.manila, "snapshot_create") as create:
        with pytest.raises(mounts.MountRefused) as exc:
            results_export.snapshot_results(user, "theirs", "s")
    assert exc.value.reason == mounts.OTHER_PROJECT
    create.assert_not_called()


def test_results_share_of_an_experiment(cloud, user):
    assert results_export.results_share(user, EXP).id == RESULTS
    del cloud.shares[RESULTS]
    with pytest.raises(mounts.MountRefused):
        results_export.results_share(user, EXP)


def test_share_from_snapshot_is_tagged_with_its_source_not_the_experiment(cloud, user):
    cloud.shares[RESULTS]["snapshot_support"] = True
    cloud.shares[RESULTS]["create_share_from_snapshot_support"] = True
    snapshot = {"id": "snap-1", "share_id": RESULTS, "status": "available", "size": 1,
                "share_proto": "NFS", "name": "s"}
    with mock.patch.object(api.manila, "snapshot_get", return_value=snapshot), \
            mock.patch.object(api.manila, "share_create_from_snapshot",
                              return_value={"id": "new"}) as create:
        results_export.share_from_snapshot(user, "snap-1", "export", "d")
        snapshot["status"] = "creating"
        with pytest.raises(results_export.ExportRefused):
            results_export.share_from_snapshot(user, "snap-1", "export")
    create.assert_called_once_with(user, snapshot, "export", "d", {
        "heps:source_snapshot": "snap-1", "heps:source_experiment": EXP})


def test_results_quota(user):
    with mock.patch.object(api.manila, "quota_usage", return_value={
            "gigabytes": {"limit": 1000, "in_use": 2, "reserved": 0}}) as usage:
        quota = results_export.results_quota(user, edata.share("results"))
    assert quota == {"share_size": 1, "used": 2, "limit": 1000, "reserved": 0}
    usage.assert_called_once_with(user)


def test_save_as_image_is_never_a_golden_image(cloud, user):
    server = cloud.add_server()
    with mock.patch.object(api.nova, "server_create_image") as create:
        results_export.save_as_image(user, server.id, "my-image")
    ctx, server_id, name, metadata = create.call_args.args
    assert (ctx, server_id, name) == (user, server.id, "my-image")
    assert metadata["heps_golden"] == "false"
    assert metadata["heps_source_desktop"] == server.id
    assert metadata["heps_source_experiment"] == EXP
    other = cloud.add_server(project=edata.OTHER_PROJECT)
    with mock.patch.object(api.nova, "server_create_image") as create, \
            pytest.raises(api.nova.NotFound):
        results_export.save_as_image(user, other.id, "theirs")
    create.assert_not_called()


def test_a_grant_racing_with_the_delete_mark_is_taken_back_at_once(cloud, user):
    """The delete marks the desktop while the reconciler is granting (after its check
    before the grant): its check after the grant denies what it just made."""
    server = edata.planned_server(cloud, user, "access-rule", status="ACTIVE")
    operator = contexts.operator_context()

    def delete_starts():
        cloud.servers[server.id]["metadata"]["heps:revoking"] = "2026-11-29T04:00:00Z"
        cloud.hooks.pop("access_allow")

    cloud.hooks["access_allow"] = delete_starts
    with mode("access-rule"):
        data_attach.advance(operator, cloud.server(server.id))
    cloud.finish()
    assert cloud.calls.count("access_allow") >= 1
    assert cloud.live_rules() == []


@pytest.mark.parametrize("marked_ago, finished", [(datetime.timedelta(seconds=20), False),
                                                  (datetime.timedelta(minutes=5), True)])
def test_the_reconciler_finishes_only_a_delete_that_stopped(marked_ago, finished):
    """A delete the panel is doing right now is left to it (two deletes at once fail
    each other's calls); one marked minutes ago was stopped, and the reconciler ends it."""
    now = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.UTC)
    server = mock.Mock(id="d-1", tenant_id="p-1", tags=["heps-desktop"], metadata={
        "heps:revoking": (now - marked_ago).strftime("%Y-%m-%dT%H:%M:%SZ")})
    setattr(server, "OS-EXT-STS:task_state", None)
    with mock.patch.object(api.nova, "desktop_scan", return_value=[server]), \
            mock.patch.object(revocation, "revoke_then_delete") as delete:
        report = reconcile.Pass(contexts.operator_context(), now=now,
                                only=("deletes",)).run()
    assert delete.called is finished
    assert [a.what for a in report.actions] == (["delete"] if finished else [])
