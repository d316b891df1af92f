"""My storage: one personal Cinder volume per user and project, attached to the user's
newest running desktop (or the one they moved it to) and never deleted with a desktop.

The owner of a volume is Cinder's ``user_id`` (set by Cinder when the user creates it),
never its metadata, which every member of the project can edit. Web requests create the
volume and take the first step of a move; the reconciler's part
(services/home_storage_steps.py) attaches and detaches, one nova call per pass.
"""

import dataclasses
import logging
import re

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import audit

LOG = logging.getLogger(__name__)

IDLE = ("ACTIVE",)
BUSY_VOLUME = ("creating", "attaching", "detaching", "reserved", "downloading",
               "maintenance", "backing-up", "restoring-backup", "extending", "deleting")
# What nova's server detail says is attached (no extra call).
VOLUMES_ATTACHED = "os-extended-volumes:volumes_attached"
_NAME_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

Unavailable = api.cinder.BlockStorageUnavailable

# Refusal codes (HomeRefused.code): the panel words them in the user's language.
NO_STORAGE = "no_storage"
QUOTA = "quota"
NOT_READY = "not_ready"
DESKTOP_STATE = "desktop_state"


class HomeRefused(Exception):
    """Nothing was changed: ``code`` says why, ``params`` the numbers."""

    def __init__(self, code, message, **params):
        super().__init__(message)
        self.code = code
        self.params = params


@dataclasses.dataclass(frozen=True)
class Home:
    """A personal volume as the plugin reads it."""

    id: str
    name: str
    size: int
    status: str
    user_id: str
    project_id: str
    created: str
    attached_to: tuple      # server ids
    wanted: str = ""        # the desktop the owner moved it to
    wanted_at: str = ""     # when (UTC text)

    @property
    def busy(self):
        return self.status in BUSY_VOLUME


def is_home(volume):
    metadata = volume.get("metadata") or {}
    return metadata.get(names.VOLUME_META_KIND) == names.VOLUME_KIND_HOME


def _pointer(metadata):
    parts = str((metadata or {}).get(names.VOLUME_META_HOME_DESKTOP) or "").split(" ")
    if len(parts) != 2:
        return "", ""
    try:
        desktops.parse_expiry(parts[1])
    except desktops.InvalidDesktopMetadata:
        return "", ""
    return parts[0], parts[1]


def home_of(volume, project_id=None):
    wanted, wanted_at = _pointer(volume.get("metadata"))
    return Home(
        id=volume["id"], name=volume.get("name") or "", size=int(volume.get("size") or 0),
        status=str(volume.get("status") or ""), user_id=str(volume.get("user_id") or ""),
        project_id=str(volume.get("os-vol-tenant-attr:tenant_id") or project_id or ""),
        created=str(volume.get("created_at") or ""),
        attached_to=tuple(a.get("server_id") for a in volume.get("attachments") or ()
                          if a.get("server_id")),
        wanted=wanted, wanted_at=wanted_at)


def _oldest_first(homes):
    return sorted(homes, key=lambda home: (home.created, home.id))


def homes_of_user(ctx, user_id=None):
    """The user's personal volumes in the context's project, oldest first (normally one;
    two only after a race). Ownership is Cinder's ``user_id``."""
    user_id = user_id or ctx.user_id
    if not api.cinder.in_catalog(ctx):
        raise Unavailable("block storage is not in the catalog")
    return _oldest_first(home_of(v, ctx.project_id) for v in api.cinder.volume_list(ctx)
                         if is_home(v) and str(v.get("user_id") or "") == user_id)


def find_home(ctx):
    """The user's personal volume in the context's project, or None."""
    found = homes_of_user(ctx)
    return found[0] if found else None


def all_homes(ctx):
    """Every personal volume of every project (operator), grouped:
    ``{(project id, user id): [Home, ...]}`` oldest first."""
    grouped = {}
    for volume in api.cinder.volume_list(ctx, {"all_tenants": 1}):
        if is_home(volume) and volume.get("user_id"):
            home = home_of(volume)
            grouped.setdefault((home.project_id, home.user_id), []).append(home)
    return {key: _oldest_first(value) for key, value in grouped.items()}


