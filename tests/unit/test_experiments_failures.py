"""Experiment data when something goes wrong: nothing half-granted (a failed step takes
back what the attach granted), hand-edited metadata re-checked on Manila before any
grant, Manila down during a step. advance() is driven as the reconciler drives it."""


import pytest

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mount_steps
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import experiments
from test_data import experiments_data as edata

EXP = edata.EXPERIMENT
RAW, RESULTS = edata.RAW_ID, edata.RESULTS_ID
pytestmark = pytest.mark.usefixtures("forbid_sleep")


mode = edata.mount_mode


@pytest.fixture
def cloud():
    cloud = edata.FakeCloud()
    cloud.add_experiment()
    cloud.add_share(edata.share_info("raw", share_id="foreign-share",
                                     project=edata.OTHER_PROJECT, experiment="2026-0217"))
    cloud.add_share(edata.share_info("raw", share_id="public-foreign",
                                     project=edata.OTHER_PROJECT, experiment="2026-0218",
                                     public=True))
    with cloud.patches():
        yield cloud




def edit(cloud, server, key, change):
    """A project member edits the server's metadata (nova lets them)."""
    metadata = cloud.servers[server.id]["metadata"]
    metadata[key] = change(metadata[key])


def test_a_rule_in_error_rolls_back_the_other_and_records_the_error(cloud, user, runner):
    server = cloud.add_server()
    with mode("access-rule"):
        data_attach.attach(user, server.id, EXP)                # rules queued
        cloud.rules[RESULTS][0]["state"] = "error"
        seen = edata.reconcile(cloud, runner, server.id)
    assert seen[-1] == "error"
    assert cloud.metadata(server.id)["heps:data_error"] == "rule-error"
    assert cloud.all_rules() == []


@pytest.mark.parametrize("tamper", [
    lambda v: v.replace(" ro ", " rw "),                # raw asked read-write
    lambda v: v.replace(RAW, "foreign-share"),          # another project's private share
    lambda v: v.replace(RAW, "public-foreign"),         # another project's public share
    lambda v: v.replace(RAW, "no-such-share"),
    lambda v: v.replace(RAW, RESULTS),                  # the results share as raw data
], ids=["level", "foreign", "public-foreign", "missing", "swapped"])
@pytest.mark.parametrize("mode_name", ["access-rule", "virtiofs"])
def test_hand_edited_metadata_is_checked_on_manila_before_any_grant(cloud, user, runner,
                                                                    tamper, mode_name):
    server = edata.planned_server(cloud, user, mode_name, status="SHUTOFF")
    edit(cloud, server, "heps:mount:raw", tamper)
    with mode(mode_name):
        step = data_attach.advance(runner, cloud.server(server.id))
    assert step == mount_steps.Step(mount_steps.FAIL, reason="refused")
    metadata = cloud.metadata(server.id)
    assert (metadata["heps:data_state"], metadata["heps:data_error"]) == ("error", "refused")
    assert "access_allow" not in cloud.calls and "share_attach" not in cloud.calls
    assert cloud.all_rules() == [] and cloud.attached[server.id] == {}


@pytest.mark.parametrize("mode_name", ["access-rule", "virtiofs"])
def test_a_share_that_went_to_error_after_the_attach_is_not_granted(cloud, user, runner,
                                                                    mode_name):
    server = edata.planned_server(cloud, user, mode_name, status="SHUTOFF")
    cloud.shares[RESULTS]["status"] = "error"
    with mode(mode_name):
        data_attach.advance(runner, cloud.server(server.id))
    assert cloud.all_rules() == [] and cloud.attached[server.id] == {}
    assert cloud.metadata(server.id)["heps:data_state"] == "error"


def test_manila_down_during_a_step_keeps_the_state_for_the_next_pass(cloud, user, runner):
    server = edata.planned_server(cloud, user, "access-rule")
    cloud.fail["desktop_rules"] = api.manila.ShareServiceUnavailable("down")
    with mode("access-rule"):
        with pytest.raises(api.manila.ShareServiceUnavailable):
            data_attach.advance(runner, cloud.server(server.id))
        assert cloud.metadata(server.id)["heps:data_state"] == "attaching"
        assert cloud.mutations() == []
        del cloud.fail["desktop_rules"]
        assert edata.reconcile(cloud, runner, server.id)[-1] == "attached"


def test_virtiofs_attachment_error_rolls_back_while_stopped(cloud, user, runner):
    server = edata.planned_server(cloud, user, "virtiofs", status="SHUTOFF")
    with mode("virtiofs"):
        assert data_attach.advance(runner, cloud.server(server.id)).action == \
            mount_steps.ATTACH
        cloud.finish()
        cloud.attached[server.id][RESULTS]["status"] = "error"
        data_attach.advance(runner, cloud.server(server.id))
    assert cloud.metadata(server.id)["heps:data_error"] == "attachment-error"
    assert {a["status"] for a in cloud.attached[server.id].values()} == {"detaching"}
    cloud.finish()
    assert cloud.attached[server.id] == {}


def test_a_desktop_that_went_into_error_is_rolled_back_without_raising(cloud, user, runner):
    server = cloud.add_server()
    with mode("virtiofs"):
        data_attach.attach(user, server.id, EXP)                  # stopping
        cloud.finish()
        data_attach.advance(runner, cloud.server(server.id))      # attaching both
        cloud.set_status(server.id, "ERROR")
        step = data_attach.advance(runner, cloud.server(server.id))
    assert step.action == mount_steps.FAIL and step.reason == "server-error"
    # nova keeps the metadata of a server in error: the error cannot be recorded, but
    # the attachments are taken back.
    assert {a["status"] for a in cloud.attached[server.id].values()} == {"detaching"}


def test_a_stuck_attach_of_a_shelved_desktop_is_failed_and_taken_back(cloud, user, runner):
    server = cloud.add_server()
    with mode("access-rule"):
        data_attach.attach(user, server.id, EXP)
    cloud.set_status(server.id, "SHELVED_OFFLOADED")
    cloud.servers[server.id]["addresses"] = {}
    with mode("access-rule"):
        step = data_attach.advance(runner, cloud.server(server.id))
    assert step.reason == "no-address"
    assert cloud.live_rules() == []


def test_the_attach_post_refuses_before_granting_anything(cloud, user):
    server = cloud.add_server()
    cloud.shares[RAW]["share_proto"] = "CIFS"
    with mode("access-rule"), pytest.raises(experiments.MountRefused):
        data_attach.attach(user, server.id, EXP)
    assert cloud.mutations() == []
