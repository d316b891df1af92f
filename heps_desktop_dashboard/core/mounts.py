"""Share-mount plans: how an experiment's Manila shares reach a desktop, in either mode.

``virtiofs``: nova share attachments (2.97) on the stopped server, tags ``heps-raw`` /
``heps-results`` in the guest (nova gives the compute host rw: raw data is read-only
through the guest's mount options). ``access-rule``: a Manila ``ip`` rule per share for
the desktop's fixed address (raw ro, results rw, enforced by Manila) and cloud-init
mounts. Either way the data is at /data/raw (ro) and /data/results (rw).

State lives on the server (``heps:data_*``, one ``heps:mount:<kind>`` per share) and on
Manila (rules tagged ``heps:desktop=<server id>``). Plain Python.
"""

import dataclasses
import re

from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops

MODE_VIRTIOFS = "virtiofs"
MODE_ACCESS_RULE = "access-rule"
MODES = (MODE_VIRTIOFS, MODE_ACCESS_RULE)

KIND_RAW = "raw"
KIND_RESULTS = "results"
KINDS = (KIND_RAW, KIND_RESULTS)

# Share metadata (the experiment convention, see README).
SHARE_META_EXPERIMENT = names.SHARE_META_EXPERIMENT
SHARE_META_KIND = names.SHARE_META_KIND

MOUNT_PATHS = {KIND_RAW: "/data/raw", KIND_RESULTS: "/data/results"}
DEFAULT_LEVELS = {KIND_RAW: "ro", KIND_RESULTS: "rw"}
# Raw data is never writable from a desktop, whatever a request asks for.
ALLOWED_LEVELS = {KIND_RAW: ("ro",), KIND_RESULTS: ("rw", "ro")}
VIRTIOFS_TAGS = {KIND_RAW: names.VIRTIOFS_TAG_RAW, KIND_RESULTS: names.VIRTIOFS_TAG_RESULTS}
# What each mode can mount: nova's share mappings speak NFS and CephFS; the cloud-init
# mounts of the access-rule mode use ``ip`` rules, which only make sense for NFS.
PROTOCOLS = {MODE_VIRTIOFS: ("NFS", "CEPHFS"), MODE_ACCESS_RULE: ("NFS",)}
FSTYPES = {MODE_VIRTIOFS: "virtiofs", MODE_ACCESS_RULE: "nfs"}
MOUNTABLE_STATUS = "available"
# What a mount command may contain: export paths, tags, mount points (no shell syntax).
SAFE_WORD = re.compile(r"[A-Za-z0-9._:/@\[\]-]+")

# Server metadata.
META_DATA_MODE = names.META_DATA_MODE
META_DATA_STATE = names.META_DATA_STATE
META_DATA_ERROR = names.META_DATA_ERROR
META_MOUNT_PREFIX = names.META_MOUNT_PREFIX

STATE_ATTACHING = "attaching"
# ... and the plugin stopped the desktop for it, so it starts it again afterwards.
STATE_ATTACHING_RESTART = "attaching-restart"
STATE_ATTACHED = "attached"
STATE_DETACHING = "detaching"
STATE_DETACHING_RESTART = "detaching-restart"
STATE_ERROR = "error"
STATES = (STATE_ATTACHING, STATE_ATTACHING_RESTART, STATE_ATTACHED, STATE_DETACHING,
          STATE_DETACHING_RESTART, STATE_ERROR)
ATTACHING_STATES = (STATE_ATTACHING, STATE_ATTACHING_RESTART)
DETACHING_STATES = (STATE_DETACHING, STATE_DETACHING_RESTART)
TRANSITIONAL_STATES = ATTACHING_STATES + DETACHING_STATES

# What the Desktops table shows as the task of a desktop whose data is being attached
# or detached while nova itself has no task running (keeps the row polling).
TASK_ATTACHING_DATA = names.TASK_ATTACHING_DATA
TASK_DETACHING_DATA = names.TASK_DETACHING_DATA

# Manila access-rule metadata.
RULE_META_DESKTOP = names.RULE_META_DESKTOP
RULE_META_KIND = names.RULE_META_KIND
RULE_META_EXPERIMENT = names.RULE_META_EXPERIMENT

# Manila access-rule states (2.28+): still applying, gone soon, or broken.
RULE_ACTIVE = "active"
RULE_PENDING = ("queued_to_apply", "applying", "new")
RULE_GOING = ("queued_to_deny", "denying")
RULE_ERROR = "error"

# nova share-mapping status (2.97).
ATTACHMENT_ATTACHING = "attaching"
ATTACHMENT_DETACHING = "detaching"
ATTACHMENT_ACTIVE = "active"
ATTACHMENT_INACTIVE = "inactive"
ATTACHMENT_ERROR = "error"


