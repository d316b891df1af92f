"""Experiment-data access that outlived its desktop (operator context, every project).

Judged on data users cannot forge: a rule is the plugin's only when it sits on an
experiment share and carries ``heps:desktop=<uuid>`` (and, when present,
``heps:project`` equal to the share's project); nova's own rules for share attachments
are known by their lock. A desktop is alive only while nova lists it, tagged, in the
share's project, holding the rule's address and recording the share.
"""

import dataclasses
import re

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{12}")
NOVA_LOCK_RE = re.compile(r"Lock by nova for instance (" + UUID_RE.pattern + r")")
GONE = ("deleted", "soft_deleted")


@dataclasses.dataclass
class Finding:
    share_id: str
    share_name: str
    project_id: str
    kind: str            # "rule" | "nova-rule" | "attachment"
    ident: str           # rule id, or share id for an attachment
    access_to: str
    reason: str
    server_id: str = ""


def _addresses(server):
    return {entry.get("addr") for entries in (getattr(server, "addresses", None) or {}).values()
            for entry in entries or () if isinstance(entry, dict) and entry.get("addr")}


def _alive(server):
    return server is not None and (getattr(server, "status", "") or "").lower() not in GONE


def plugin_rule_desktop(share, rule):
    """The desktop id of a rule the plugin made on ``share``, or "" for any other rule."""
    metadata = rule.get("metadata") or {}
    desktop_id = str(metadata.get(names.RULE_META_DESKTOP) or "")
    if not UUID_RE.fullmatch(desktop_id):
        return ""
    project = metadata.get(names.RULE_META_PROJECT)
    if project and project != share.project_id:
        return ""
    return desktop_id


def classify_rule(share, rule, server):
    """Why a plugin rule on ``share`` for ``server`` (None: nova says no such server) is
    orphaned, or ""."""
    if rule.get("state") in mounts.RULE_GOING:
        return ""
    if not _alive(server):
        return "desktop gone"
    if not desktops.is_desktop(getattr(server, "tags", None)):
        return "server is no longer a desktop"
    if getattr(server, "tenant_id", None) != share.project_id:
        return "desktop is in another project"
    metadata = getattr(server, "metadata", None) or {}
    if names.META_REVOKING in metadata:
        return "desktop is being deleted"
    data = mounts.read_data_state(metadata)
    if data.state not in mounts.ATTACHING_STATES and share.id not in data.share_ids:
        return "desktop no longer mounts this share"
    access_to = rule.get("access_to") or ""
    if access_to and access_to not in _addresses(server):
        return "desktop no longer has this address"
    return ""


def nova_lock_instances(locks):
    return [m.group(1) for lock in locks
            for m in [NOVA_LOCK_RE.fullmatch((lock.get("lock_reason") or "").strip())] if m]


def classify_attachments(server, attachments):
    """Share ids attached to a desktop that its data state no longer records."""
    if not desktops.is_desktop(getattr(server, "tags", None)):
        return []
    data = mounts.read_data_state(getattr(server, "metadata", None))
    if data.transitional:
        return []
    return [a["share_id"] for a in attachments if a["share_id"] not in data.share_ids]


class Scan:
    """One sweep over every experiment share; ``servers`` caches nova lookups."""

    def __init__(self, ctx, desktops_by_id):
        self.ctx = ctx
        self.servers = dict(desktops_by_id)

    def server(self, server_id):
        if server_id not in self.servers:
            self.servers[server_id] = api.nova.server_find(self.ctx, server_id)
        return self.servers[server_id]

    def findings(self, virtiofs):
        shares = api.manila.experiment_shares(self.ctx)
        found, attached = [], {}
        if virtiofs:
            found += self._attachments(attached)
        for share in shares:
            found += self._share(share, attached)
        return found

    def _attachments(self, attached):
        found = []
        for server in list(self.servers.values()):
            if not _alive(server):
                continue
            items = api.nova.share_attachments(self.ctx, server.id)
            for item in items:
                attached.setdefault(item["share_id"], []).append(server.id)
            for share_id in classify_attachments(server, items):
                found.append(Finding(share_id, share_id, server.tenant_id, "attachment",
                                     share_id, "", "desktop no longer records this share",
                                     server_id=server.id))
        return found

    def _share(self, share, attached):
        found = []
        for rule in api.manila.access_list(self.ctx, share.id):
            desktop_id = plugin_rule_desktop(share, rule)
            if desktop_id:
                reason = classify_rule(share, rule, self.server(desktop_id))
                kind = "rule"
            elif (rule.get("metadata") or {}).get(names.RULE_META_DESKTOP):
                continue  # tagged by hand or by another project: not the plugin's
            else:
                reason, kind = self._nova_rule(share, rule, attached), "nova-rule"
            if reason:
                found.append(Finding(share.id, share.display_name, share.project_id, kind,
                                     rule["id"], rule.get("access_to") or "", reason,
                                     server_id=desktop_id))
        return found

    def _nova_rule(self, share, rule, attached):
        if rule.get("state") in mounts.RULE_GOING:
            return ""
        try:
            instances = nova_lock_instances(api.manila.rule_locks(self.ctx, rule["id"]))
        except Exception:  # Manila too old for locks: not ours to judge
            return ""
        if not instances:
            return ""
        if any(_alive(self.server(i)) for i in instances) or attached.get(share.id):
            return ""
        return "nova attachment rule of a deleted instance, share attached nowhere"

    def remove(self, finding):
        """Remove one finding; returns "removed" or why not (raises on failure)."""
        if finding.kind == "rule":
            api.manila.access_deny(self.ctx, finding.share_id, finding.ident)
        elif finding.kind == "nova-rule":
            api.manila.access_deny_unrestricted(self.ctx, finding.share_id, finding.ident)
        else:
            server = self.servers.get(finding.server_id)
            if (getattr(server, "status", "") or "").lower() not in ("shutoff", "error"):
                return "kept: the desktop must be stopped to detach"
            api.nova.share_detach(self.ctx, finding.server_id, finding.share_id)
        return "removed"
