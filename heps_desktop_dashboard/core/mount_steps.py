"""The next step of an experiment-data transition, decided from what nova and Manila
say now (plain Python). Every step is idempotent: two runners (a POST and the
reconciler, or two reconciler replicas) cannot do harm; nova's 409s are the locks."""

import dataclasses

from heps_desktop_dashboard.core.mounts import ATTACHING_STATES
from heps_desktop_dashboard.core.mounts import ATTACHMENT_ATTACHING
from heps_desktop_dashboard.core.mounts import ATTACHMENT_DETACHING
from heps_desktop_dashboard.core.mounts import ATTACHMENT_ERROR
from heps_desktop_dashboard.core.mounts import MODE_ACCESS_RULE
from heps_desktop_dashboard.core.mounts import MODE_VIRTIOFS
from heps_desktop_dashboard.core.mounts import RULE_ERROR
from heps_desktop_dashboard.core.mounts import RULE_GOING
from heps_desktop_dashboard.core.mounts import RULE_PENDING

WAIT = "wait"
STOP = "stop"
START = "start"
ATTACH = "attach"        # virtiofs: POST the missing share attachments
DETACH = "detach"        # virtiofs: DELETE the attachments
ALLOW = "allow"          # access-rule: create the missing rules
DENY = "deny"            # access-rule: delete the rules
DONE = "done"            # record the final state
FAIL = "fail"            # record the error state


@dataclasses.dataclass(frozen=True)
class Step:
    action: str
    share_ids: tuple = ()
    reason: str = ""
    restart: bool = False


def next_step(data, *, status, task_state, attachments=None, rules=None, address=""):
    """The next action for a desktop whose experiment data is in transition.

    ``status``/``task_state``: the nova server's (status upper or lower case).
    ``attachments``: {share_id: nova share-mapping status} (virtiofs).
    ``rules``: {share_id: [rule state, ...]} of this desktop's rules (access-rule).
    ``address``: the desktop's fixed address (access-rule).
    """
    status = (status or "").lower()
    if not data.transitional:
        return Step(DONE)
    if status == "error":
        return Step(FAIL, reason="server-error")
    if status in ("deleted", "soft_deleted") or task_state == "deleting":
        return Step(WAIT)
    if task_state or status in ("build", "reboot", "hard_reboot", "resize",
                                "verify_resize", "migrating", "rebuild"):
        return Step(WAIT)
    if data.mode == MODE_VIRTIOFS:
        return _virtiofs_step(data, status, attachments or {})
    if data.mode == MODE_ACCESS_RULE:
        return _access_rule_step(data, status, rules or {}, address)
    return Step(FAIL, reason="mode")


def _virtiofs_step(data, status, attachments):
    wanted = data.share_ids
    attaching = data.state in ATTACHING_STATES
    if any(st == ATTACHMENT_ERROR for sid, st in attachments.items() if sid in wanted):
        return Step(FAIL, reason="attachment-error")
    if any(st in (ATTACHMENT_ATTACHING, ATTACHMENT_DETACHING)
           for st in attachments.values()):
        return Step(WAIT)
    if attaching:
        missing = tuple(sid for sid in wanted if sid not in attachments)
    else:
        missing = tuple(sid for sid in wanted if sid in attachments)
    if missing:
        if status == "active":
            return Step(STOP, restart=True)
        if status == "shutoff":
            return Step(ATTACH if attaching else DETACH, share_ids=missing)
        if status in ("shelved", "shelved_offloaded", "suspended", "paused"):
            return Step(FAIL, reason=f"server-{status}")
        return Step(WAIT)
    if data.restart and status == "shutoff":
        return Step(START)
    return Step(DONE)


def _access_rule_step(data, status, rules, address):
    wanted = data.share_ids
    if data.state not in ATTACHING_STATES:
        present = tuple(sid for sid, states in rules.items()
                        if any(st not in RULE_GOING for st in states))
        if present:
            return Step(DENY, share_ids=present)
        if any(states for states in rules.values()):
            return Step(WAIT)
        return Step(DONE)
    states = [st for sid in wanted for st in rules.get(sid, ())]
    if RULE_ERROR in states:
        return Step(FAIL, reason="rule-error")
    if not address:
        if status in ("shelved_offloaded",):
            return Step(FAIL, reason="no-address")
        return Step(WAIT)
    missing = tuple(sid for sid in wanted
                    if not any(st != RULE_ERROR and st not in RULE_GOING
                               for st in rules.get(sid, ())))
    if missing:
        return Step(ALLOW, share_ids=missing)
    if any(st in RULE_PENDING for st in states):
        return Step(WAIT)
    return Step(DONE)
