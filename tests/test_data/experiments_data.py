"""Builders for experiment-data tests, and a small in-memory cloud (nova servers with
share attachments, Manila shares with access rules) standing in for api.nova / api.manila
so the services' step machine can be run end to end without HTTP.

Every fake api function takes an api context first, like the real ones: a user context
sees its own project only (nova answers 404 for other projects' servers, Manila for
their private shares); an operator context (the reconciler's) sees every project.
"""

import copy
import itertools
import uuid
from unittest import mock

from django.test import override_settings
from manilaclient.common.apiclient import exceptions as manila_exc
from novaclient import exceptions as nova_exc
from novaclient.v2 import servers as nova_servers

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.core import shares
from test_data import desktops_data

# Horizon's test data: the logged-in user's project (self.tenant) and user (self.user).
PROJECT = desktops_data.PROJECT_ID
OTHER_PROJECT = desktops_data.OTHER_PROJECT_ID
USER_ID = desktops_data.USER_ID
EXPERIMENT = "2026-0142"
RAW_ID = "11111111-aaaa-4aaa-8aaa-000000000001"
RESULTS_ID = "11111111-aaaa-4aaa-8aaa-000000000002"
EXPORT = "10.0.0.10:/path/to/fake/share/"

# Fake api functions that change something (a GET must call none of them).
MUTATING = ("server_set_metadata", "server_delete_metadata", "server_stop", "server_start",
            "server_delete", "desktop_stop", "desktop_start", "share_attach", "share_detach",
            "access_allow", "access_deny")
# nova refuses metadata changes outside these states, or while a task runs.
METADATA_STATUSES = ("ACTIVE", "SHUTOFF", "PAUSED", "SUSPENDED")


def share_info(kind="raw", share_id=None, project=PROJECT, status="available", proto="NFS",
               experiment=EXPERIMENT, snapshots=False, size=1, public=False):
    share_id = share_id or (RAW_ID if kind == "raw" else RESULTS_ID)
    return {"id": share_id, "name": f"exp-{experiment}-{kind}", "project_id": project,
            "status": status, "share_proto": proto, "size": size, "is_public": public,
            "snapshot_support": snapshots, "create_share_from_snapshot_support": snapshots,
            "metadata": {"heps:experiment": experiment, "heps:kind": kind},
            "description": ""}


def mount_mode(name):
    return override_settings(HEPS_DESKTOPS={"share_mount_mode": name})


def share(kind="raw", exports=None, **kw):
    info = share_info(kind, **kw)
    return shares.Share.from_api(info, (EXPORT + info["id"],) if exports is None else exports)


