"""List (and with --apply remove) experiment-share access that outlived its desktop.

    python manage.py heps_orphan_rules [--apply] [--os-cloud NAME]

Run as an operator (admin credentials from clouds.yaml ``--os-cloud`` or the usual OS_*
environment variables). Dry run by default: it only lists. What it looks at, on every
share with ``heps:experiment`` metadata (all projects):

* access rules the plugin made (metadata ``heps:desktop=<server id>``): orphaned when
  that server is gone, no longer records the share in its ``heps:mount:*`` metadata,
  or no longer has the rule's address;
* rules nova made for virtiofs share attachments (locked, reason "Lock by nova for
  instance <id>"): orphaned when that instance is gone and no live server in the
  share's project has the share attached (nova shares one rule per compute host);
* share attachments on desktops that no longer record the share: listed, and removed
  with --apply when the desktop is stopped or in error (nova refuses otherwise).

The decisions are plain functions (``classify_rule``, ``classify_attachments``), unit
tested without a cloud.
"""

import dataclasses
import re

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts

NOVA_MV = "2.97"
NOVA_LOCK_RE = re.compile(r"Lock by nova for instance ([0-9a-fA-F-]{36})")
GONE = ("deleted", "soft_deleted")


@dataclasses.dataclass
class Finding:
    share_id: str
    share_name: str
    kind: str            # "rule" | "nova-rule" | "attachment"
    ident: str           # rule id, or server id for an attachment
    access_to: str
    level: str
    reason: str
    server_id: str = ""
    result: str = ""


def _server_mounts(server):
    return mounts.read_data_state((server or {}).get("metadata"))


def _addresses(server):
    found = set()
    for entries in ((server or {}).get("addresses") or {}).values():
        for entry in entries or ():
            if isinstance(entry, dict) and entry.get("addr"):
                found.add(entry["addr"])
    return found


def classify_rule(share, rule, servers, locks=(), attached_anywhere=False):
    """Why ``rule`` (a Manila access rule dict on ``share``) is orphaned, or "".

    ``servers``: {server id: nova server dict, or None when nova says 404}.
    ``locks``: the rule's resource locks. ``attached_anywhere``: some live server of the
    share's project has the share attached (virtiofs).
    """
    metadata = rule.get("metadata") or {}
    desktop_id = metadata.get(mounts.RULE_META_DESKTOP)
    if rule.get("state") in mounts.RULE_GOING:
        return ""
    if desktop_id:
        server = servers.get(desktop_id)
        if server is None or (server.get("status") or "").lower() in GONE:
            return "desktop gone"
        data = _server_mounts(server)
        if data.state not in mounts.ATTACHING_STATES and share["id"] not in data.share_ids:
            return "desktop no longer mounts this share"
        access_to = rule.get("access_to") or ""
        if access_to and "*" not in access_to and access_to not in _addresses(server):
            return "desktop no longer has this address"
        return ""
    instances = [m.group(1) for lock in locks
                 for m in [NOVA_LOCK_RE.search(lock.get("lock_reason") or "")] if m]
    if instances:
        if all(servers.get(i) is None for i in instances) and not attached_anywhere:
            return "nova attachment rule of a deleted instance, share attached nowhere"
    return ""


def classify_attachments(server, attachments):
    """Share ids attached to a desktop that its experiment-data metadata no longer has.

    Servers that are not desktops (no ``heps-desktop`` tag) are never judged: a share
    attached to them by hand is none of the plugin's business.
    """
    if desktops.DESKTOP_TAG not in ((server or {}).get("tags") or ()):
        return []
    data = _server_mounts(server)
    if data.transitional:
        return []
    return [a["share_id"] for a in attachments if a["share_id"] not in data.share_ids]


