"""Experiment data against the dev cloud's real Manila and nova (no mocks): the project's
experiments, launches with an experiment in each mount mode, attach and detach, and
bad input that grants nothing.

The plugin's services are called with a real user's api context
(integration/horizon_request.py); attaching is carried on by the reconciler's steps
with the operator's context (integration/experiment_support.py), never by a GET. What
was done is checked with the real APIs as admin. Delete loops, Manila down and results
export: test_experiment_delete.py and test_experiment_export.py.
"""

import base64

import pytest
from cloud_fixtures import ApiError
from cloud_fixtures import nova

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.dashboards.project.desktops import forms as launch_forms
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import reconcile
from heps_desktop_dashboard.services import revocation
from integration import experiment_support as support
from integration.experiment_support import ACCESS_RULE
from integration.experiment_support import BOB_EXPERIMENT
from integration.experiment_support import EXPERIMENT
from integration.experiment_support import VIRTIOFS
from integration.experiment_support import desktop_rules
from integration.experiment_support import drive
from integration.experiment_support import uid
from integration.horizon_request import make_request

pytestmark = pytest.mark.integration


def _user_data(admin, server_id):
    detail = nova(admin, "GET", f"/servers/{server_id}")["server"]
    return base64.b64decode(detail["OS-EXT-SRV-ATTR:user_data"]).decode()


def _no_rules_left(admin, server_id, *share_ids):
    support.wait_until(lambda: not any(desktop_rules(admin, s, server_id) for s in share_ids),
                       60, what=f"rules of {server_id} removed")


# --- experiments of the project ------------------------------------------------------

def test_experiment_choices_are_the_projects_own(alice_request, devcloud):
    choices = dict(texts.experiment_choices(alice_request))
    assert "" in choices
    assert EXPERIMENT in choices
    assert BOB_EXPERIMENT not in choices
    label = str(choices[EXPERIMENT])
    for text in ("exp-2026-0142-raw", "exp-2026-0142-results", "1 GiB", "NFS", "available"):
        assert text in label
    bob = make_request(devcloud, "bob")
    assert set(dict(texts.experiment_choices(bob))) == {"", BOB_EXPERIMENT}


# --- launch with an experiment, each mode --------------------------------------------

def test_launch_access_rule_mode_grants_ro_raw_rw_results_to_the_fixed_address(
        alice_ctx, launcher, admin, operator, raw_id, results_id, cloud_settings):
    support.mount_mode(cloud_settings, ACCESS_RULE)
    server = launcher.launch(alice_ctx, uid("it-exp-ar"), EXPERIMENT)
    # user-data given at creation mounts both exports (admin can read it back)
    user_data = _user_data(admin, server.id)
    assert "Where=/data/raw" in user_data and "Options=ro,nofail,_netdev" in user_data
    assert "Where=/data/results" in user_data and "Options=rw,nofail,_netdev" in user_data
    # the launch records the wanted state only: nothing is granted until the reconciler
    assert api.nova.desktop_get(alice_ctx, server.id).metadata["heps:data_state"] == \
        "attaching"
    assert desktop_rules(admin, raw_id, server.id) == []

    server = drive(operator, server.id, mounts.STATE_ATTACHED)
    address = support.fixed_ip(server)
    assert address.startswith("10.42.1.")
    (raw_rule,) = desktop_rules(admin, raw_id, server.id)
    (results_rule,) = desktop_rules(admin, results_id, server.id)
    assert (raw_rule["access_type"], raw_rule["access_to"], raw_rule["access_level"],
            raw_rule["state"]) == ("ip", address, "ro", "active")
    assert (results_rule["access_to"], results_rule["access_level"],
            results_rule["state"]) == (address, "rw", "active")
    assert raw_rule["metadata"] == {"heps:desktop": server.id, "heps:kind": "raw",
                                    "heps:experiment": EXPERIMENT,
                                    "heps:project": server.tenant_id}
    meta = server.metadata
    assert meta["heps:data_mode"] == "access-rule" and meta["heps:data_state"] == "attached"
    assert meta["heps:mount:raw"].startswith("nfs 10.0.0.10:/") and " /data/raw ro " in \
        meta["heps:mount:raw"]

    report = revocation.delete_desktop(alice_ctx, server.id)
    assert len(report.denied) == 2 and report.ok
    _no_rules_left(admin, server.id, raw_id, results_id)
    launcher.wait_gone(server.id)