class FakeCloud:
    """Just enough nova and Manila for services/data_attach.py, services/revocation.py
    and the experiment views.

    Servers move on only when the test says so (``finish()``): stop/start set a task, as
    nova does, and attachments stay "attaching" until finished, so every intermediate
    state of the step machine is reachable. ``desktop_get`` returns a new object each
    time (a snapshot, like a real GET): a caller holding an old one sees old metadata.
    """

    def __init__(self):
        self.shares = {}        # id -> share info dict
        self.rules = {}         # share id -> [rule dict]
        self.servers = {}       # id -> server info dict (nova's JSON)
        self.attached = {}      # server id -> {share id: {"status", "tag"}}
        self.calls = []         # fake function names, in call order
        self.contexts = []      # (name, "user" | "operator")
        self.fail = {}          # function name -> exception to raise (every time)
        self.deleted = []
        self.virtiofs_supported = True
        self.hooks = {}         # function name -> callable run before it
        self._ids = itertools.count(1)

    # --- setup --------------------------------------------------------------------
    def add_share(self, info):
        self.shares[info["id"]] = copy.deepcopy(info)
        self.rules.setdefault(info["id"], [])
        return info

    def add_experiment(self, **kw):
        self.add_share(share_info("raw", **kw))
        self.add_share(share_info("results", **kw))

    def add_server(self, status="ACTIVE", metadata=None, address="10.42.1.7", task=None,
                   project=PROJECT, user_id=USER_ID, **kw):
        info = copy.deepcopy(desktops_data.server(
            status=status, task_state=task, metadata=metadata, project_id=project,
            user_id=user_id, **kw)._info)
        info["addresses"] = ({"desktop-net": [{"addr": address, "version": 4,
                                               "OS-EXT-IPS:type": "fixed"}]}
                             if address else {})
        self.servers[info["id"]] = info
        self.attached[info["id"]] = {}
        return self.server(info["id"])

    def server(self, server_id):
        """A fresh nova Server object of the current state (no api call recorded)."""
        return nova_servers.Server(nova_servers.ServerManager(None),
                                   copy.deepcopy(self.servers[server_id]), loaded=True)

    def set_status(self, server_id, status, task=None):
        info = self.servers[server_id]
        info["status"] = status
        info["OS-EXT-STS:task_state"] = task
        info["OS-EXT-STS:vm_state"] = status.lower()

    def task(self, server_id):
        return self.servers[server_id]["OS-EXT-STS:task_state"]

    def status(self, server_id):
        return self.servers[server_id]["status"]

    def finish(self):
        """nova and Manila finish what they were doing (tasks, attachments, rules)."""
        for server_id in self.servers:
            task = self.task(server_id)
            if task == "powering-off":
                self.set_status(server_id, "SHUTOFF")
                for item in self.attached[server_id].values():
                    item["status"] = "inactive"
            elif task == "powering-on":
                self.set_status(server_id, "ACTIVE")
                for item in self.attached[server_id].values():
                    item["status"] = "active"
            for share_id, item in list(self.attached[server_id].items()):
                if item["status"] == "attaching":
                    item["status"] = "inactive"
                elif item["status"] == "detaching":
                    del self.attached[server_id][share_id]
        for share_id, rules in self.rules.items():
            self.rules[share_id] = [r for r in rules if r["state"] != "queued_to_deny"]
            for rule in self.rules[share_id]:
                if rule["state"] == "queued_to_apply":
                    rule["state"] = "active"

    def metadata(self, server_id):
        return dict(self.servers[server_id]["metadata"])

    def all_rules(self):
        return [r for rules in self.rules.values() for r in rules]

    def live_rules(self):
        return [r for r in self.all_rules() if r["state"] != "queued_to_deny"]

    def mutations(self):
        return [name for name in self.calls if name in MUTATING]

    # --- bookkeeping -------------------------------------------------------------------
    def _check(self, name, ctx):
        if not isinstance(ctx, api.context.ApiContext):
            raise AssertionError(f"{name} called without an api context: {ctx!r}")
        self.calls.append(name)
        self.contexts.append((name, "operator" if ctx.operator else "user"))
        if name in self.hooks:
            self.hooks[name]()
        if name in self.fail:
            raise self.fail[name]

    # --- nova ------------------------------------------------------------------------
    def _visible(self, ctx, server_id):
        info = self.servers.get(server_id)
        if info is None or (not ctx.operator and info["tenant_id"] != ctx.project_id):
            raise nova_exc.NotFound(404, "no such server")
        return info

    def _metadata_allowed(self, info):
        if info["OS-EXT-STS:task_state"] or info["status"] not in METADATA_STATUSES:
            raise nova_exc.Conflict(409, "cannot update metadata now")

    def desktop_get(self, ctx, desktop_id):
        self._check("desktop_get", ctx)
        info = self._visible(ctx, desktop_id)
        if "heps-desktop" not in info.get("tags", ()):
            raise nova_exc.NotFound(404, "not a desktop")
        return self.server(desktop_id)

    def server_find(self, ctx, server_id):
        self._check("server_find", ctx)
        try:
            self._visible(ctx, server_id)
        except nova_exc.NotFound:
            return None
        return self.server(server_id)

    def desktop_scan(self, ctx):
        self._check("desktop_scan", ctx)
        return [self.server(sid) for sid, info in self.servers.items()
                if ctx.operator or info["tenant_id"] == ctx.project_id]

    def server_set_metadata(self, ctx, server_id, metadata):
        self._check("server_set_metadata", ctx)
        info = self._visible(ctx, server_id)
        self._metadata_allowed(info)
        info["metadata"].update(metadata)

    def server_delete_metadata(self, ctx, server_id, keys):
        self._check("server_delete_metadata", ctx)
        info = self._visible(ctx, server_id)
        self._metadata_allowed(info)
        for key in keys:
            info["metadata"].pop(key, None)

    def server_stop(self, ctx, server_id):
        self._check("server_stop", ctx)
        info = self._visible(ctx, server_id)
        if info["status"] != "ACTIVE" or info["OS-EXT-STS:task_state"]:
            raise nova_exc.Conflict(409, "not active")
        info["OS-EXT-STS:task_state"] = "powering-off"

    def server_start(self, ctx, server_id):
        self._check("server_start", ctx)
        info = self._visible(ctx, server_id)
        if info["status"] != "SHUTOFF" or info["OS-EXT-STS:task_state"]:
            raise nova_exc.Conflict(409, "not stopped")
        if any(i["status"] in ("attaching", "detaching")
               for i in self.attached[server_id].values()):
            raise AssertionError("started while a share was still (de)attaching")
        info["OS-EXT-STS:task_state"] = "powering-on"

    def server_delete(self, ctx, server_id):
        self._check("server_delete", ctx)
        self._visible(ctx, server_id)
        self.deleted.append(server_id)
        del self.servers[server_id]
        del self.attached[server_id]

    def supports(self, ctx, feature):
        return self.virtiofs_supported

    def share_attachments(self, ctx, server_id):
        self._check("share_attachments", ctx)
        self._visible(ctx, server_id)
        return [{"share_id": sid, **item} for sid, item in self.attached[server_id].items()]

    def share_attach(self, ctx, server_id, share_id, tag):
        self._check("share_attach", ctx)
        info = self._visible(ctx, server_id)
        if info["status"] != "SHUTOFF" or info["OS-EXT-STS:task_state"]:
            raise nova_exc.Conflict(409, "server must be stopped")
        share_info_ = self.shares.get(share_id)
        if share_info_ is None or share_info_["project_id"] != info["tenant_id"]:
            raise nova_exc.NotFound(404, "no such share")
        if share_id in self.attached[server_id]:
            raise nova_exc.Conflict(409, "already attached")
        self.attached[server_id][share_id] = {"status": "attaching", "tag": tag}

    def share_detach(self, ctx, server_id, share_id):
        self._check("share_detach", ctx)
        info = self._visible(ctx, server_id)
        if info["status"] not in ("SHUTOFF", "ERROR") or info["OS-EXT-STS:task_state"]:
            raise nova_exc.Conflict(409, "server must be stopped")
        if share_id not in self.attached[server_id]:
            raise nova_exc.NotFound(404, "not attached")
        self.attached[server_id][share_id]["status"] = "detaching"

    # --- manila ------------------------------------------------------------------------
    def _share_visible(self, ctx, share_id):
        info = self.shares.get(share_id)
        if info is None or not (ctx.operator or info["project_id"] == ctx.project_id
                                or info["is_public"]):
            raise manila_exc.NotFound(404, "no such share")
        return info

    def experiment_shares(self, ctx, project_id=None, with_exports=False):
        self._check("experiment_shares", ctx)
        project_id = project_id or ctx.project_id
        found = []
        for info in self.shares.values():
            if not (ctx.operator or info["project_id"] == ctx.project_id
                    or info["is_public"]):
                continue
            if project_id and info["project_id"] != project_id:
                continue
            if "heps:experiment" not in info["metadata"]:
                continue
            exports = ((EXPORT + info["id"],)
                       if with_exports and info["status"] == "available" else ())
            found.append(shares.Share.from_api(info, exports))
        return found

    def export_locations(self, ctx, share_id):
        self._check("export_locations", ctx)
        self._share_visible(ctx, share_id)
        return [{"path": EXPORT + share_id, "preferred": True}]

    def share_with_exports(self, ctx, share_id):
        self._check("share_with_exports", ctx)
        info = self._share_visible(ctx, share_id)
        exports = (EXPORT + share_id,) if info["status"] == "available" else ()
        return shares.Share.from_api(info, exports)

    def desktop_rules(self, ctx, share_id, desktop_id):
        self._check("desktop_rules", ctx)
        info = self._share_visible(ctx, share_id)
        if not ctx.operator and info["project_id"] != ctx.project_id:
            raise manila_exc.NotFound(404, "no such share")
        return [copy.deepcopy(r) for r in self.rules[share_id]
                if r["metadata"].get("heps:desktop") == desktop_id]

    def access_list(self, ctx, share_id, metadata=None):
        self._check("access_list", ctx)
        self._share_visible(ctx, share_id)
        return [copy.deepcopy(r) for r in self.rules[share_id]
                if all(r["metadata"].get(k) == v for k, v in (metadata or {}).items())]

    def access_allow(self, ctx, share_id, address, level, metadata):
        self._check("access_allow", ctx)
        info = self._share_visible(ctx, share_id)
        if not ctx.operator and info["project_id"] != ctx.project_id:
            raise manila_exc.Forbidden(403, "not your share")
        rule = {"id": str(uuid.uuid4()), "access_type": "ip", "access_to": address,
                "access_level": level, "state": "queued_to_apply",
                "metadata": dict(metadata)}
        self.rules[share_id].append(rule)
        return dict(rule)

    def access_deny(self, ctx, share_id, rule_id):
        self._check("access_deny", ctx)
        self._share_visible(ctx, share_id)
        for rule in self.rules[share_id]:
            if rule["id"] == rule_id:
                rule["state"] = "queued_to_deny"
                return
        raise manila_exc.NotFound(404, "no such rule")

    NOVA_NAMES = ("desktop_get", "server_find", "desktop_scan", "server_set_metadata",
                  "server_delete_metadata", "server_stop", "server_start", "server_delete",
                  "supports", "share_attachments", "share_attach", "share_detach")
    MANILA_NAMES = ("experiment_shares", "export_locations", "share_with_exports",
                    "desktop_rules", "access_list", "access_allow", "access_deny")

    def patches(self):
        """Patch api.nova and api.manila functions with this cloud (a context manager)."""
        stack = [mock.patch.object(api.nova, name, getattr(self, name))
                 for name in self.NOVA_NAMES]
        stack += [mock.patch.object(api.manila, name, getattr(self, name))
                  for name in self.MANILA_NAMES]
        return _Patches(stack)