def volume_name(username):
    return names.HOME_VOLUME_PREFIX + (_NAME_SAFE.sub("-", username or "")[:64] or "user")


def _check_quota(ctx, size):
    usage = api.cinder.quota_usage(ctx)
    for resource, adds in (("volumes", 1), ("gigabytes", size)):
        item = usage.get(resource) or {}
        limit = item.get("limit")
        if limit is None or int(limit) < 0:
            continue
        used = int(item.get("in_use") or 0) + int(item.get("reserved") or 0)
        if used + adds > int(limit):
            raise HomeRefused(QUOTA, f"{resource} quota exceeded: {used} of {limit} used, "
                              f"{adds} more needed", resource=resource, used=used,
                              limit=int(limit), adds=adds)


def ensure_home(ctx):
    """The user's personal volume, created (``home_volume_gb``) when there is none.

    Returns ``(Home, created)``. HomeRefused (quota: nothing created), Unavailable
    (Cinder down or absent). Two requests racing make two volumes: the younger one is
    deleted again and the older one returned.
    """
    found = find_home(ctx)
    if found is not None:
        return found, False
    size = int(conf.get("home_volume_gb"))
    name = volume_name(ctx.username)
    with audit.outcome(ctx, audit.STORAGE_CREATE, target_name=name, refusals=(HomeRefused,),
                       size_gb=size) as pending:
        _check_quota(ctx, size)
        try:
            volume = api.cinder.volume_create(
                ctx, size=size, name=name, metadata={
                    names.VOLUME_META_KIND: names.VOLUME_KIND_HOME,
                    names.VOLUME_META_OWNER: ctx.user_id},
                description="My storage of " + (ctx.username or ctx.user_id))
        except api.cinder.OverLimit as exc:
            raise HomeRefused(QUOTA, str(exc), resource="gigabytes") from exc
        pending.target_id = volume["id"]
    homes = homes_of_user(ctx)
    if homes and homes[0].id != volume["id"]:
        _discard(ctx, volume["id"])
        return homes[0], False
    return home_of(volume, ctx.project_id), True


def _discard(ctx, volume_id):
    try:
        api.cinder.volume_delete(ctx, volume_id)
    except Exception as exc:  # still creating: the reconciler reports the duplicate
        LOG.warning("duplicate personal volume %s not deleted: %s", volume_id, exc)


# --- at launch ------------------------------------------------------------------------

def mount_user(ctx, persistent):
    """The user name whose home the new desktop's user-data mounts My storage at: for
    a persistent launch (the storage is made with it) or a user who has storage; ""
    otherwise or when Cinder cannot tell. Never raises."""
    if persistent:
        return ctx.username or ""
    try:
        return (ctx.username or "") if find_home(ctx) is not None else ""
    except Exception as exc:
        LOG.info("My storage unknown at launch: %s", type(exc).__name__)
        return ""


def after_persistent_launch(ctx):
    """The user's first persistent launch makes their storage (the reconciler attaches
    it). Never raises: a launch is not undone for it; the My storage tab offers the
    button again."""
    try:
        return ensure_home(ctx)[0]
    except Exception as exc:
        LOG.warning("My storage not created with the launch: %s", exc)
        return None


# --- what the panel shows (reads only) -------------------------------------------------

ABSENT = "absent"
DOWN = "down"


@dataclasses.dataclass(frozen=True)
class Overview:
    """My storage as the detail page shows it: ``available`` False (``reason`` ABSENT
    or DOWN) disables it; ``quota``: {"gigabytes"|"volumes": (in use, limit or None)}."""

    available: bool
    reason: str = ""
    home: object = None
    quota: dict = dataclasses.field(default_factory=dict)


def _quota_pairs(usage):
    found = {}
    for resource in ("gigabytes", "volumes"):
        item = usage.get(resource) or {}
        if "limit" in item:
            limit = int(item["limit"])
            found[resource] = (int(item.get("in_use") or 0), None if limit < 0 else limit)
    return found


