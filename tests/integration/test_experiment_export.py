"""Results export and orphaned access against the dev cloud (no mocks): snapshots of a
results share and shares made from them, a desktop saved as a private image, and the
operator's command that removes access rules whose desktop is gone.
Helpers: integration/experiment_support.py; fixtures: integration/conftest.py."""

import uuid
from io import StringIO

import pytest
from cloud_fixtures import call
from django.core.management import call_command

from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import results_export
from integration import experiment_support as support
from integration.experiment_support import BOB_EXPERIMENT
from integration.experiment_support import desktop_rules
from integration.experiment_support import manila_call
from integration.experiment_support import uid
from integration.experiment_support import wait_until

pytestmark = pytest.mark.integration

SNAPSHOT_TYPE = "heps-it-snapshots"
NO_SNAPSHOT_TYPE = "heps-it-no-snapshots"


def _share_type(admin, name, snapshots):
    found = manila_call(admin, "GET", "/types")["share_types"]
    if not any(t["name"] == name for t in found):
        specs = {"driver_handles_share_servers": False}
        if snapshots:  # absent means no snapshots (False would demand a backend without)
            specs.update(snapshot_support=True, create_share_from_snapshot_support=True)
        manila_call(admin, "POST", "/types", json={"share_type": {
            "name": name, "share_type_access:is_public": True, "extra_specs": specs}})
    return name


@pytest.fixture(scope="module")
def snapshot_share_type(admin):
    """A share type with snapshot support, whatever the cloud's default type offers."""
    return _share_type(admin, SNAPSHOT_TYPE, True)


@pytest.fixture(scope="module")
def no_snapshot_share_type(admin):
    return _share_type(admin, NO_SNAPSHOT_TYPE, False)


def test_results_share_without_snapshot_support_is_a_clear_refusal(
        alice_ctx, alice_share, no_snapshot_share_type):
    experiment = uid("it-nosnap").replace("-", ".")
    results = alice_share(experiment, "results", share_type=no_snapshot_share_type)
    with pytest.raises(results_export.ExportRefused) as exc:
        results_export.snapshot_results(alice_ctx, results["id"], "it-snap")
    assert "no snapshot support" in str(exc.value.message)


def test_snapshot_results_and_create_a_share_from_it(
        alice_ctx, alice_share, snapshot_share_type, alice, shares):
    experiment = uid("it-snap").replace("-", ".")
    results = alice_share(experiment, "results", share_type=snapshot_share_type)
    # another project's results share cannot be snapshotted through the plugin
    bob_results = shares["experiment-b"][f"exp-{BOB_EXPERIMENT}-results"]
    with pytest.raises((mounts.MountRefused, manila.NotFound)):
        results_export.snapshot_results(alice_ctx, bob_results, "it-snap")
    share = results_export.results_share(alice_ctx, experiment)
    assert share.id == results["id"] and share.snapshot_support

    name = results_export.default_snapshot_name(experiment)
    snapshot = results_export.snapshot_results(alice_ctx, share.id, name, "it test")
    try:
        wait_until(lambda: manila_call(alice, "GET", f"/snapshots/{snapshot['id']}")[
            "snapshot"]["status"] == "available", 90, what="snapshot available")
        listed = results_export.snapshots_of(alice_ctx, share.id)
        assert [s["id"] for s in listed] == [snapshot["id"]]
        assert listed[0]["name"] == name and listed[0]["size"] == 1 and \
            listed[0]["created_at"]
        quota = results_export.results_quota(alice_ctx, share)
        assert quota["share_size"] == 1 and quota["used"] >= 1 and quota["limit"]

        new = results_export.share_from_snapshot(alice_ctx, snapshot["id"],
                                                 uid("it-export"), "exported results")
        try:
            made = wait_until(lambda: support.available(alice, new["id"]), 90,
                              what="share from snapshot available")
            assert made["snapshot_id"] == snapshot["id"]
            assert made["size"] == 1 and made["share_proto"] == "NFS"
            assert made["metadata"] == {"heps:source_snapshot": snapshot["id"],
                                        "heps:source_experiment": experiment}
            # the experiment still has exactly one results share
            assert experiments.get_experiment(alice_ctx, experiment).results.id == \
                results["id"]
        finally:
            manila_call(alice, "DELETE", f"/shares/{new['id']}", ok=(202, 404))
            wait_until(lambda: manila_call(alice, "GET", f"/shares/{new['id']}",
                                           ok=(200, 404)).get("share") is None, 90,
                       what="exported share deleted")
    finally:
        manila_call(alice, "DELETE", f"/snapshots/{snapshot['id']}", ok=(202, 404))
        wait_until(lambda: manila_call(alice, "GET", f"/snapshots/{snapshot['id']}",
                                       ok=(200, 404)).get("snapshot") is None, 90,
                   what="snapshot deleted")


def test_save_desktop_as_private_image_tagged_with_its_source(
        alice_ctx, launcher, alice, devcloud):
    server = launcher.launch(alice_ctx, uid("it-exp-img"), wait_active=True)
    image_id = results_export.save_as_image(alice_ctx, server.id, uid("it-image"))
    try:
        image = call(alice.image, "GET", f"/images/{image_id}")
        assert image["visibility"] == "private"
        assert image["heps_source_desktop"] == server.id
        assert image["heps_golden"] == "false"
        assert image["heps_source_experiment"] == "2026-0142" or \
            image["heps_source_experiment"] == ""
        assert image["heps_source_image"] == \
            devcloud.manifest["images"]["heps-imaging-desktop-2026.1"]
    finally:
        call(alice.image, "DELETE", f"/images/{image_id}", ok=(204, 404))


# --- orphaned rules: the management command ------------------------------------------------

def test_orphan_command_lists_then_removes_a_rule_whose_desktop_is_gone(
        alice, admin, raw_id, devcloud, monkeypatch):
    gone = str(uuid.uuid4())
    rule = manila_call(alice, "POST", f"/shares/{raw_id}/action", json={"allow_access": {
        "access_type": "ip", "access_to": "10.42.1.250", "access_level": "ro",
        "metadata": {"heps:desktop": gone, "heps:kind": "raw"}}})["access"]
    try:
        wait_until(lambda: desktop_rules(admin, raw_id, gone)[0]["state"] == "active", 30,
                   what="rule active")
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(devcloud.clouds_yaml))
        out = StringIO()
        call_command("heps_orphan_rules", os_cloud="devcloud-admin", stdout=out)
        text = out.getvalue()
        (line,) = [line for line in text.splitlines() if rule["id"] in line]
        assert line.startswith("dry-run") and "desktop gone" in line and gone in line
        assert "planned (dry run)" in text
        assert len(desktop_rules(admin, raw_id, gone)) == 1        # dry run: still there

        out = StringIO()
        call_command("heps_orphan_rules", "--apply", os_cloud="devcloud-admin", stdout=out)
        (line,) = [line for line in out.getvalue().splitlines() if rule["id"] in line]
        assert line.startswith("done") and "desktop gone" in line
        wait_until(lambda: not desktop_rules(admin, raw_id, gone), 30, what="rule removed")
    finally:
        manila_call(alice, "POST", f"/shares/{raw_id}/action",
                    json={"deny_access": {"access_id": rule["id"]}}, ok=(202, 400, 404))