class _Patches:
    def __init__(self, patches):
        self.patches = patches

    def __enter__(self):
        for patch in self.patches:
            patch.start()
        return self

    def __exit__(self, *exc):
        for patch in reversed(self.patches):
            patch.stop()


def reconcile(cloud, ctx, server_id, rounds=12):
    """Reconciler passes over one desktop: one ``data_attach.advance()`` with ``ctx``
    and one "nova/Manila finish" per round, until the data is no longer in transition;
    returns the data states seen."""
    from heps_desktop_dashboard.services import data_attach

    seen = []
    for _ in range(rounds):
        data_attach.advance(ctx, api.nova.desktop_get(ctx, server_id))
        cloud.finish()
        state = cloud.metadata(server_id).get("heps:data_state", "")
        seen.append(state)
        if not mounts.read_data_state(cloud.metadata(server_id)).transitional \
                and not cloud.task(server_id):
            break
    return seen


def planned_server(cloud, ctx, mode_name, experiment=EXPERIMENT, **kw):
    """A desktop created with an experiment recorded as wanted (what a launch does)."""
    from heps_desktop_dashboard.services import experiments

    with mount_mode(mode_name):
        plan = experiments.plan_for(ctx, experiment)
    cloud.calls.clear()
    cloud.contexts.clear()
    return cloud.add_server(metadata=experiments.plan_metadata(plan), **kw)