def overview(ctx):
    """The user's storage in the context's project, and the project's volume quota."""
    if not api.cinder.in_catalog(ctx):
        return Overview(False, ABSENT)
    try:
        home = find_home(ctx)
    except Unavailable:
        return Overview(False, DOWN)
    try:
        quota = _quota_pairs(api.cinder.quota_usage(ctx))
    except Exception as exc:
        LOG.info("block-storage quota unreadable: %s", exc)
        quota = {}
    return Overview(True, "", home, quota)


# --- moving ---------------------------------------------------------------------------

def _pointer_value(server_id, now=None):
    return f"{server_id} {desktops.format_expiry(now or desktops.utcnow())}"


def move_here(ctx, desktop_id, now=None):
    """Move the owner's personal volume to ``desktop_id`` (one of the owner's desktops,
    running): the wish is recorded on the volume, and the first step taken (detach from
    the other desktop, or attach here). Returns the Home. AccessDenied, HomeRefused,
    Unavailable."""
    server = access.require(ctx, desktop_id, access.MANAGE)
    home = find_home(ctx)
    if home is None:
        raise HomeRefused(NO_STORAGE, "you have no personal storage in this project")
    with audit.outcome(ctx, audit.STORAGE_MOVE, home.id, home.name,
                       refusals=(HomeRefused,), desktop_id=server.id,
                       from_desktops=list(home.attached_to) or None):
        if str(getattr(server, "status", "")).upper() not in IDLE or getattr(
                server, "OS-EXT-STS:task_state", None):
            raise HomeRefused(DESKTOP_STATE, "the desktop is not running",
                              status=getattr(server, "status", ""))
        if home.status in ("error", "error_deleting") or home.busy and not home.attached_to:
            raise HomeRefused(NOT_READY, f"the storage is {home.status}", status=home.status)
        api.cinder.volume_set_metadata(ctx, home.id, {
            names.VOLUME_META_HOME_DESKTOP: _pointer_value(server.id, now)})
        first_step(ctx, home, server)
    return home


def first_step(ctx, home, server):
    """Detach from another desktop, or attach to ``server``; nothing when it is there
    already or the volume is busy (the reconciler goes on)."""
    if home.busy:
        return None
    others = [sid for sid in home.attached_to if sid != server.id]
    if others:
        detach(ctx, home, others[0])
        return "detach"
    if not home.attached_to:
        attach(ctx, home, server)
        return "attach"
    return None


def attach(ctx, home, server):
    with audit.outcome(ctx, audit.STORAGE_ATTACH, home.id, home.name,
                       project_id=home.project_id, desktop_id=server.id,
                       owner_id=home.user_id):
        api.nova_volumes.volume_attach(ctx, server.id, home.id)


def detach(ctx, home, server_id):
    with audit.outcome(ctx, audit.STORAGE_DETACH, home.id, home.name,
                       project_id=home.project_id, desktop_id=server_id,
                       owner_id=home.user_id):
        try:
            api.nova_volumes.volume_detach(ctx, server_id, home.id)
        except api.nova_volumes.NotFound:
            return


# --- the delete path ------------------------------------------------------------------

def release(ctx, server):
    """Detach every personal volume from ``server`` before it is deleted (services/
    revocation.py): the volumes nova's server detail lists, one Cinder read each to
    know which are personal. Never raises: nova's delete detaches what is left, and the volume
    is kept either way."""
    attached = [item.get("id") for item in getattr(server, VOLUMES_ATTACHED, None) or ()
                if isinstance(item, dict) and item.get("id")]
    released = []
    for volume_id in attached:
        try:
            volume = api.cinder.volume_get(ctx, volume_id)
            if not is_home(volume):
                continue
            detach(ctx, home_of(volume, getattr(server, "tenant_id", "")), server.id)
            released.append(volume["id"])
        except Exception as exc:
            LOG.warning("desktop %s: personal volume %s not detached before the delete: "
                        "%s", server.id, volume_id, exc)
    return released