# Reason codes of MountRefused.
OTHER_PROJECT = "other-project"
BAD_STATUS = "status"
PROTOCOL = "protocol"
NO_EXPORT = "no-export"
NO_RAW = "no-raw"
DUPLICATE = "duplicate"
LEVEL = "level"
BAD_MODE = "mode"
UNKNOWN_EXPERIMENT = "unknown-experiment"
TOO_LONG = "too-long"
ALREADY_ATTACHED = "already-attached"
BUSY = "busy"
NOTHING_ATTACHED = "nothing-attached"


class MountRefused(exceptions.DesktopError, ValueError):
    """A plan that must not be applied; nothing has been granted when this is raised."""

    def __init__(self, reason, share=None, detail=""):
        self.reason = reason
        self.share = share
        self.detail = detail
        name = share.name if share is not None else ""
        super().__init__(f"{reason}: {name} {detail}".strip())



def check_mode(mode):
    if mode not in MODES:
        raise MountRefused(BAD_MODE, detail=str(mode))
    return mode


def check_share(share, *, project_id, mode):
    """Raise MountRefused unless ``share`` may be mounted on a desktop of ``project_id``."""
    if share.project_id != project_id:
        raise MountRefused(OTHER_PROJECT, share)
    if share.status != MOUNTABLE_STATUS:
        raise MountRefused(BAD_STATUS, share, share.status)
    if share.protocol not in PROTOCOLS[mode]:
        raise MountRefused(PROTOCOL, share, share.protocol)
    if mode == MODE_ACCESS_RULE and not share.exports:
        raise MountRefused(NO_EXPORT, share)


def check_level(kind, level):
    if level not in ALLOWED_LEVELS[kind]:
        raise MountRefused(LEVEL, detail=f"{kind}={level}")
    return level


@dataclasses.dataclass(frozen=True)
class Grant:
    """One share made available to a desktop: an access rule or a share attachment."""

    kind: str
    share_id: str
    share_name: str
    level: str
    path: str
    fstype: str
    source: str  # the virtiofs tag or the NFS export

    def metadata_value(self):
        return f"{self.fstype} {self.source} {self.path} {self.level} {self.share_id}"

    @property
    def tag(self):
        return self.source if self.fstype == FSTYPES[MODE_VIRTIOFS] else ""


@dataclasses.dataclass(frozen=True)
class MountPlan:
    mode: str
    experiment_id: str
    grants: tuple

    def grant(self, kind):
        return next((g for g in self.grants if g.kind == kind), None)

    def server_metadata(self, state=STATE_ATTACHING):
        """The server metadata recording this plan (desired mounts and progress)."""
        metadata = {META_DATA_MODE: self.mode, META_DATA_STATE: state}
        for grant in self.grants:
            metadata[META_MOUNT_PREFIX + grant.kind] = grant.metadata_value()
        return metadata

    def rule_metadata(self, desktop_id, grant):
        """Metadata of the Manila access rule a grant becomes in access-rule mode."""
        return {RULE_META_DESKTOP: desktop_id, RULE_META_KIND: grant.kind,
                RULE_META_EXPERIMENT: self.experiment_id}

    def attachment_body(self, grant):
        """``POST /servers/{id}/shares`` body of a grant in virtiofs mode."""
        return {"share": {"share_id": grant.share_id, "tag": grant.tag}}


def plan(mode, experiment, *, project_id, levels=None):
    """The mount plan of ``experiment`` on a desktop of ``project_id``.

    ``levels`` may narrow the defaults (results read-only); raw data can never be
    read-write. Every share of the experiment must be mountable, or nothing is
    planned: an experiment is granted whole or not at all.
    """
    check_mode(mode)
    if experiment is None:
        raise MountRefused(UNKNOWN_EXPERIMENT)
    if DUPLICATE in experiment.problems:
        raise MountRefused(DUPLICATE, detail=experiment.id)
    if experiment.raw is None:
        raise MountRefused(NO_RAW, detail=experiment.id)
    wanted = dict(DEFAULT_LEVELS)
    for kind, level in (levels or {}).items():
        if kind not in KINDS:
            raise MountRefused(LEVEL, detail=f"{kind}={level}")
        wanted[kind] = check_level(kind, level)
    grants = []
    for kind in KINDS:
        share = experiment.share(kind)
        if share is None:
            continue
        check_share(share, project_id=project_id, mode=mode)
        source = VIRTIOFS_TAGS[kind] if mode == MODE_VIRTIOFS else share.exports[0]
        grant = Grant(kind=kind, share_id=share.id, share_name=share.display_name,
                      level=wanted[kind], path=MOUNT_PATHS[kind], fstype=FSTYPES[mode],
                      source=source)
        if len(grant.metadata_value()) > desktops.METADATA_VALUE_MAX or any(
                ch.isspace() for ch in source):
            raise MountRefused(TOO_LONG, share)
        grants.append(grant)
    return MountPlan(mode=mode, experiment_id=experiment.id, grants=tuple(grants))


