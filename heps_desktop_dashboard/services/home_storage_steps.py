"""The reconciler's part of My storage: each personal volume is moved one nova call per
pass towards the desktop it belongs on.

Where it belongs: the desktop its owner moved it to, unless the owner launched a newer
one since; else the owner's newest running desktop. Only desktops of the volume's own
user (Cinder's ``user_id``) in its own project are ever candidates: a volume whose
metadata was edited by hand is never attached to anyone else's desktop.
"""

import dataclasses
import logging

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import home_storage

LOG = logging.getLogger(__name__)

ATTACH = "attach"
DETACH = "detach"


@dataclasses.dataclass(frozen=True)
class Step:
    action: str          # ATTACH, DETACH
    home: object         # home_storage.Home
    server_id: str
    why: str


def _created(server):
    try:
        return desktops.parse_expiry(getattr(server, "created", None))
    except desktops.InvalidDesktopMetadata:
        return None


def _usable(server):
    metadata = getattr(server, "metadata", None) or {}
    return (str(getattr(server, "status", "")).upper() in home_storage.IDLE
            and not getattr(server, "OS-EXT-STS:task_state", None)
            and names.META_REVOKING not in metadata)


def candidates(home, servers):
    """The owner's running desktops in the volume's project, newest first."""
    found = [s for s in servers if str(getattr(s, "user_id", "")) == home.user_id
             and str(getattr(s, "tenant_id", "")) == home.project_id and _usable(s)
             and _created(s) is not None]
    return sorted(found, key=_created, reverse=True)


def target(home, servers):
    """The desktop ``home`` belongs on now, or None (no running desktop)."""
    found = candidates(home, servers)
    if not found:
        return None
    if home.wanted:
        wanted = next((s for s in found if s.id == home.wanted), None)
        moved = desktops.parse_expiry(home.wanted_at)
        if wanted is not None and not any(_created(s) > moved for s in found):
            return wanted
    return found[0]


def _belongs(home, server):
    """Whether a desktop the volume is attached to is one of its owner's, alive."""
    return (server is not None and str(getattr(server, "user_id", "")) == home.user_id
            and str(getattr(server, "tenant_id", "")) == home.project_id
            and names.META_REVOKING not in (getattr(server, "metadata", None) or {})
            and getattr(server, "OS-EXT-STS:task_state", None) != "deleting")


def next_step(home, servers_by_id):
    """The one step that moves ``home`` on, or None."""
    if home.busy or home.status not in ("available", "in-use"):
        return None
    for server_id in home.attached_to:
        if not _belongs(home, servers_by_id.get(server_id)):
            return Step(DETACH, home, server_id, "attached to a server that is not (any "
                        "more) one of its owner's desktops")
    goal = target(home, list(servers_by_id.values()))
    if home.attached_to:
        current = home.attached_to[0]
        if goal is not None and goal.id != current:
            return Step(DETACH, home, current, f"belongs on desktop {goal.id} now")
        return None
    if goal is not None:
        return Step(ATTACH, home, goal.id, "the owner's "
                    + ("chosen" if goal.id == home.wanted else "newest running") + " desktop")
    return None


def steps(ctx, servers_by_id):
    """Every step of this pass: one per personal volume (the oldest of a user's; a
    duplicate made by a race is reported, never attached or deleted)."""
    found = []
    for (_project, _user), homes in sorted(home_storage.all_homes(ctx).items()):
        step = next_step(homes[0], servers_by_id)
        if step is not None:
            found.append(step)
    return found


def apply(ctx, step, servers_by_id):
    if step.action == DETACH:
        home_storage.detach(ctx, step.home, step.server_id)
    else:
        home_storage.attach(ctx, step.home, servers_by_id[step.server_id])
