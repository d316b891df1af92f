"""Builders for experiment-data tests, and a small in-memory cloud (nova servers with
share attachments, Manila shares with access rules) standing in for api.nova / api.manila
so the service layer's step machine can be run end to end without HTTP."""

import copy
import itertools
import uuid
from unittest import mock

from manilaclient.common.apiclient import exceptions as manila_exc
from novaclient import exceptions as nova_exc

from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.core import mounts
from test_data import desktops_data

PROJECT = "6f4c1e2a9b8d4c3e8f7a6b5c4d3e2f1a"   # Horizon's test data tenant (see below)
OTHER_PROJECT = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
EXPERIMENT = "2026-0142"
RAW_ID = "11111111-aaaa-4aaa-8aaa-000000000001"
RESULTS_ID = "11111111-aaaa-4aaa-8aaa-000000000002"
EXPORT = "10.0.0.10:/path/to/fake/share/"


def share_info(kind="raw", share_id=None, project=PROJECT, status="available", proto="NFS",
               experiment=EXPERIMENT, snapshots=False, size=1):
    share_id = share_id or (RAW_ID if kind == "raw" else RESULTS_ID)
    return {"id": share_id, "name": f"exp-{experiment}-{kind}", "project_id": project,
            "status": status, "share_proto": proto, "size": size, "is_public": False,
            "snapshot_support": snapshots, "create_share_from_snapshot_support": snapshots,
            "metadata": {"heps:experiment": experiment, "heps:kind": kind},
            "description": ""}


def share(kind="raw", exports=None, **kw):
    info = share_info(kind, **kw)
    return mounts.Share.from_api(info, (EXPORT + info["id"],) if exports is None else exports)


class FakeRequestUser:
    def __init__(self, tenant_id=PROJECT, username="test_user"):
        self.tenant_id = self.project_id = tenant_id
        self.username = username


class FakeRequest:
    def __init__(self, tenant_id=PROJECT):
        self.user = FakeRequestUser(tenant_id)
        self._messages = []


