"""The audit trail: one JSON object per event on the logger ``heps_desktops.audit``.

Who (user, project, operator or user), what (action, target id and name), the result,
and where from (request id, source IP) — for every launch, action, console open, share
grant, experiment-data grant/revoke, extend, admin change and reconciler step. A handler
with ``format: "%(message)s"`` writes JSON lines (README: Audit trail).
"""

import json
import logging

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops

AUDIT = logging.getLogger(names.AUDIT_LOGGER)

OK = "ok"
FAILED = "failed"
REFUSED = "refused"


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
