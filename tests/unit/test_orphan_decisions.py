"""services/orphans.py: which experiment-data access outlived its desktop (decided on
what users cannot forge), and one operator scan over the in-memory cloud."""

from unittest import mock

import pytest

from heps_desktop_dashboard import api
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import orphans
from test_data import contexts
from test_data import experiments_data as edata

DESKTOP = "0b4c3a6e-1111-4222-8333-444455556666"
SHARE = edata.share("raw", share_id="s1")


def server(mounts_=("s1",), address="10.42.1.7", state="attached", status="ACTIVE",
           project=edata.PROJECT, tags=("heps-desktop",), **metadata):
    cloud = edata.FakeCloud()
    for i, share_id in enumerate(mounts_):
        kind = ("raw", "results")[i]
        metadata[f"heps:mount:{kind}"] = f"nfs h:/x /data/{kind} ro {share_id}"
    if state:
        metadata["heps:data_state"] = state
    found = cloud.add_server(status=status, metadata=metadata, address=address,
                             project=project, tags=tags, server_id=DESKTOP)
    return found


def rule(desktop=DESKTOP, access_to="10.42.1.7", state="active", **metadata):
    if desktop:
        metadata["heps:desktop"] = desktop
    return {"id": "r1", "access_to": access_to, "state": state, "metadata": metadata}


def test_a_plugin_rule_names_a_desktop_uuid_of_the_shares_project():
    assert orphans.plugin_rule_desktop(SHARE, rule()) == DESKTOP
    assert orphans.plugin_rule_desktop(SHARE, rule(**{"heps:project": edata.PROJECT})) == \
        DESKTOP
    assert orphans.plugin_rule_desktop(SHARE, rule(desktop="d1")) == ""
    assert orphans.plugin_rule_desktop(SHARE, rule(desktop=None)) == ""
    assert orphans.plugin_rule_desktop(
        SHARE, rule(**{"heps:project": edata.OTHER_PROJECT})) == ""


@pytest.mark.parametrize("found, reason", [
    (lambda: server(), ""),
    (lambda: None, "desktop gone"),
    (lambda: server(status="DELETED"), "desktop gone"),
    (lambda: server(tags=()), "server is no longer a desktop"),
    (lambda: server(project=edata.OTHER_PROJECT), "desktop is in another project"),
    (lambda: server(**{"heps:revoking": "2026-11-26T05:00:00Z"}), "desktop is being deleted"),
    (lambda: server(mounts_=()), "desktop no longer mounts this share"),
    (lambda: server(mounts_=(), state="attaching"), ""),
    (lambda: server(address="10.42.1.8"), "desktop no longer has this address"),
])
def test_plugin_rules(found, reason):
    assert orphans.classify_rule(SHARE, rule(), found()) == reason


def test_a_rule_already_going_is_never_judged():
    assert orphans.classify_rule(SHARE, rule(state="denying"), None) == ""


def test_nova_lock_instances():
    locks = [{"lock_reason": f"Lock by nova for instance {DESKTOP}"},
             {"lock_reason": "Lock by nova for instance not-a-uuid"},
             {"lock_reason": "held by someone"}, {}]
    assert orphans.nova_lock_instances(locks) == [DESKTOP]


def test_attachments_no_longer_recorded():
    attached = [{"share_id": "s1"}, {"share_id": "s2"}]
    assert orphans.classify_attachments(server(), attached) == ["s2"]
    assert orphans.classify_attachments(server(state="detaching"), attached) == []
    assert orphans.classify_attachments(server(tags=()), attached) == []


# --- one scan over every project (the reconciler's operator context) ---------------------

@pytest.fixture
def cloud():
    cloud = edata.FakeCloud()
    cloud.add_experiment()
    with cloud.patches(), mock.patch.object(api.manila, "rule_locks", return_value=[]), \
            mock.patch.object(api.manila, "access_deny_unrestricted") as unrestricted:
        cloud.unrestricted = unrestricted
        yield cloud


def test_a_scan_finds_the_rules_of_a_deleted_desktop_and_removes_them(cloud):
    user = contexts.user_context(project_id=edata.PROJECT)
    operator = contexts.operator_context()
    kept = cloud.add_server()
    gone = cloud.add_server()
    with edata.mount_mode("access-rule"):
        for target in (kept, gone):
            data_attach.attach(user, target.id, edata.EXPERIMENT)
            edata.reconcile(cloud, operator, target.id)
    cloud.server_delete(operator, gone.id)          # deleted outside the panel
    scan = orphans.Scan(operator, {kept.id: cloud.server(kept.id)})
    findings = scan.findings(virtiofs=False)
    assert {(f.server_id, f.reason) for f in findings} == {(gone.id, "desktop gone")}
    assert len(findings) == 2 and {f.kind for f in findings} == {"rule"}
    for finding in findings:
        assert scan.remove(finding) == "removed"
    cloud.finish()
    assert {r["metadata"]["heps:desktop"] for r in cloud.all_rules()} == {kept.id}
    assert {ctx for _name, ctx in cloud.contexts[-4:]} == {"operator"}


def test_a_scan_leaves_rules_it_did_not_make(cloud):
    operator = contexts.operator_context()
    cloud.access_allow(operator, edata.RAW_ID, "10.1.1.1", "ro", {"heps:desktop": "by-hand"})
    cloud.access_allow(operator, edata.RAW_ID, "10.1.1.2", "ro",
                       {"heps:desktop": DESKTOP, "heps:project": edata.OTHER_PROJECT})
    cloud.access_allow(operator, edata.RAW_ID, "10.1.1.3", "ro", {})   # no lock: not nova's
    assert orphans.Scan(operator, {}).findings(virtiofs=False) == []


def test_a_nova_rule_of_a_deleted_instance_is_removed_unrestricted(cloud):
    operator = contexts.operator_context()
    cloud.access_allow(operator, edata.RAW_ID, "127.0.0.1", "rw", {})
    api.manila.rule_locks.return_value = [
        {"lock_reason": f"Lock by nova for instance {DESKTOP}"}]
    scan = orphans.Scan(operator, {})
    [finding] = scan.findings(virtiofs=False)
    assert finding.kind == "nova-rule" and "deleted instance" in finding.reason
    scan.remove(finding)
    cloud.unrestricted.assert_called_once_with(operator, edata.RAW_ID, finding.ident)


def test_an_attachment_no_longer_recorded_is_detached_only_when_stopped(cloud):
    operator = contexts.operator_context()
    running = cloud.add_server(metadata={})
    stopped = cloud.add_server(status="SHUTOFF", metadata={})
    for target in (running, stopped):
        cloud.attached[target.id][edata.RAW_ID] = {"status": "inactive", "tag": "heps-raw"}
    scan = orphans.Scan(operator, {s.id: cloud.server(s.id) for s in (running, stopped)})
    results = {f.server_id: scan.remove(f) for f in scan.findings(virtiofs=True)
               if f.kind == "attachment"}
    assert results[running.id].startswith("kept")
    assert results[stopped.id] == "removed"
    assert cloud.attached[stopped.id][edata.RAW_ID]["status"] == "detaching"