# --- what a server says about its data ------------------------------------------

@dataclasses.dataclass(frozen=True)
class Mount:
    kind: str
    fstype: str
    source: str
    path: str
    level: str
    share_id: str

    @property
    def tag(self):
        return self.source if self.fstype == FSTYPES[MODE_VIRTIOFS] else ""

    def mount_command(self):
        """What a user runs in the desktop to mount this by hand, or "" when a field
        (read from user-editable metadata) is not a plain path: never a shell snippet."""
        fields = (self.fstype, self.source, self.path, self.level)
        if not all(SAFE_WORD.fullmatch(field or "") for field in fields):
            return ""
        return f"sudo mkdir -p {self.path} && sudo mount -t {self.fstype} -o {self.level} " \
               f"{self.source} {self.path}"


@dataclasses.dataclass(frozen=True)
class DataState:
    """The experiment data of one desktop, read from its nova metadata."""

    mode: str = ""
    state: str = ""
    mounts: tuple = ()
    error: str = ""
    problems: tuple = ()

    @property
    def transitional(self):
        return self.state in TRANSITIONAL_STATES

    @property
    def restart(self):
        return self.state in (STATE_ATTACHING_RESTART, STATE_DETACHING_RESTART)

    @property
    def empty(self):
        return not self.state and not self.mounts

    def mount(self, kind):
        return next((m for m in self.mounts if m.kind == kind), None)

    @property
    def share_ids(self):
        return tuple(m.share_id for m in self.mounts)


def parse_mount(kind, value):
    parts = (value or "").split()
    if len(parts) != 5 or parts[3] not in ("ro", "rw") or kind not in KINDS:
        raise ValueError(f"malformed mount {kind!r}: {value!r}")
    fstype, source, path, level, share_id = parts
    return Mount(kind=kind, fstype=fstype, source=source, path=path, level=level,
                 share_id=share_id)


def read_data_state(metadata):
    """DataState of a server's metadata; malformed entries become ``problems``."""
    metadata = metadata if isinstance(metadata, dict) else {}
    mounts, problems = [], []
    for key, value in sorted(metadata.items()):
        if not key.startswith(META_MOUNT_PREFIX):
            continue
        try:
            mounts.append(parse_mount(key[len(META_MOUNT_PREFIX):], value))
        except ValueError:
            problems.append(key)
    state = metadata.get(META_DATA_STATE) or ""
    if state and state not in STATES:
        problems.append(META_DATA_STATE)
    mode = metadata.get(META_DATA_MODE) or ""
    if mode and mode not in MODES:
        problems.append(META_DATA_MODE)
    return DataState(mode=mode, state=state, mounts=tuple(mounts),
                     error=metadata.get(META_DATA_ERROR) or "", problems=tuple(problems))


# nova states in which nothing can move an attach/detach on (nova refuses metadata
# updates then): the row must not keep polling for it.
STUCK_SERVER_STATES = ("error", "shelved", "shelved_offloaded", "deleted", "soft_deleted")


def pseudo_task_state(metadata, status=""):
    """The task the Desktops table shows while experiment data is (de)attached, or None."""
    if (status or "").lower() in STUCK_SERVER_STATES:
        return None
    state = (metadata or {}).get(META_DATA_STATE) if isinstance(metadata, dict) else None
    if state in ATTACHING_STATES:
        return TASK_ATTACHING_DATA
    if state in DETACHING_STATES:
        return TASK_DETACHING_DATA
    return None


def data_metadata_keys(metadata):
    """Every plugin key about experiment data on a server (to remove on detach)."""
    return sorted(key for key in (metadata or {})
                  if key.startswith(META_MOUNT_PREFIX)
                  or key in (META_DATA_MODE, META_DATA_STATE, META_DATA_ERROR))


def fixed_address(addresses):
    """The desktop's first fixed IPv4 address from nova's ``addresses``, or ""."""
    for entries in (addresses or {}).values():
        for entry in entries or ():
            if (isinstance(entry, dict) and entry.get("OS-EXT-IPS:type", "fixed") == "fixed"
                    and entry.get("version", 4) == 4 and entry.get("addr")):
                return entry["addr"]
    return ""

