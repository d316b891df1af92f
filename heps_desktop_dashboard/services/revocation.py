"""Taking experiment-data access away from a desktop, and deleting desktops.

Every access rule the plugin makes carries ``heps:desktop=<server id>``; the rules of a
desktop are found on every experiment share of its project (not only those its
user-editable metadata names). A web request tries each removal once; what is left is
the reconciler's (services/orphans.py), which catches it within one pass.
"""

import dataclasses
import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import home_storage
from heps_desktop_dashboard.services import network_policy

LOG = logging.getLogger(__name__)
STOPPED = ("shutoff", "error")


@dataclasses.dataclass
class RevokeReport:
    denied: list = dataclasses.field(default_factory=list)        # (share id, rule id)
    detached: list = dataclasses.field(default_factory=list)      # share ids
    left_to_nova: list = dataclasses.field(default_factory=list)  # share ids
    failed: list = dataclasses.field(default_factory=list)        # (share id, reason)
    manila_down: bool = False

    @property
    def ok(self):
        return not self.failed and not self.manila_down


def _revoked(ctx, server, desktop_id, share_id, **details):
    """The ``data.revoke`` event of one rule or attachment taken away."""
    return audit.outcome(ctx, audit.DATA_REVOKE, desktop_id, getattr(server, "name", ""),
                         project_id=getattr(server, "tenant_id", None), share_id=share_id,
                         **details)


def deny_desktop_rules(ctx, share_id, desktop_id, server=None):
    """Deny every live rule the plugin made on ``share_id`` for ``desktop_id``."""
    denied = []
    for rule in api.manila.desktop_rules(ctx, share_id, desktop_id):
        if rule.get("state") in mounts.RULE_GOING:
            continue
        try:
            with _revoked(ctx, server, desktop_id, share_id, rule_id=rule["id"],
                          address=rule.get("access_to"), level=rule.get("access_level"),
                          mode=mounts.MODE_ACCESS_RULE):
                api.manila.access_deny(ctx, share_id, rule["id"])
        except api.manila.NotFound:
            continue
        denied.append(rule["id"])
    return denied


def _candidate_shares(ctx, server):
    found = [s.id for s in api.manila.experiment_shares(ctx, server.tenant_id)]
    data = mounts.read_data_state(getattr(server, "metadata", None))
    return list(dict.fromkeys(found + [m.share_id for m in data.mounts]))


def revoke(ctx, server):
    """Remove every access ``server`` has to experiment data; never raises for Manila.

    Share attachments are detached when the server is stopped or in error (nova refuses
    otherwise; nova's own delete removes those of a running server)."""
    report = RevokeReport()
    try:
        share_ids = _candidate_shares(ctx, server)
    except api.manila.ShareServiceUnavailable as exc:
        LOG.warning("desktop %s: Manila unavailable, rules left to the reconciler: %s",
                    server.id, exc)
        report.manila_down = True
        share_ids = []
    for share_id in share_ids:
        try:
            report.denied += [(share_id, r) for r in deny_desktop_rules(
                ctx, share_id, server.id, server=server)]
        except (api.manila.NotFound, api.manila.BadRequest):
            continue  # a deleted share (or one this context cannot see) has no rules
        except api.manila.ShareServiceUnavailable:
            report.manila_down = True
        except Exception as exc:
            report.failed.append((share_id, str(exc)))
    if api.nova.supports(ctx, "share_attachments"):
        _detach_all(ctx, server, report)
    return report


def _detach_all(ctx, server, report):
    try:
        attached = api.nova.share_attachments(ctx, server.id)
    except api.nova.NotFound:
        return
    except Exception as exc:
        report.failed.append(("", str(exc)))
        return
    status = (getattr(server, "status", "") or "").lower()
    for item in attached:
        if status not in STOPPED:
            report.left_to_nova.append(item["share_id"])
            continue
        try:
            with _revoked(ctx, server, server.id, item["share_id"], tag=item.get("tag"),
                          mode=mounts.MODE_VIRTIOFS):
                api.nova.share_detach(ctx, server.id, item["share_id"])
            report.detached.append(item["share_id"])
        except api.nova.NotFound:
            continue
        except Exception as exc:
            report.failed.append((item["share_id"], str(exc)))


class RevocationFailed(Exception):
    def __init__(self, server, report):
        super().__init__(f"could not revoke the data access of desktop {server.id}: "
                         f"{report.failed}")
        self.server = server
        self.report = report


def mark_revoking(ctx, server):
    """Record on the server that it is being deleted: no step grants anything to it
    any more (services/data_attach.py). nova refuses metadata on some states: then the
    task state (``deleting``) says the same."""
    try:
        api.nova.server_set_metadata(ctx, server.id, {
            names.META_REVOKING: desktops.format_expiry(desktops.utcnow())})
    except (api.nova.Conflict, api.nova.NotFound):
        LOG.info("desktop %s: could not mark it revoking", server.id)


def revoke_then_delete(ctx, server):
    """Mark, revoke, delete, then scan once more (a grant racing with the revocation),
    and release the desktop's public addresses. One ``desktop.delete`` event.

    Manila down: the delete goes on and the reconciler removes the rules. A rule Manila
    refuses to remove: the desktop is kept (RevocationFailed), so no rule is left on an
    address nova may give to another server.
    """
    with audit.outcome(ctx, audit.DESKTOP_DELETE, server.id, getattr(server, "name", ""),
                       project_id=getattr(server, "tenant_id", None)) as pending:
        report = _revoke_then_delete(ctx, server)
        pending.details.update(rules_denied=len(report.denied),
                               detached=len(report.detached),
                               manila_down=report.manila_down or None)
    return report


def _revoke_then_delete(ctx, server):
    mark_revoking(ctx, server)
    report = revoke(ctx, server)
    if report.failed:
        raise RevocationFailed(server, report)
    # My storage is detached first and kept (nova's delete would only detach it).
    home_storage.release(ctx, server)
    api.nova.server_delete(ctx, server.id)
    if not report.manila_down:
        again = revoke(ctx, server)
        report.denied += again.denied
        report.manila_down = again.manila_down
    if names.META_PUBLIC_IP in (getattr(server, "metadata", None) or {}):
        network_policy.release_public_ips(ctx, server.id, getattr(server, "name", ""),
                                          getattr(server, "tenant_id", None))
    return report


def delete_desktop(ctx, desktop_id):
    """The Delete action: the desktop named by the URL/POST, checked, then deleted."""
    try:
        server = api.nova.desktop_get(ctx, desktop_id)
    except api.nova.NotFound as exc:
        audit.event(ctx, audit.DESKTOP_DELETE, desktop_id, result=audit.REFUSED,
                    error=audit.error_text(exc))
        raise
    return revoke_then_delete(ctx, server)
