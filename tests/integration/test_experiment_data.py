"""Experiment data against the dev cloud's real Manila and nova (no mocks).

The plugin's own functions (api/, desktops/experiments.py) are called with a Django
request carrying a real keystone token (integration/horizon_request.py); what they
did is checked with the real APIs as admin (access rules with their addresses and
levels, share attachments, locks), not with the plugin's own readers.
"""

import base64
import concurrent.futures
import copy
import time
import uuid

import pytest
from cloud_fixtures import ApiError
from cloud_fixtures import call
from cloud_fixtures import nova

from heps_desktop_dashboard import api
from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.desktops import experiments
from heps_desktop_dashboard.desktops import forms as launch_forms
from integration.horizon_request import make_request

pytestmark = pytest.mark.integration

EXPERIMENT = "2026-0142"          # alice's (experiment-a)
BOB_EXPERIMENT = "2026-0217"      # bob's (experiment-b)
MANILA_MV = "2.45"
SNAPSHOT_TYPE = "heps-it-snapshots"
NO_SNAPSHOT_TYPE = "heps-it-no-snapshots"
VIRTIOFS, ACCESS_RULE = mounts.MODE_VIRTIOFS, mounts.MODE_ACCESS_RULE


def _uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def manila_call(conn, method, url, ok=(200, 201, 202, 204), **kw):
    headers = {"X-OpenStack-Manila-API-Version": MANILA_MV}
    return call(conn.shared_file_system, method, url, ok, headers=headers, **kw)


def rules_of(admin, share_id):
    """Every access rule of a share, as admin sees them (addresses not masked)."""
    return manila_call(admin, "GET", f"/share-access-rules?share_id={share_id}")["access_list"]


def desktop_rules(admin, share_id, desktop_id):
    return [r for r in rules_of(admin, share_id)
            if (r.get("metadata") or {}).get("heps:desktop") == desktop_id]