def test_launch_virtiofs_mode_stops_attaches_and_starts(
        alice_ctx, launcher, admin, alice, operator, raw_id, results_id, cloud_settings):
    support.mount_mode(cloud_settings, VIRTIOFS)
    server = launcher.launch(alice_ctx, uid("it-exp-vfs"), EXPERIMENT)
    assert mounts.read_data_state(
        api.nova.desktop_get(alice_ctx, server.id).metadata).state == "attaching"
    server = drive(operator, server.id, mounts.STATE_ATTACHED, timeout=180)
    assert server.status == "ACTIVE"
    attached = {s["share_id"]: s for s in
                nova(alice, "GET", f"/servers/{server.id}/shares")["shares"]}
    assert set(attached) == {raw_id, results_id}
    assert attached[raw_id]["tag"] == "heps-raw" and attached[results_id]["tag"] == \
        "heps-results"
    assert {s["status"] for s in attached.values()} == {"active"}
    meta = server.metadata
    assert meta["heps:mount:raw"] == f"virtiofs heps-raw /data/raw ro {raw_id}"
    assert meta["heps:mount:results"] == f"virtiofs heps-results /data/results rw {results_id}"
    # nova grants the compute host access (rw: the 2.97 API has no access level)
    assert [r["access_level"] for r in support.nova_rules_for(admin, raw_id, server.id)] == \
        ["rw"]
    actions = [a["action"] for a in nova(alice, "GET",
                                         f"/servers/{server.id}/os-instance-actions")[
                                             "instanceActions"]]
    assert "stop" in actions and "start" in actions

    report = revocation.delete_desktop(alice_ctx, server.id)
    assert not report.failed
    assert set(report.left_to_nova) == {raw_id, results_id}
    launcher.wait_gone(server.id)
    with pytest.raises(ApiError, match="404"):
        nova(alice, "GET", f"/servers/{server.id}/shares")
    def host_rules_gone():
        # nova removes its host rules itself; one it leaves behind (a delete right after
        # a start) is the reconciler's orphan sweep's to remove.
        if support.nova_rules_for(admin, raw_id, server.id) or \
                support.nova_rules_for(admin, results_id, server.id):
            reconcile.Pass(operator, only=("orphans",)).run()
            return False
        return True

    support.wait_until(host_rules_gone, 90, interval=5, what="nova's host rules removed")


@pytest.mark.parametrize("mode", [ACCESS_RULE, VIRTIOFS])
def test_launch_form_with_an_experiment_then_delete(mode, devcloud, launcher, admin, alice,
                                                    operator, raw_id, results_id,
                                                    cloud_settings):
    """The real launch path: LaunchForm (choices from Manila, plan checked, metadata and
    user-data at creation), then reconciler passes attach, then Delete revokes."""
    support.mount_mode(cloud_settings, mode)
    blank = launch_forms.LaunchForm(make_request(devcloud, "alice"))
    assert EXPERIMENT in dict(blank.fields["experiment"].choices)
    # the defaults, as a browser posts them (a field without one is left out)
    values = {name: field.initial for name, field in blank.fields.items()
              if field.initial is not None}
    values.update(name=uid(f"it-exp-form-{mode[:2]}"), experiment=EXPERIMENT,
                  profile=devcloud.manifest["flavors"]["heps.cpu.std"], lifetime_hours=2)
    request = make_request(devcloud, "alice", method="POST", path="/project/desktops/launch/",
                           data=values)
    form = launch_forms.LaunchForm(request, data=values)
    assert form.is_valid(), form.errors
    server = form.handle(request, form.cleaned_data)
    assert server, form.errors
    launcher.made.append(server.id)
    assert "Where=/data/raw" in _user_data(admin, server.id)
    detail = nova(admin, "GET", f"/servers/{server.id}")["server"]
    assert detail["metadata"]["heps:data_mode"] == mode
    assert detail["metadata"]["heps:data_state"] == "attaching"
    assert detail["user_id"] == devcloud.manifest["users"]["alice"]
    assert "heps:owner" not in detail["metadata"]
    assert detail["metadata"]["heps:expires_sig"].startswith("v1 l ")

    server, passes = support.run_passes(operator, server.id, mounts.STATE_ATTACHED,
                                        timeout=180)
    assert passes >= 1
    if mode == ACCESS_RULE:
        (rule,) = desktop_rules(admin, raw_id, server.id)
        assert (rule["access_to"], rule["access_level"]) == (support.fixed_ip(server), "ro")
    else:
        shares = nova(alice, "GET", f"/servers/{server.id}/shares")["shares"]
        assert {s["share_id"] for s in shares} == {raw_id, results_id}
    ctx = api.context.for_request(request)
    assert revocation.delete_desktop(ctx, server.id).ok
    launcher.wait_gone(server.id)
    _no_rules_left(admin, server.id, raw_id, results_id)


# --- attach / detach on an existing desktop --------------------------------------------

