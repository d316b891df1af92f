"""The audit trail: one JSON object per event on the logger ``heps_desktops.audit``.

Who (user, project, operator or user), what (action, target id and name), the result,
and where from (request id, source IP) — for every launch, action, console open, share
grant, experiment-data grant/revoke, extend, admin change and reconciler step. A handler
with ``format: "%(message)s"`` writes JSON lines (README: Audit trail).
"""

import contextlib
import json
import logging

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops

AUDIT = logging.getLogger(names.AUDIT_LOGGER)

OK = "ok"
FAILED = "failed"
REFUSED = "refused"
RESULTS = (OK, FAILED, REFUSED)

# Every action name, once: short dotted verbs, "<what>.<verb>".
DESKTOP_LAUNCH = "desktop.launch"
DESKTOP_DELETE = "desktop.delete"
DESKTOP_EXTEND = "desktop.extend"
DESKTOP_SAVE_IMAGE = "desktop.save_image"
DATA_ATTACH = "data.attach"          # a user asks for an experiment on a desktop
DATA_DETACH = "data.detach"
DATA_GRANT = "data.grant"            # one Manila rule or nova share attachment made
DATA_REVOKE = "data.revoke"          # one Manila rule denied or attachment detached
RESULTS_SNAPSHOT = "results.snapshot"
RESULTS_SHARE = "results.share_from_snapshot"
NETWORK_GROUP_CREATE = "network.group_create"    # heps-exp-<experiment> created
NETWORK_GROUP_SYNC = "network.group_sync"        # its rules set back to the template
NETWORK_GROUP_DELETE = "network.group_delete"    # no desktop uses it any more
PUBLIC_IP_ALLOCATE = "network.public_ip_allocate"
PUBLIC_IP_ASSOCIATE = "network.public_ip_associate"
PUBLIC_IP_RELEASE = "network.public_ip_release"
PUBLIC_IP_DISASSOCIATE = "network.public_ip_disassociate"
# The reconciler's steps: "reconcile.<step>" (delete, data, sign, warn, shelve, revoke,
# network).
RECONCILE_PREFIX = "reconcile."

ACTIONS = (DESKTOP_LAUNCH, DESKTOP_DELETE, DESKTOP_EXTEND, DESKTOP_SAVE_IMAGE, DATA_ATTACH,
           DATA_DETACH, DATA_GRANT, DATA_REVOKE, RESULTS_SNAPSHOT, RESULTS_SHARE,
           NETWORK_GROUP_CREATE, NETWORK_GROUP_SYNC, NETWORK_GROUP_DELETE,
           PUBLIC_IP_ALLOCATE, PUBLIC_IP_ASSOCIATE, PUBLIC_IP_RELEASE,
           PUBLIC_IP_DISASSOCIATE)
# The golden-image catalog (services/catalog.py).
IMAGE_CATALOG = "image.catalog"          # an image marked, unmarked or its entry edited
ACTIONS += (IMAGE_CATALOG,)
# Admin changes (services/quotas.py, services/profiles_admin.py).
QUOTA_SET = "quota.set"                  # a project's limit (keystone or nova)
QUOTA_DEFAULT_SET = "quota.default_set"  # a default (registered) limit
PROFILE_CREATE = "profile.create"
PROFILE_RETIRE = "profile.retire"        # hidden from launch, kept for its desktops
PROFILE_DELETE = "profile.delete"
ACTIONS += (QUOTA_SET, QUOTA_DEFAULT_SET, PROFILE_CREATE, PROFILE_RETIRE, PROFILE_DELETE)
# Ownership, sharing and support access (services/access.py, sharing.py,
# desktop_actions.py).
DESKTOP_START = "desktop.start"
DESKTOP_STOP = "desktop.stop"
DESKTOP_REBOOT = "desktop.reboot"
DESKTOP_SHELVE = "desktop.shelve"
DESKTOP_UNSHELVE = "desktop.unshelve"
DESKTOP_RENAME = "desktop.rename"
DESKTOP_ACCESS = "desktop.access"        # refused: the user's level does not allow it
CONSOLE_OPEN = "console.open"            # mode control / view / support
CONSOLE_SUPPORT = "console.support"      # a support user gave a reason to open it
SHARE_GRANT = "share.grant"
SHARE_REVOKE = "share.revoke"
ACTIONS += (DESKTOP_START, DESKTOP_STOP, DESKTOP_REBOOT, DESKTOP_SHELVE, DESKTOP_UNSHELVE,
            DESKTOP_RENAME, DESKTOP_ACCESS, CONSOLE_OPEN, CONSOLE_SUPPORT, SHARE_GRANT,
            SHARE_REVOKE)