def wait_until(check, timeout=60, interval=0.5, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --- fixtures ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shares(devcloud):
    return devcloud.manifest["shares"]


@pytest.fixture(scope="module")
def raw_id(shares):
    return shares["experiment-a"][f"exp-{EXPERIMENT}-raw"]


@pytest.fixture(scope="module")
def results_id(shares):
    return shares["experiment-a"][f"exp-{EXPERIMENT}-results"]


@pytest.fixture
def alice_request(devcloud):
    return make_request(devcloud, "alice")


class Desktops:
    """Desktops created through the plugin's api.nova.desktop_create (the launch path),
    deleted at teardown whatever the test did."""

    def __init__(self, devcloud, admin):
        self.devcloud, self.admin, self.made = devcloud, admin, []

    def launch(self, request, name, experiment=None, mode=ACCESS_RULE, wait_active=False):
        m = self.devcloud.manifest
        plan = experiments.plan_for(request, experiment, mode=mode) if experiment else None
        user_data = experiments.user_data_for(request, experiment, mode=mode, plan=plan)
        metadata = desktops.build_metadata(
            owner=request.user.username, profile="heps.cpu.std",
            expires_at=desktops.expiry_after(2, 24), experiment=experiment or "")
        if experiment:
            metadata.update(experiments.launch_metadata(request, experiment, plan=plan))
        server = api.nova.desktop_create(
            request, name=name, image_id=m["images"]["heps-imaging-desktop-2026.1"],
            flavor_id=m["flavors"]["heps.cpu.std"], metadata=metadata,
            network_id=m["desktop_networks"]["experiment-a"],
            security_groups=["heps-desktop"], user_data=user_data)
        self.made.append(server.id)
        if experiment:
            experiments.apply_on_launch(request, server, experiment, plan=plan)
        if wait_active:
            self.wait_status(request, server.id, "ACTIVE")
        return server

    def wait_status(self, request, server_id, status, timeout=120):
        def ready():
            server = api.nova.desktop_get(request, server_id)
            if server.status == "ERROR":
                raise AssertionError(f"server {server_id} went to ERROR: "
                                     f"{getattr(server, 'fault', '')}")
            return server if server.status == status and not getattr(
                server, "OS-EXT-STS:task_state", None) else None
        return wait_until(ready, timeout, what=f"{server_id} {status}")

    def wait_gone(self, server_id, timeout=120):
        def gone():
            resp = self.admin.compute.get(f"/servers/{server_id}", microversion="2.97")
            return resp.status_code == 404
        wait_until(gone, timeout, what=f"{server_id} deleted")

    def cleanup(self):
        for server_id in self.made:
            nova(self.admin, "DELETE", f"/servers/{server_id}", ok=(204, 404))
        for server_id in self.made:
            try:
                self.wait_gone(server_id)
            except AssertionError:
                pass


@pytest.fixture
def launcher(devcloud, admin):
    made = Desktops(devcloud, admin)
    yield made
    made.cleanup()


def drive(request, server_id, want, timeout=150):
    """Poll like the Desktops table's ajax row update until the data state is ``want``
    (``""``: no data keys left) and nova has no task; returns the server."""
    def done():
        server = api.nova.desktop_get(request, server_id)
        data = mounts.read_data_state(server.metadata)
        if data.state == mounts.STATE_ERROR and want != mounts.STATE_ERROR:
            raise AssertionError(f"experiment data went to error: {data.error}")
        if data.state == want and not getattr(server, "OS-EXT-STS:task_state", None) \
                and server.status in ("ACTIVE", "SHUTOFF"):
            return server
        experiments.progress(request, server)
        return None
    return wait_until(done, timeout, interval=1, what=f"data state {want!r} on {server_id}")


def fixed_ip(server):
    return mounts.fixed_address(server.addresses)


# --- experiments of the project ------------------------------------------------------

def test_experiment_choices_are_the_projects_own(alice_request, devcloud):
    choices = dict(experiments.experiment_choices(alice_request))
    assert "" in choices
    assert EXPERIMENT in choices
    assert BOB_EXPERIMENT not in choices
    label = str(choices[EXPERIMENT])
    for text in ("exp-2026-0142-raw", "exp-2026-0142-results", "1 GiB", "NFS", "available"):
        assert text in label
    bob = make_request(devcloud, "bob")
    assert set(dict(experiments.experiment_choices(bob))) == {"", BOB_EXPERIMENT}


# --- launch with an experiment, each mode --------------------------------------------

def test_launch_access_rule_mode_grants_ro_raw_rw_results_to_the_fixed_address(
        alice_request, launcher, admin, raw_id, results_id):
    server = launcher.launch(alice_request, _uid("it-exp-ar"), EXPERIMENT, ACCESS_RULE)
    # user-data given at creation mounts both exports (admin can read it back)
    detail = nova(admin, "GET", f"/servers/{server.id}")["server"]
    user_data = base64.b64decode(detail["OS-EXT-SRV-ATTR:user_data"]).decode()
    assert "Where=/data/raw" in user_data and "Options=ro,nofail,_netdev" in user_data
    assert "Where=/data/results" in user_data and "Options=rw,nofail,_netdev" in user_data

    server = drive(alice_request, server.id, mounts.STATE_ATTACHED)
    address = fixed_ip(server)
    assert address.startswith("10.42.1.")
    (raw_rule,) = desktop_rules(admin, raw_id, server.id)
    (results_rule,) = desktop_rules(admin, results_id, server.id)
    assert (raw_rule["access_type"], raw_rule["access_to"], raw_rule["access_level"],
            raw_rule["state"]) == ("ip", address, "ro", "active")
    assert (results_rule["access_to"], results_rule["access_level"],
            results_rule["state"]) == (address, "rw", "active")
    assert raw_rule["metadata"] == {"heps:desktop": server.id, "heps:kind": "raw",
                                    "heps:experiment": EXPERIMENT}
    meta = server.metadata
    assert meta["heps:data_mode"] == "access-rule" and meta["heps:data_state"] == "attached"
    assert meta["heps:mount:raw"].startswith("nfs 10.0.0.10:/") and " /data/raw ro " in \
        meta["heps:mount:raw"]

    report = experiments.revoke_then_delete(alice_request, server.id)
    assert len(report.denied) == 2 and not report.failed and not report.pending
    assert desktop_rules(admin, raw_id, server.id) == []
    assert desktop_rules(admin, results_id, server.id) == []
    launcher.wait_gone(server.id)


def _nova_rules_for(admin, share_id, server_id):
    """Rules nova locked for this instance's share attachment (resource locks, 2.81)."""
    locks = call(admin.shared_file_system, "GET",
                 "/resource-locks?resource_type=access_rule&all_projects=True",
                 headers={"X-OpenStack-Manila-API-Version": "2.81"})["resource_locks"]
    locked = {lock["resource_id"] for lock in locks
              if server_id in (lock.get("lock_reason") or "")}
    return [r for r in rules_of(admin, share_id) if r["id"] in locked]


def test_launch_virtiofs_mode_stops_attaches_and_starts(
        alice_request, launcher, admin, alice, raw_id, results_id):
    server = launcher.launch(alice_request, _uid("it-exp-vfs"), EXPERIMENT, VIRTIOFS)
    assert mounts.read_data_state(
        api.nova.desktop_get(alice_request, server.id).metadata).state == "attaching"
    server = drive(alice_request, server.id, mounts.STATE_ATTACHED, timeout=180)
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
    assert [r["access_level"] for r in _nova_rules_for(admin, raw_id, server.id)] == ["rw"]
    actions = [a["action"] for a in nova(alice, "GET",
                                         f"/servers/{server.id}/os-instance-actions")[
                                             "instanceActions"]]
    assert "stop" in actions and "start" in actions

    report = experiments.revoke_then_delete(alice_request, server.id)
    assert not report.failed
    assert set(report.left_to_nova) == {raw_id, results_id}
    launcher.wait_gone(server.id)
    with pytest.raises(ApiError, match="404"):
        nova(alice, "GET", f"/servers/{server.id}/shares")
    wait_until(lambda: not _nova_rules_for(admin, raw_id, server.id)
               and not _nova_rules_for(admin, results_id, server.id),
               60, what="nova's host rules removed")


@pytest.mark.parametrize("mode", [ACCESS_RULE, VIRTIOFS])
def test_launch_form_with_an_experiment_then_delete(mode, devcloud, launcher, admin, alice,
                                                    raw_id, results_id, settings):
    """The real launch path: LaunchForm (choices from Manila, plan checked, metadata and
    user-data at creation), then the row updates attach, then Delete revokes."""
    settings.HEPS_DESKTOPS = dict(settings.HEPS_DESKTOPS, share_mount_mode=mode,
                                  network="desktop-net")
    blank = launch_forms.LaunchForm(make_request(devcloud, "alice"))
    assert EXPERIMENT in dict(blank.fields["experiment"].choices)
    values = {name: field.initial for name, field in blank.fields.items()}
    values.update(name=_uid(f"it-exp-form-{mode[:2]}"), experiment=EXPERIMENT,
                  profile=devcloud.manifest["flavors"]["heps.cpu.std"], lifetime_hours=2)
    request = make_request(devcloud, "alice", method="POST", path="/project/desktops/launch/",
                           data=values)
    form = launch_forms.LaunchForm(request, data=values)
    assert form.is_valid(), form.errors
    server = form.handle(request, form.cleaned_data)
    assert server, form.errors
    launcher.made.append(server.id)
    detail = nova(admin, "GET", f"/servers/{server.id}")["server"]
    user_data = base64.b64decode(detail["OS-EXT-SRV-ATTR:user_data"]).decode()
    assert "Where=/data/raw" in user_data
    assert detail["metadata"]["heps:data_mode"] == mode
    server = drive(request, server.id, mounts.STATE_ATTACHED, timeout=180)
    if mode == ACCESS_RULE:
        (rule,) = desktop_rules(admin, raw_id, server.id)
        assert (rule["access_to"], rule["access_level"]) == (fixed_ip(server), "ro")
    else:
        shares = nova(alice, "GET", f"/servers/{server.id}/shares")["shares"]
        assert {s["share_id"] for s in shares} == {raw_id, results_id}
    experiments.revoke_then_delete(request, server.id)
    launcher.wait_gone(server.id)
    assert desktop_rules(admin, raw_id, server.id) == []
    assert desktop_rules(admin, results_id, server.id) == []


# --- attach / detach on an existing desktop --------------------------------------------

@pytest.mark.parametrize("mode", [ACCESS_RULE, VIRTIOFS])
def test_attach_then_detach_on_an_existing_desktop(
        mode, alice_request, launcher, admin, alice, raw_id, results_id, settings):
    settings.HEPS_DESKTOPS = dict(settings.HEPS_DESKTOPS, share_mount_mode=mode)
    server = launcher.launch(alice_request, _uid(f"it-exp-att-{mode[:2]}"),
                             wait_active=True)
    experiments.attach(alice_request, server.id, EXPERIMENT,
                       levels={"raw": "ro", "results": "ro"})
    server = drive(alice_request, server.id, mounts.STATE_ATTACHED, timeout=180)
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
        experiments.attach(alice_request, server.id, EXPERIMENT)
    assert exc.value.reason == mounts.ALREADY_ATTACHED

    experiments.detach(alice_request, server.id)
    server = drive(alice_request, server.id, "", timeout=180)
    assert server.status == "ACTIVE"
    assert not mounts.data_metadata_keys(server.metadata)
    assert desktop_rules(admin, raw_id, server.id) == []
    assert desktop_rules(admin, results_id, server.id) == []
    assert nova(alice, "GET", f"/servers/{server.id}/shares")["shares"] == []


# --- bad input: nothing half-granted ----------------------------------------------------

def test_another_projects_experiment_is_not_offered_nor_granted(
        alice_request, launcher, admin, shares, raw_id):
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(alice_request, BOB_EXPERIMENT)
    assert exc.value.reason == mounts.UNKNOWN_EXPERIMENT
    assert "not one of this project's experiments" in experiments.refusal_message(exc.value)

    # a desktop whose (user-editable) metadata names bob's share gets nothing
    bob_raw = shares["experiment-b"][f"exp-{BOB_EXPERIMENT}-raw"]
    server = launcher.launch(alice_request, _uid("it-exp-bad"), wait_active=True)
    nova(admin, "POST", f"/servers/{server.id}/metadata", json={"metadata": {
        "heps:data_mode": ACCESS_RULE, "heps:data_state": "attaching",
        "heps:mount:raw": f"nfs 10.0.0.10:/x /data/raw ro {bob_raw}"}})
    server = drive(alice_request, server.id, mounts.STATE_ERROR)
    assert server.metadata["heps:data_error"] == "refused"
    assert desktop_rules(admin, bob_raw, server.id) == []


def test_raw_share_forced_to_rw_in_the_metadata_is_refused(
        alice_request, launcher, admin, raw_id, results_id):
    server = launcher.launch(alice_request, _uid("it-exp-rw"), wait_active=True)
    plan = experiments.plan_for(alice_request, EXPERIMENT, mode=ACCESS_RULE)
    meta = plan.server_metadata()
    meta["heps:mount:raw"] = meta["heps:mount:raw"].replace(" ro ", " rw ")
    nova(admin, "POST", f"/servers/{server.id}/metadata", json={"metadata": meta})
    server = drive(alice_request, server.id, mounts.STATE_ERROR)
    # nothing half-granted: neither share has a rule for this desktop
    assert desktop_rules(admin, raw_id, server.id) == []
    assert desktop_rules(admin, results_id, server.id) == []
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(alice_request, EXPERIMENT, levels={"raw": "rw"})
    assert exc.value.reason == mounts.LEVEL


@pytest.fixture
def alice_share(alice, admin):
    """Shares alice creates for one test (deleted at teardown)."""
    made = []

    def create(experiment, kind, proto="NFS", share_type=None, settle=True):
        body = {"share": {"name": _uid(f"it-{kind}"), "share_proto": proto, "size": 1,
                          "metadata": {"heps:experiment": experiment, "heps:kind": kind}}}
        if share_type:
            body["share"]["share_type"] = share_type
        share = manila_call(alice, "POST", "/shares", json=body)["share"]
        made.append(share["id"])
        if not settle:
            return wait_until(lambda: manila_call(alice, "GET", f"/shares/{share['id']}")[
                "share"]["status"] in ("available", "error") and share, 90,
                what=f"share {share['id']} created")
        return wait_until(lambda: _available(alice, share["id"]), 90,
                          what=f"share {share['id']} available")

    yield create
    for share_id in made:
        manila_call(admin, "POST", f"/shares/{share_id}/action",
                    json={"reset_status": {"status": "available"}}, ok=(202, 404))
        manila_call(alice, "DELETE", f"/shares/{share_id}", ok=(202, 404))


def _available(conn, share_id):
    share = manila_call(conn, "GET", f"/shares/{share_id}")["share"]
    if share["status"] == "error":
        raise AssertionError(f"share {share_id} went to error")
    return share if share["status"] == "available" else None


def test_shares_in_error_or_deleting_state_or_unmountable_protocol_are_refused(
        alice_request, alice_share, admin):
    experiment = _uid("it").replace("-", ".")
    raw = alice_share(experiment, "raw")
    # CephFS: nova can attach it over virtiofs; an NFS ip rule cannot serve it. The dev
    # cloud's dummy backend only serves NFS, so the CephFS share ends in error and the
    # admin resets it to available: Manila then reports an available CephFS share.
    results = alice_share(experiment, "results", proto="CEPHFS", settle=False)
    manila_call(admin, "POST", f"/shares/{results['id']}/action",
                json={"reset_status": {"status": "available"}})
    with pytest.raises(mounts.MountRefused) as exc:
        experiments.plan_for(alice_request, experiment, mode=ACCESS_RULE)
    assert exc.value.reason == mounts.PROTOCOL and exc.value.share.id == results["id"]
    assert "CEPHFS" in str(experiments.refusal_message(exc.value))
    plan = experiments.plan_for(alice_request, experiment, mode=VIRTIOFS)
    assert plan.grant("results").share_id == results["id"]
    for status in ("error", "deleting"):
        manila_call(admin, "POST", f"/shares/{raw['id']}/action",
                    json={"reset_status": {"status": status}})
        for mode in (ACCESS_RULE, VIRTIOFS):
            with pytest.raises(mounts.MountRefused) as exc:
                experiments.plan_for(alice_request, experiment, mode=mode)
            assert exc.value.reason == mounts.BAD_STATUS and exc.value.detail == status
            assert status in str(experiments.refusal_message(exc.value))
    assert rules_of(admin, raw["id"]) == [] and rules_of(admin, results["id"]) == []


def test_manila_down_is_a_clear_error_and_grants_nothing(devcloud, launcher, admin, raw_id):
    request = make_request(devcloud, "alice")
    server = launcher.launch(request, _uid("it-exp-down"), wait_active=True)
    # the same user, with a catalog whose sharev2 endpoint nobody listens on
    down = make_request(devcloud, "alice")
    catalog = copy.deepcopy(down.user.service_catalog)
    for service in catalog:
        if service["type"] == "sharev2":
            for endpoint in service["endpoints"]:
                endpoint["url"] = "http://127.0.0.1:9/v2"
    down.user.service_catalog = catalog
    with pytest.raises(manila.ShareServiceUnavailable):
        experiments.plan_for(down, EXPERIMENT)
    with pytest.raises(manila.ShareServiceUnavailable):
        experiments.attach(down, server.id, EXPERIMENT)
    assert "" in dict(experiments.experiment_choices(down))  # a message, only "None"
    assert any("Manila" in str(m) for m in down._messages)
    current = api.nova.desktop_get(request, server.id)
    assert not mounts.data_metadata_keys(current.metadata)
    assert desktop_rules(admin, raw_id, server.id) == []
    # deleting while Manila is down keeps the desktop and says why
    with pytest.raises(experiments.RevocationFailed):
        experiments.revoke_then_delete(down, server.id)
    assert api.nova.desktop_get(request, server.id).status == "ACTIVE"


# --- delete: zero rules/attachments left, 20 times ---------------------------------------

def _launch_attach_delete(devcloud, admin, launcher, mode, index, raw_id, results_id):
    request = make_request(devcloud, "alice")
    server = launcher.launch(request, f"it-exp-loop-{index:02d}-{uuid.uuid4().hex[:4]}",
                             EXPERIMENT, mode)
    server = drive(request, server.id, mounts.STATE_ATTACHED, timeout=240)
    if mode == ACCESS_RULE:
        assert len(desktop_rules(admin, raw_id, server.id)) == 1
    report = experiments.revoke_then_delete(request, server.id)
    assert report.ok, report.failed
    launcher.wait_gone(server.id)
    left = desktop_rules(admin, raw_id, server.id) + desktop_rules(admin, results_id, server.id)
    return server.id, left


def test_delete_leaves_no_rule_or_attachment_20_times(devcloud, admin, launcher, raw_id,
                                                       results_id):
    modes = [ACCESS_RULE if i % 4 else VIRTIOFS for i in range(20)]   # 15 + 5
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(_launch_attach_delete, devcloud, admin, launcher, mode, i,
                               raw_id, results_id) for i, mode in enumerate(modes)]
        results = [f.result() for f in futures]
    ids = {server_id for server_id, _left in results}
    assert len(ids) == 20
    assert [left for _sid, left in results if left] == []
    # and nothing of theirs anywhere: plugin rules or nova's locked host rules
    for share_id in (raw_id, results_id):
        assert not [r for r in rules_of(admin, share_id)
                    if (r.get("metadata") or {}).get("heps:desktop") in ids]
        wait_until(lambda share_id=share_id: not any(
            _nova_rules_for(admin, share_id, sid) for sid in ids), 60,
            what="nova host rules of the loop's desktops removed")
    print(f"\n20 launch/attach/delete cycles in {time.monotonic() - t0:.0f} s")


