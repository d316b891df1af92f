"""One reconciler pass over every project (operator context).

Moves pending experiment-data attach/detach steps on, finishes deletes the panel
started, revokes access that outlived its desktop, and enforces lifetimes. Every step
is idempotent, so overlapping passes or several replicas are harmless.
"""

import dataclasses
import datetime
import logging
import re

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mount_steps
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import archive_sweep
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import boost_steps
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import home_storage_steps
from heps_desktop_dashboard.services import lifetimes
from heps_desktop_dashboard.services import network_sweep
from heps_desktop_dashboard.services import orphans
from heps_desktop_dashboard.services import revocation

LOG = logging.getLogger(__name__)
PARTS = ("data", "deletes", "orphans", "lifetimes", "network", "boost", "storage",
         "archives")
# A delete the panel is doing right now is left to it: the reconciler finishes only the
# ones a crash or an error stopped (two deletes at once fail each other's calls).
DELETE_IN_PROGRESS = datetime.timedelta(minutes=2)
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclasses.dataclass
class Action:
    what: str
    desktop: str
    project: str
    why: str
    result: str = "done"

    def line(self):
        return (f"{self.result:<12} {self.what:<10} {self.desktop} project {self.project}: "
                f"{self.why}")


@dataclasses.dataclass
class PassReport:
    actions: list = dataclasses.field(default_factory=list)
    desktops: int = 0

    @property
    def failed(self):
        return [a for a in self.actions if a.result == "FAILED"]

    def summary(self):
        done = sum(1 for a in self.actions if a.result == "done")
        planned = sum(1 for a in self.actions if a.result == "dry-run")
        return (f"{self.desktops} desktop(s) seen; {done} action(s) done, {planned} "
                f"planned (dry run), {len(self.failed)} failed")


def _raise(exc):
    raise exc


def _done():
    return None


def _label(server):
    return f"{getattr(server, 'name', '')} ({server.id})"