@pytest.mark.parametrize("mode", [ACCESS_RULE, VIRTIOFS])
def test_attach_then_detach_on_an_existing_desktop(
        mode, alice_ctx, launcher, admin, alice, operator, raw_id, results_id,
        cloud_settings):
    support.mount_mode(cloud_settings, mode)
    server = launcher.launch(alice_ctx, uid(f"it-exp-att-{mode[:2]}"), wait_active=True)
    data_attach.attach(alice_ctx, server.id, EXPERIMENT,
                       levels={"raw": "ro", "results": "ro"})
    server = drive(operator, server.id, mounts.STATE_ATTACHED, timeout=180)
    assert server.status == "ACTIVE"
    if mode == ACCESS_RULE:
        assert [r["access_level"] for r in desktop_rules(admin, results_id, server.id)] == \
            ["ro"]
        assert [r["access_level"] for r in desktop_rules(admin, raw_id, server.id)] == ["ro"]
    else:
        shares = nova(alice, "GET", f"/servers/{server.id}/shares")["shares"]
        assert {s["share_id"] for s in shares} == {raw_id, results_id}
    assert server.metadata["heps:mount:results"].split()[3] == "ro"

    # a second attach is refused: one experiment per desktop
    with pytest.raises(mounts.MountRefused) as exc:
        data_attach.attach(alice_ctx, server.id, EXPERIMENT)
    assert exc.value.reason == mounts.ALREADY_ATTACHED

    data_attach.detach(alice_ctx, server.id)
    server = drive(operator, server.id, "", timeout=180)
    assert server.status == "ACTIVE"
    assert not mounts.data_metadata_keys(server.metadata)
    _no_rules_left(admin, server.id, raw_id, results_id)
    assert nova(alice, "GET", f"/servers/{server.id}/shares")["shares"] == []


# --- bad input: nothing half-granted ----------------------------------------------------

def test_another_projects_experiment_is_not_offered_nor_granted(
        alice_ctx, launcher, admin, operator, shares):
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(alice_ctx, BOB_EXPERIMENT)
    assert exc.value.reason == mounts.UNKNOWN_EXPERIMENT
    assert "not one of this project's experiments" in texts.refusal_message(exc.value)

    # a desktop whose (user-editable) metadata names bob's share gets nothing, even from
    # the reconciler's operator context (which can see bob's share)
    bob_raw = shares["experiment-b"][f"exp-{BOB_EXPERIMENT}-raw"]
    server = launcher.launch(alice_ctx, uid("it-exp-bad"), wait_active=True)
    nova(admin, "POST", f"/servers/{server.id}/metadata", json={"metadata": {
        "heps:data_mode": ACCESS_RULE, "heps:data_state": "attaching",
        "heps:mount:raw": f"nfs 10.0.0.10:/x /data/raw ro {bob_raw}"}})
    server = drive(operator, server.id, mounts.STATE_ERROR)
    assert server.metadata["heps:data_error"] == "refused"
    assert desktop_rules(admin, bob_raw, server.id) == []


def test_raw_share_forced_to_rw_in_the_metadata_is_refused(
        alice_ctx, launcher, admin, operator, raw_id, results_id):
    server = launcher.launch(alice_ctx, uid("it-exp-rw"), wait_active=True)
    plan = experiments.plan_for(alice_ctx, EXPERIMENT)
    meta = plan.server_metadata()
    meta["heps:mount:raw"] = meta["heps:mount:raw"].replace(" ro ", " rw ")
    nova(admin, "POST", f"/servers/{server.id}/metadata", json={"metadata": meta})
    server = drive(operator, server.id, mounts.STATE_ERROR)
    # nothing half-granted: neither share has a rule for this desktop
    assert desktop_rules(admin, raw_id, server.id) == []
    assert desktop_rules(admin, results_id, server.id) == []
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(alice_ctx, EXPERIMENT, levels={"raw": "rw"})
    assert exc.value.reason == mounts.LEVEL


def test_shares_in_error_or_deleting_state_or_unmountable_protocol_are_refused(
        alice_ctx, alice_share, admin, cloud_settings):
    experiment = uid("it").replace("-", ".")
    raw = alice_share(experiment, "raw")
    # CephFS: nova can attach it over virtiofs; an NFS ip rule cannot serve it. The dev
    # cloud's dummy backend only serves NFS, so the CephFS share ends in error and the
    # admin resets it to available: Manila then reports an available CephFS share.
    results = alice_share(experiment, "results", proto="CEPHFS", settle=False)
    support.manila_call(admin, "POST", f"/shares/{results['id']}/action",
                        json={"reset_status": {"status": "available"}})
    support.mount_mode(cloud_settings, ACCESS_RULE)
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(alice_ctx, experiment)
    assert exc.value.reason == mounts.PROTOCOL and exc.value.share.id == results["id"]
    assert "CEPHFS" in str(texts.refusal_message(exc.value))
    support.mount_mode(cloud_settings, VIRTIOFS)
    plan = experiments.plan_for(alice_ctx, experiment)
    assert plan.grant("results").share_id == results["id"]
    for status in ("error", "deleting"):
        support.manila_call(admin, "POST", f"/shares/{raw['id']}/action",
                            json={"reset_status": {"status": status}})
        for mode in (ACCESS_RULE, VIRTIOFS):
            support.mount_mode(cloud_settings, mode)
            with pytest.raises(mounts.MountRefused) as exc:
                experiments.plan_for(alice_ctx, experiment)
            assert exc.value.reason == mounts.BAD_STATUS and exc.value.detail == status
            assert status in str(texts.refusal_message(exc.value))
    assert support.rules_of(admin, raw["id"]) == []
    assert support.rules_of(admin, results["id"]) == []
