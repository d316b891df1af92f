"""What desktops left behind, read through the real APIs as admin: the one check the
fault, concurrency and cycle tests share (test_faults.py, browser/test_concurrency.py,
test_cycles.py).

    found = leftovers.of_desktops(admin, devcloud, server_ids)   # [] when clean
    half = leftovers.half_made(admin, name_prefix)                # servers missing tag/metadata

Each finding is one line of text naming the resource, so an assertion ``found == []``
prints what was left.
"""

import datetime
import uuid

from cloud_fixtures import call
from cloud_fixtures import nova

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.services import network_policy

MANILA_MV = "2.45"
LOCKS_MV = "2.81"
# What every desktop the plugin launches carries from its create call on.
REQUIRED_METADATA = (names.META_PROFILE, names.META_EXPIRES_AT, names.META_EXPIRY_SIGNATURE)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _manila(admin, url, mv=MANILA_MV):
    return call(admin.shared_file_system, "GET", url,
                headers={"X-OpenStack-Manila-API-Version": mv})


def experiment_shares(devcloud, projects=("experiment-a",)):
    return [share_id for project in projects
            for share_id in devcloud.manifest["shares"][project].values()]


def rules(admin, share_id):
    """Live access rules of a share (addresses unmasked; rules being denied left out)."""
    return [r for r in _manila(admin, f"/share-access-rules?share_id={share_id}")["access_list"]
            if r.get("state") not in ("queued_to_deny", "denying")]


def _locked_by(admin, ids):
    """Access rules nova locked for these instances' share attachments (virtiofs)."""
    locks = _manila(admin, "/resource-locks?resource_type=access_rule&all_projects=True",
                    LOCKS_MV)["resource_locks"]
    return {lock["resource_id"]: server_id for lock in locks for server_id in ids
            if server_id in (lock.get("lock_reason") or "")}


def servers_named(admin, prefix, deleted=False):
    """Every server (all projects) whose name starts with prefix; deleted ones too when
    asked (admin: nova keeps them listable with ``deleted=True``)."""
    url = f"/servers/detail?all_tenants=1&name=^{prefix}"
    found = nova(admin, "GET", url)["servers"]
    if deleted:
        found += nova(admin, "GET", url + "&deleted=True")["servers"]
    return found


def half_made(admin, prefix):
    """Live servers named prefix* that are not whole desktops: no heps-desktop tag, or
    missing the metadata every launch writes in its create call."""
    bad = []
    for server in servers_named(admin, prefix):
        if server.get("status") == "DELETED" or server.get("OS-EXT-STS:task_state") == \
                "deleting":
            continue
        missing = [k for k in REQUIRED_METADATA if k not in (server.get("metadata") or {})]
        if names.DESKTOP_TAG not in (server.get("tags") or []) or missing:
            bad.append(f"server {server['name']} ({server['id']}): tags {server.get('tags')}, "
                       f"missing metadata {missing}")
    return bad


def _gone(admin, server_id):
    return nova(admin, "GET", f"/servers/{server_id}", ok=(200, 404)).get("server") is None


def of_desktops(admin, devcloud, server_ids, projects=("experiment-a",), gone=True):
    """Leftovers of these desktops (deleted ones unless ``gone=False``): the servers
    themselves, plugin access rules (``heps:desktop``) and nova's locked rules on the
    projects' experiment shares, share attachments, neutron ports, and the projects'
    ``heps-exp-*`` security groups no port uses (past the reconciler's grace for new
    groups, network_policy.GROUP_GRACE: from when a launch last used it)."""
    ids = set(server_ids)
    found = []
    if gone:
        found += [f"server {sid} still exists" for sid in sorted(ids)
                  if not _gone(admin, sid)]
    locked = _locked_by(admin, ids)
    for share_id in experiment_shares(devcloud, projects):
        for rule in rules(admin, share_id):
            owner = (rule.get("metadata") or {}).get(names.RULE_META_DESKTOP)
            if owner in ids or rule["id"] in locked:
                found.append(f"rule {rule['id']} on share {share_id} for "
                             f"{owner or locked[rule['id']]} ({rule['access_to']}, "
                             f"{rule['state']})")
    for sid in sorted(ids):
        attached = nova(admin, "GET", f"/servers/{sid}/shares", ok=(200, 404))
        found += [f"share attachment {a['share_id']} on {sid}"
                  for a in attached.get("shares", []) if gone]
        ports = call(admin.network, "GET", f"/ports?device_id={sid}")["ports"]
        found += [f"port {p['id']} of {sid}" for p in ports]
    found += unused_groups(admin, devcloud, projects)
    return found


def unused_groups(admin, devcloud, projects=("experiment-a",), now=None):
    """``heps-exp-*`` security groups of the projects that no port uses and the
    reconciler would delete (past its grace)."""
    now = now or datetime.datetime.now(datetime.UTC)
    found = []
    for project in projects:
        project_id = devcloud.project_id(project)
        groups = call(admin.network, "GET",
                      f"/security-groups?project_id={project_id}")["security_groups"]
        for group in groups:
            if not group["name"].startswith(names.SECURITY_GROUP_PREFIX):
                continue
            if network_policy.in_grace(group, now):
                continue
            ports = call(admin.network, "GET",
                         f"/ports?security_groups={group['id']}")["ports"]
            if not ports:
                found.append(f"security group {group['name']} ({group['id']}) in {project}: "
                             "no port uses it")
    return found