class Pass:
    def __init__(self, ctx, now=None, dry_run=False, only=None, out=None):
        self.ctx = ctx
        self.now = now or desktops.utcnow()
        self.dry_run = dry_run
        self.parts = set(only or PARTS)
        self.report = PassReport()
        self.out = out or (lambda line: None)
        self.policy = conf.lifetime_policy()

    def run(self):
        servers = list(api.nova.desktop_scan(self.ctx))
        self.report.desktops = len(servers)
        for server in servers:
            if "deletes" in self.parts and self._deleting(server):
                continue
            if "data" in self.parts:
                self._data(server)
            if "boost" in self.parts:
                self._boost(server)
            if "lifetimes" in self.parts:
                self._lifetime(server)
        if "orphans" in self.parts:
            self._orphans({server.id: server for server in servers})
        if "network" in self.parts:
            self._network({server.id: server for server in servers})
        if "storage" in self.parts:
            self._storage({server.id: server for server in servers})
        if "archives" in self.parts:
            self._archives({server.id: server for server in servers})
        return self.report

    def _do(self, what, server_or_label, project, why, call, *args):
        label = server_or_label if isinstance(server_or_label, str) else _label(server_or_label)
        action = Action(what, label, project or "-", why)
        if self.dry_run:
            action.result = "dry-run"
        else:
            try:
                outcome = call(*args)
                if isinstance(outcome, str) and outcome != "removed":
                    action.result, action.why = "skipped", f"{why} ({outcome})"
            except Exception as exc:
                LOG.warning("reconciler: %s %s failed", what, label, exc_info=True)
                action.result, action.why = "FAILED", f"{why}: {type(exc).__name__}: {exc}"
        self.report.actions.append(action)
        self.out(action.line())
        if not self.dry_run:
            target_id = getattr(server_or_label, "id", "") or (
                label if UUID_RE.fullmatch(label) else "")
            audit.event(self.ctx, f"{audit.RECONCILE_PREFIX}{what}", target_id,
                        target_name=getattr(server_or_label, "name", "") or label,
                        result={"done": audit.OK, "FAILED": audit.FAILED}.get(
                            action.result, action.result),
                        project_id=project, why=action.why)
        return action

    def _deleting(self, server):
        metadata = getattr(server, "metadata", None) or {}
        task = getattr(server, "OS-EXT-STS:task_state", None)
        if names.META_REVOKING not in metadata or task == "deleting":
            return False
        if self._delete_in_progress(metadata[names.META_REVOKING]):
            return True
        self._do("delete", server, server.tenant_id, "delete requested in the panel",
                 revocation.revoke_then_delete, self.ctx, server)
        return True

    def _delete_in_progress(self, marked):
        try:
            return self.now - desktops.parse_expiry(marked) < DELETE_IN_PROGRESS
        except ValueError:
            return False   # an unreadable mark: the delete is finished now

    def _data(self, server):
        data = data_attach.data_of(server)
        if not data.transitional:
            return
        if self.dry_run:
            step = data_attach.decide(self.ctx, server)[0]
            if step.action != mount_steps.WAIT:
                self._do("data", server, server.tenant_id,
                         f"experiment data {data.state}: {step.action}", None)
            return
        try:
            step = data_attach.advance(self.ctx, server)
        except Exception as exc:
            self._do("data", server, server.tenant_id, f"experiment data {data.state}",
                     _raise, exc)
            return
        if step.action != mount_steps.WAIT:
            self._do("data", server, server.tenant_id,
                     f"experiment data {data.state}: {step.action}"
                     + (f" ({step.reason})" if step.reason else ""), _done)

    def _lifetime(self, server):
        decision = lifetimes.decide(server, self.policy, self.now, conf.expired_action())
        if decision.action:
            self._do(decision.action, server, server.tenant_id, decision.why,
                     lifetimes.apply, self.ctx, server, decision, self.policy)

    def _orphans(self, desktops_by_id):
        scan = orphans.Scan(self.ctx, desktops_by_id)
        virtiofs = (conf.get("share_mount_mode") == mounts.MODE_VIRTIOFS
                    and api.nova.supports(self.ctx, "share_attachments"))
        for finding in scan.findings(virtiofs):
            why = (f"{finding.kind} {finding.ident} on share {finding.share_name} "
                   f"{finding.access_to}: {finding.reason}".replace("  ", " "))
            label = finding.server_id or "-"
            self._do("revoke", label, finding.project_id, why, scan.remove, finding)

    def _network(self, desktops_by_id):
        """Public addresses and experiment security groups (services/network_sweep.py)."""
        try:
            steps = list(network_sweep.steps(self.ctx, desktops_by_id, self.now))
        except Exception as exc:
            self._do("network", "-", "-", "network service", _raise, exc)
            return
        for step in steps:
            self._do("network", step.target, step.project_id, f"{step.what}: {step.why}",
                     step.call, *step.args)

    def _boost(self, server):
        """Boost (services/boost_steps.py): confirm, mark, return, clear."""
        found = boost_steps.step(self.ctx, server, self.now)
        if found is not None:
            why, call, args = found
            self._do("boost", server, server.tenant_id, why, call, *args)

    def _storage(self, desktops_by_id):
        """My storage (services/home_storage_steps.py): one attach/detach per volume."""
        if not api.cinder.in_catalog(self.ctx):
            return
        try:
            steps = home_storage_steps.steps(self.ctx, desktops_by_id)
        except api.cinder.BlockStorageUnavailable as exc:
            self.out(f"skipped      storage    -: block storage unavailable ({exc})")
            return
        for step in steps:
            self._do("storage", step.home.id, step.home.project_id,
                     f"{step.action} {step.home.name} ({step.home.user_id}) "
                     f"{step.server_id}: {step.why}",
                     home_storage_steps.apply, self.ctx, step, desktops_by_id)

    def _archives(self, desktops_by_id):
        """Persistent desktops (services/archive_sweep.py): root records, backups,
        archives past archive_days, what a crash or a user's Delete left."""
        if not api.cinder.in_catalog(self.ctx):
            return
        try:
            steps = list(archive_sweep.steps(self.ctx, desktops_by_id, self.now))
        except api.cinder.BlockStorageUnavailable as exc:
            self.out(f"skipped      archives   -: block storage unavailable ({exc})")
            return
        for step in steps:
            self._do("archive", step.target, step.project_id, f"{step.what}: {step.why}",
                     step.call, *step.args)