# --- results export ------------------------------------------------------------------------

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
        alice_request, alice_share, no_snapshot_share_type):
    experiment = _uid("it-nosnap").replace("-", ".")
    results = alice_share(experiment, "results", share_type=no_snapshot_share_type)
    with pytest.raises(experiments.ExportRefused) as exc:
        experiments.snapshot_results(alice_request, results["id"], "it-snap")
    assert "no snapshot support" in str(exc.value.message)


def test_snapshot_results_and_create_a_share_from_it(
        alice_request, alice_share, snapshot_share_type, alice, shares):
    experiment = _uid("it-snap").replace("-", ".")
    results = alice_share(experiment, "results", share_type=snapshot_share_type)
    # another project's results share cannot be snapshotted through the plugin
    bob_results = shares["experiment-b"][f"exp-{BOB_EXPERIMENT}-results"]
    with pytest.raises((mounts.MountRefused, manila.NotFound)):
        experiments.snapshot_results(alice_request, bob_results, "it-snap")
    share = experiments.results_share(alice_request, experiment)
    assert share.id == results["id"] and share.snapshot_support

    name = experiments.default_snapshot_name(experiment)
    snapshot = experiments.snapshot_results(alice_request, share.id, name, "it test")
    try:
        wait_until(lambda: manila_call(alice, "GET", f"/snapshots/{snapshot['id']}")[
            "snapshot"]["status"] == "available", 90, what="snapshot available")
        listed = experiments.snapshots_of(alice_request, share.id)
        assert [s["id"] for s in listed] == [snapshot["id"]]
        assert listed[0]["name"] == name and listed[0]["size"] == 1 and \
            listed[0]["created_at"]
        quota = experiments.results_quota(alice_request, share)
        assert quota["share_size"] == 1 and quota["used"] >= 1 and quota["limit"]

        new = experiments.share_from_snapshot(alice_request, snapshot["id"],
                                              _uid("it-export"), "exported results")
        try:
            made = wait_until(lambda: _available(alice, new["id"]), 90,
                              what="share from snapshot available")
            assert made["snapshot_id"] == snapshot["id"]
            assert made["size"] == 1 and made["share_proto"] == "NFS"
            assert made["metadata"] == {"heps:source_snapshot": snapshot["id"],
                                        "heps:source_experiment": experiment}
            # the experiment still has exactly one results share
            assert experiments.get_experiment(alice_request, experiment).results.id == \
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
        alice_request, launcher, alice, devcloud):
    server = launcher.launch(alice_request, _uid("it-exp-img"), wait_active=True)
    image_id = experiments.save_as_image(alice_request, server.id, _uid("it-image"))
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
    from io import StringIO

    from django.core.management import call_command

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
        assert rule["id"] in text and "would remove" in text and "desktop gone" in text
        assert "Dry run" in text
        assert len(desktop_rules(admin, raw_id, gone)) == 1        # dry run: still there

        out = StringIO()
        call_command("heps_orphan_rules", "--apply", os_cloud="devcloud-admin", stdout=out)
        assert "removed" in out.getvalue() and rule["id"] in out.getvalue()
        wait_until(lambda: not desktop_rules(admin, raw_id, gone), 30, what="rule removed")
    finally:
        manila_call(alice, "POST", f"/shares/{raw_id}/action",
                    json={"deny_access": {"access_id": rule["id"]}}, ok=(202, 400, 404))