class FakeCloud:
    """Just enough nova and Manila for desktops/experiments.py.

    Servers move on only when the test says so (``finish()``): stop/start set a task, as
    nova does, and attachments stay "attaching" until finished, so every intermediate
    state of the step machine is reachable.
    """

    def __init__(self, project=PROJECT):
        self.project = project
        self.shares = {}        # id -> share info dict
        self.rules = {}         # share id -> [rule dict]
        self.servers = {}       # id -> novaclient Server
        self.attached = {}      # server id -> {share id: {"status", "tag"}}
        self.calls = []
        self.fail = {}          # function name -> exception to raise (every time)
        self.deleted = []
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
                   **kw):
        server = desktops_data.server(status=status, task_state=task, metadata=metadata, **kw)
        server._info["addresses"] = server.addresses = (
            {"desktop-net": [{"addr": address, "version": 4, "OS-EXT-IPS:type": "fixed"}]}
            if address else {})
        self.servers[server.id] = server
        self.attached[server.id] = {}
        return server

    def set_status(self, server_id, status, task=None):
        server = self.servers[server_id]
        server.status = status
        setattr(server, "OS-EXT-STS:task_state", task)

    def finish(self):
        """nova and Manila finish what they were doing (tasks, attachments, rules)."""
        for server_id, server in self.servers.items():
            task = getattr(server, "OS-EXT-STS:task_state", None)
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
        return dict(self.servers[server_id].metadata)

    def all_rules(self):
        return [r for rules in self.rules.values() for r in rules]

    # --- nova ------------------------------------------------------------------------
    def _check(self, name):
        self.calls.append(name)
        if name in self.fail:
            raise self.fail[name]

    def desktop_get(self, request, desktop_id):
        self._check("desktop_get")
        if desktop_id not in self.servers:
            raise nova_exc.NotFound(404, "no such server")
        return self.servers[desktop_id]

    def desktop_stop(self, request, desktop_id):
        self._check("desktop_stop")
        if self.servers[desktop_id].status != "ACTIVE":
            raise nova_exc.Conflict(409, "not active")
        self.set_status(desktop_id, "ACTIVE", "powering-off")

    def desktop_start(self, request, desktop_id):
        self._check("desktop_start")
        if self.servers[desktop_id].status != "SHUTOFF":
            raise nova_exc.Conflict(409, "not stopped")
        if any(i["status"] in ("attaching", "detaching")
               for i in self.attached[desktop_id].values()):
            raise AssertionError("started while a share was still (de)attaching")
        self.set_status(desktop_id, "SHUTOFF", "powering-on")

    def desktop_delete(self, request, desktop_id):
        self._check("desktop_delete")
        self.deleted.append(desktop_id)
        del self.servers[desktop_id]

    def supports(self, request, feature):
        return True

    def compute_request(self, request, method, path, feature, body=None):
        self._check(f"compute {method}")
        parts = path.strip("/").split("/")
        server_id = parts[1]
        server = self.servers.get(server_id)
        if server is None:
            raise nova_exc.NotFound(404, "no such server")
        if parts[2] == "metadata":
            if getattr(server, "OS-EXT-STS:task_state", None) or server.status not in (
                    "ACTIVE", "SHUTOFF"):
                raise nova_exc.Conflict(409, "cannot update metadata now")
            if method == "POST":
                server.metadata.update(body["metadata"])
            elif method == "DELETE":
                server.metadata.pop(parts[3], None)
            return {"metadata": server.metadata}
        if parts[2] == "shares":
            attached = self.attached[server_id]
            if method == "GET":
                return {"shares": [{"share_id": sid, **item} for sid, item in attached.items()]}
            if server.status != "SHUTOFF" and server.status != "ERROR":
                raise nova_exc.Conflict(409, "server must be stopped")
            if method == "POST":
                share_id = body["share"]["share_id"]
                if share_id in attached:
                    raise nova_exc.Conflict(409, "already attached")
                attached[share_id] = {"status": "attaching", "tag": body["share"]["tag"]}
                return {"share": {"share_id": share_id, **attached[share_id]}}
            if method == "DELETE":
                if parts[3] not in attached:
                    raise nova_exc.NotFound(404, "not attached")
                attached[parts[3]]["status"] = "detaching"
                return None
        raise AssertionError(f"unexpected compute request {method} {path}")

    # --- manila ------------------------------------------------------------------------
    def experiment_shares(self, request, with_exports=False):
        self._check("experiment_shares")
        return [mounts.Share.from_api(info, (EXPORT + info["id"],) if with_exports else ())
                for info in self.shares.values()
                if info["project_id"] == request.user.tenant_id
                and "heps:experiment" in info["metadata"]]

    def export_locations(self, request, share_id):
        self._check("export_locations")
        return [{"path": EXPORT + share_id, "preferred": True}]

    def share_with_exports(self, request, share_id):
        self._check("share_with_exports")
        info = self.shares.get(share_id)
        if info is None or info["project_id"] != request.user.tenant_id:
            raise manila_exc.NotFound(404, "no such share")
        return mounts.Share.from_api(info, (EXPORT + share_id,))

    def desktop_rules(self, request, share_id, desktop_id):
        self._check("desktop_rules")
        if share_id not in self.shares or \
                self.shares[share_id]["project_id"] != request.user.tenant_id:
            raise manila_exc.BadRequest(400, "Share not found")
        return [copy.deepcopy(r) for r in self.rules[share_id]
                if r["metadata"].get("heps:desktop") == desktop_id]

    def access_allow(self, request, share_id, address, level, metadata):
        self._check("access_allow")
        rule = {"id": str(uuid.uuid4()), "access_type": "ip", "access_to": address,
                "access_level": level, "state": "queued_to_apply",
                "metadata": dict(metadata)}
        self.rules[share_id].append(rule)
        return rule

    def access_deny(self, request, share_id, rule_id):
        self._check("access_deny")
        for rule in self.rules[share_id]:
            if rule["id"] == rule_id:
                rule["state"] = "queued_to_deny"
                return
        raise manila_exc.NotFound(404, "no such rule")

    def patches(self):
        """Patch api.nova and api.manila functions with this cloud (a context manager)."""
        from heps_desktop_dashboard import api

        nova_names = ("desktop_get", "desktop_stop", "desktop_start", "desktop_delete",
                      "supports", "compute_request")
        manila_names = ("experiment_shares", "share_with_exports", "desktop_rules",
                        "access_allow", "access_deny", "export_locations")
        stack = [mock.patch.object(api.nova, name, getattr(self, name)) for name in nova_names]
        stack += [mock.patch.object(manila, name, getattr(self, name))
                  for name in manila_names]
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