class Command(BaseCommand):
    help = ("List access rules and share attachments of experiment shares that outlived "
            "their desktop; --apply removes them (dry run by default).")

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true",
                            help="remove what is found (default: only list it)")
        parser.add_argument("--os-cloud", default=None,
                            help="cloud in clouds.yaml (default: OS_CLOUD / OS_* variables)")

    # --- cloud access ---------------------------------------------------------------
    def _connect(self, cloud):
        import openstack.config

        try:
            config = openstack.config.OpenStackConfig().get_one(cloud=cloud)
            self.session = config.get_session()
            region = config.get_region_name()
        except Exception as exc:
            raise CommandError(f"cannot load credentials: {exc}") from exc
        self.manila = manila.client_from_session(self.session, region)
        self.manila_locks = manila.client_from_session(
            self.session, region, microversion=manila.LOCKS_MICROVERSION)
        self.region = region

    def _nova(self, method, path, ok=(200, 202, 204), **kw):
        response = self.session.request(
            path, method, endpoint_filter={"service_type": "compute", "interface": "public",
                                           "region_name": self.region},
            headers={"OpenStack-API-Version": f"compute {NOVA_MV}",
                     "X-OpenStack-Nova-API-Version": NOVA_MV},
            raise_exc=False, **kw)
        if response.status_code == 404:
            return None
        if response.status_code not in ok:
            raise CommandError(f"nova {method} {path}: {response.status_code} "
                               f"{response.text[:300]}")
        return response.json() if response.content else {}

    def _server(self, server_id):
        if server_id not in self.servers:
            found = self._nova("GET", f"/servers/{server_id}")
            self.servers[server_id] = found["server"] if found else None
        return self.servers[server_id]

    # --- the scan -------------------------------------------------------------------
    def handle(self, *args, **options):
        self._connect(options["os_cloud"])
        self.servers = {}
        try:
            shares = [s for s in manila.share_list(self.manila, {"all_tenants": 1})
                      if mounts.SHARE_META_EXPERIMENT in (s.get("metadata") or {})]
        except manila.ShareServiceUnavailable as exc:
            raise CommandError(f"Manila is not answering: {exc}") from exc
        projects = {s.get("project_id") for s in shares}
        live = self._live_servers(projects)
        attached = {}   # share id -> [server id]
        findings = []
        for server in live:
            if server.get("status", "").lower() in GONE:
                continue
            shares_of = (self._nova("GET", f"/servers/{server['id']}/shares") or {}).get(
                "shares", [])
            for item in shares_of:
                attached.setdefault(item["share_id"], []).append(server["id"])
            share_ids = {s["id"] for s in shares}
            for share_id in classify_attachments(server, shares_of):
                if share_id in share_ids:
                    findings.append(Finding(share_id, share_id, "attachment", server["id"],
                                            "", "", "desktop no longer records this share",
                                            server_id=server["id"]))
        for share in shares:
            findings += self._scan_share(share, attached)
        self._report(findings, options["apply"])
        if options["apply"] and any(f.result.startswith("failed") for f in findings):
            raise CommandError("some orphans could not be removed (see above)")

    def _live_servers(self, projects):
        found = []
        for project in sorted(p for p in projects if p):
            listed = self._nova("GET", f"/servers/detail?all_tenants=1&project_id={project}")
            for server in (listed or {}).get("servers", []):
                self.servers[server["id"]] = server
                found.append(server)
        return found

    def _scan_share(self, share, attached):
        findings = []
        for rule in manila.access_list(self.manila, share["id"]):
            metadata = rule.get("metadata") or {}
            locks = []
            if not metadata.get(mounts.RULE_META_DESKTOP):
                try:
                    locks = manila.rule_locks(self.manila_locks, rule["id"])
                except Exception as exc:  # not admin, or Manila too old for locks
                    self.stderr.write(f"cannot read the locks of rule {rule['id']}: {exc}")
                for lock in locks:
                    match = NOVA_LOCK_RE.search(lock.get("lock_reason") or "")
                    if match:
                        self._server(match.group(1))
            else:
                self._server(metadata[mounts.RULE_META_DESKTOP])
            live_attached = [sid for sid in attached.get(share["id"], [])
                             if self.servers.get(sid)]
            reason = classify_rule(share, rule, self.servers, locks, bool(live_attached))
            if reason:
                findings.append(Finding(
                    share["id"], share.get("name") or share["id"],
                    "rule" if metadata.get(mounts.RULE_META_DESKTOP) else "nova-rule",
                    rule["id"], rule.get("access_to") or "", rule.get("access_level") or "",
                    reason, server_id=metadata.get(mounts.RULE_META_DESKTOP, "")))
        return findings

    def _remove(self, finding):
        try:
            if finding.kind == "rule":
                manila.access_deny(self.manila, finding.share_id, finding.ident)
            elif finding.kind == "nova-rule":
                manila.access_deny_unrestricted(self.manila_locks, finding.share_id,
                                                finding.ident)
            else:
                server = self.servers.get(finding.server_id) or {}
                if (server.get("status") or "").lower() not in ("shutoff", "error"):
                    return "kept: the desktop must be stopped to detach"
                self._nova("DELETE", f"/servers/{finding.server_id}/shares/{finding.share_id}")
        except Exception as exc:
            return f"failed: {exc}"
        return "removed"

    def _report(self, findings, apply):
        if not findings:
            self.stdout.write("No orphaned access rules or share attachments.")
            return
        for finding in findings:
            if apply:
                finding.result = self._remove(finding)
            else:
                finding.result = "would remove"
            self.stdout.write(
                f"{finding.result:<14} {finding.kind:<10} share {finding.share_name} "
                f"({finding.share_id}) {finding.ident} {finding.access_to} {finding.level} "
                f"- {finding.reason}")
        if not apply:
            self.stdout.write(f"{len(findings)} orphan(s) found. Dry run: nothing was removed; "
                              "run again with --apply to remove them.")