# My storage and Boost (services/home_storage.py, services/boost.py).
STORAGE_CREATE = "storage.create"        # a user's personal volume made
STORAGE_MOVE = "storage.move"            # moved to another of the user's desktops
STORAGE_ATTACH = "storage.attach"        # attached to a desktop (one nova call)
STORAGE_DETACH = "storage.detach"        # detached from a desktop (one nova call)
DESKTOP_BOOST = "desktop.boost"          # resized to a bigger profile
DESKTOP_BOOST_RETURN = "desktop.boost_return"   # asked back to its own profile
ACTIONS += (STORAGE_CREATE, STORAGE_MOVE, STORAGE_ATTACH, STORAGE_DETACH, DESKTOP_BOOST,
            DESKTOP_BOOST_RETURN)
# Persistent desktops' archives (services/archives.py, archive_sweep.py).
ARCHIVE_CREATE = "archive.create"        # a desktop archived at its expiry (volume kept)
ARCHIVE_BACKUP = "archive.backup"        # its volume backed up, then deleted
ARCHIVE_RESTORE = "archive.restore"      # a new desktop booted from an archive
ARCHIVE_DELETE = "archive.delete"        # by its owner, at archive_days, or an orphan
ACTIONS += (ARCHIVE_CREATE, ARCHIVE_BACKUP, ARCHIVE_RESTORE, ARCHIVE_DELETE)
ERROR_MAX = 300


def event(ctx, action, target_id="", target_name="", result=OK, **details):
    """Emit one audit event; never raises (auditing must not break the action)."""
    record = {
        "time": desktops.format_expiry(desktops.utcnow()),
        "actor": "operator" if ctx.operator else "user",
        "user_id": ctx.user_id or "",
        "user": ctx.username or "",
        "project_id": ctx.project_id or details.pop("project_id", "") or "",
        "action": action,
        "target_id": target_id or "",
        "target_name": target_name or "",
        "result": result,
        "request_id": getattr(ctx, "request_id", "") or "",
        "source_ip": getattr(ctx, "source_ip", "") or "",
    }
    record.update({key: value for key, value in details.items() if value is not None})
    try:
        AUDIT.info(json.dumps(record, sort_keys=True, default=str))
    except Exception:  # a broken handler must not turn an action into an error
        logging.getLogger(__name__).exception("audit event %s not written", action)
    return record


def error_text(exc):
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX]


class Pending:
    """The event of an action under way: what it learns (the target, details) is set
    on it; ``outcome()`` emits it once the action is over."""

    def __init__(self, target_id="", target_name="", details=None):
        self.target_id = target_id
        self.target_name = target_name
        self.details = dict(details or {})


@contextlib.contextmanager
def outcome(ctx, action, target_id="", target_name="", refusals=(), **details):
    """Run an action and emit its event: ``ok`` when the block returns, ``refused`` when
    it raises one of ``refusals``, ``failed`` on any other exception (re-raised)."""
    pending = Pending(target_id, target_name, details)
    try:
        yield pending
    except Exception as exc:
        result = REFUSED if refusals and isinstance(exc, refusals) else FAILED
        event(ctx, action, pending.target_id, pending.target_name, result,
              error=error_text(exc), **pending.details)
        raise
    event(ctx, action, pending.target_id, pending.target_name, OK, **pending.details)
