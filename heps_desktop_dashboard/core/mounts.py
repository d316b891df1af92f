"""Share-mount plans: how an experiment's Manila shares reach a desktop.

The ONE interface for both mount modes (``HEPS_DESKTOPS['share_mount_mode']``):

``virtiofs``
    nova share attachments (compute microversion 2.97): the raw and results shares are
    attached to the stopped server and appear in the guest as virtiofs filesystems with
    the tags ``heps-raw`` / ``heps-results``. The guest needs no route to the storage
    network. nova itself grants the *compute host* ``rw`` access on Manila for every
    attachment (the 2.97 API has no access level), so ``ro`` for raw data is enforced by
    the guest's mount options only.
``access-rule``
    a Manila ``ip`` access rule for the desktop's fixed address per share (raw ``ro``,
    results ``rw``, enforced by Manila) and cloud-init user-data that mounts the NFS
    exports.

Either way the data is at ``/data/raw`` (read-only) and ``/data/results`` (read-write).

Plain Python: no Django, no clients. Views and the service layer
(``desktops/experiments.py``) turn the reason codes of ``MountRefused`` into
translated messages.

Where the state lives (the plugin keeps no database):

* on the server (nova metadata): ``heps:data_mode``, ``heps:data_state`` and one
  ``heps:mount:<kind>`` per share, ``"<fstype> <source> <path> <level> <share id>"``
  (``source`` is the virtiofs tag or the NFS export), which the guest and the
  "Experiment data" tab read;
* on Manila: access rules created by the plugin carry the metadata
  ``heps:desktop=<server id>`` (and ``heps:kind``, ``heps:experiment``), so the rules
  of a desktop are found with one filtered list per share, and orphans are found by
  looking up the servers they name.
"""

import dataclasses
import json
import re

from heps_desktop_dashboard import exceptions

MODE_VIRTIOFS = "virtiofs"
MODE_ACCESS_RULE = "access-rule"
MODES = (MODE_VIRTIOFS, MODE_ACCESS_RULE)

KIND_RAW = "raw"
KIND_RESULTS = "results"
KINDS = (KIND_RAW, KIND_RESULTS)

# Share metadata (the experiment convention, see README).
SHARE_META_EXPERIMENT = "heps:experiment"
SHARE_META_KIND = "heps:kind"

MOUNT_PATHS = {KIND_RAW: "/data/raw", KIND_RESULTS: "/data/results"}
DEFAULT_LEVELS = {KIND_RAW: "ro", KIND_RESULTS: "rw"}
# Raw data is never writable from a desktop, whatever a request asks for.
ALLOWED_LEVELS = {KIND_RAW: ("ro",), KIND_RESULTS: ("rw", "ro")}
VIRTIOFS_TAGS = {KIND_RAW: "heps-raw", KIND_RESULTS: "heps-results"}
# What each mode can mount: nova's share mappings speak NFS and CephFS; the cloud-init
# mounts of the access-rule mode use ``ip`` rules, which only make sense for NFS.
PROTOCOLS = {MODE_VIRTIOFS: ("NFS", "CEPHFS"), MODE_ACCESS_RULE: ("NFS",)}
FSTYPES = {MODE_VIRTIOFS: "virtiofs", MODE_ACCESS_RULE: "nfs"}
MOUNTABLE_STATUS = "available"

# Server metadata.
META_DATA_MODE = "heps:data_mode"
META_DATA_STATE = "heps:data_state"
META_DATA_ERROR = "heps:data_error"
META_MOUNT_PREFIX = "heps:mount:"
METADATA_VALUE_MAX = 255

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
TASK_ATTACHING_DATA = "heps_attaching_data"
TASK_DETACHING_DATA = "heps_detaching_data"

# Manila access-rule metadata.
RULE_META_DESKTOP = "heps:desktop"
RULE_META_KIND = "heps:kind"
RULE_META_EXPERIMENT = "heps:experiment"

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

EXPERIMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")

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


@dataclasses.dataclass(frozen=True)
class Share:
    """What the plugin needs of a Manila share."""

    id: str
    name: str
    project_id: str
    status: str
    protocol: str
    size: int
    experiment: str = ""
    kind: str = ""
    exports: tuple = ()
    is_public: bool = False
    snapshot_support: bool = False
    create_from_snapshot_support: bool = False
    description: str = ""

    @classmethod
    def from_api(cls, info, exports=()):
        """From a Manila share (its JSON dict) and its export paths (preferred first)."""
        metadata = info.get("metadata") or {}
        return cls(
            id=info["id"],
            name=info.get("name") or info["id"],
            project_id=info.get("project_id") or "",
            status=(info.get("status") or "").lower(),
            protocol=(info.get("share_proto") or "").upper(),
            size=int(info.get("size") or 0),
            experiment=str(metadata.get(SHARE_META_EXPERIMENT) or ""),
            kind=str(metadata.get(SHARE_META_KIND) or ""),
            exports=tuple(exports),
            is_public=bool(info.get("is_public")),
            snapshot_support=_true(info.get("snapshot_support")),
            create_from_snapshot_support=_true(info.get("create_share_from_snapshot_support")),
            description=info.get("description") or "",
        )

    @property
    def display_name(self):
        return self.name or self.id


def _true(value):
    return value is True or str(value).lower() == "true"


def export_paths(export_locations):
    """Manila export locations (dicts) as paths, preferred first, admin-only ones out."""
    usable = [loc for loc in export_locations or ()
              if loc.get("path") and not loc.get("is_admin_only")]
    usable.sort(key=lambda loc: not loc.get("preferred"))
    return tuple(loc["path"] for loc in usable)


@dataclasses.dataclass(frozen=True)
class Experiment:
    """An experiment of the project: its raw-data share and its results share."""

    id: str
    raw: Share | None = None
    results: Share | None = None
    problems: tuple = ()

    @property
    def shares(self):
        return tuple(share for share in (self.raw, self.results) if share is not None)

    def share(self, kind):
        return {KIND_RAW: self.raw, KIND_RESULTS: self.results}[kind]


def group_experiments(shares, project_id):
    """The project's experiments from its shares (``heps:experiment`` + ``heps:kind``).

    Shares of other projects (public ones are listed by Manila too) and shares without
    a valid experiment id or kind are left out. An experiment with two raw (or two
    results) shares is kept with the problem ``duplicate``: which one to mount would
    be a guess, so planning refuses it.
    """
    found = {}
    for share in shares:
        if share.project_id != project_id:
            continue
        if share.kind not in KINDS or not EXPERIMENT_RE.match(share.experiment or ""):
            continue
        entry = found.setdefault(share.experiment, {"problems": []})
        if share.kind in entry:
            entry["problems"].append(DUPLICATE)
            continue
        entry[share.kind] = share
    return sorted(
        (Experiment(id=exp_id, raw=entry.get(KIND_RAW), results=entry.get(KIND_RESULTS),
                    problems=tuple(dict.fromkeys(entry["problems"])))
         for exp_id, entry in found.items()),
        key=lambda exp: exp.id,
    )


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

    def user_data(self):
        return build_user_data(self.mode, self.grants, self.experiment_id)


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
        if len(grant.metadata_value()) > METADATA_VALUE_MAX or any(
                ch.isspace() for ch in source):
            raise MountRefused(TOO_LONG, share)
        grants.append(grant)
    return MountPlan(mode=mode, experiment_id=experiment.id, grants=tuple(grants))


# --- cloud-init -------------------------------------------------------------------

def _unit_name(path):
    # systemd's path escaping for the fixed, plain paths used here: /data/raw -> data-raw
    return path.strip("/").replace("/", "-")


def _mount_units(grant):
    """(path, content) of the systemd units mounting one grant in the guest."""
    name = _unit_name(grant.path)
    options = [grant.level, "nofail"]
    unit = ["[Unit]", f"Description=HEPS experiment data ({grant.kind}, {grant.level})"]
    if grant.fstype == "nfs":
        options.append("_netdev")
        unit += ["Wants=network-online.target", "After=network-online.target"]
    mount = unit + ["", "[Mount]", f"What={grant.source}", f"Where={grant.path}",
                    f"Type={grant.fstype}", f"Options={','.join(options)}", "",
                    "[Install]", "WantedBy=multi-user.target", ""]
    files = [(f"/etc/systemd/system/{name}.mount", "\n".join(mount))]
    enable = f"{name}.mount"
    if grant.fstype == "nfs":
        # The access rule may still be applying at first boot: mount on first access.
        automount = ["[Unit]", f"Description=HEPS experiment data ({grant.kind}) on demand",
                     "", "[Automount]", f"Where={grant.path}", "TimeoutIdleSec=0", "",
                     "[Install]", "WantedBy=multi-user.target", ""]
        files.append((f"/etc/systemd/system/{name}.automount", "\n".join(automount)))
        enable = f"{name}.automount"
    return files, enable


def virtiofs_placeholder_grants():
    """Grants for the fixed virtiofs tags with no share behind them yet.

    A desktop launched in virtiofs mode gets units for both tags (with ``nofail``), so
    an experiment attached later is mounted at the next boot: attaching needs a
    stop/start anyway.
    """
    return tuple(Grant(kind=kind, share_id="", share_name="", level=DEFAULT_LEVELS[kind],
                       path=MOUNT_PATHS[kind], fstype=FSTYPES[MODE_VIRTIOFS],
                       source=VIRTIOFS_TAGS[kind]) for kind in KINDS)


def build_user_data(mode, grants, experiment_id=""):
    """cloud-config mounting ``grants`` at their paths (systemd mount units).

    Units rather than cloud-init's ``mounts:`` module: that module rewrites a bare
    virtiofs tag into ``/dev/<tag>`` on older cloud-init releases, and units give the
    same ro/rw options for both modes. JSON strings are valid YAML scalars, so every
    value is quoted with ``json.dumps``.
    """
    check_mode(mode)
    lines = ["#cloud-config",
             "# Experiment data mounted by heps-desktop-dashboard "
             f"({mode} mode{', experiment ' + experiment_id if experiment_id else ''}).",
             "write_files:"]
    enable = []
    for grant in grants:
        files, unit = _mount_units(grant)
        enable.append(unit)
        for path, content in files:
            lines += [f"  - path: {json.dumps(path)}", "    permissions: \"0644\"",
                      f"    content: {json.dumps(content)}"]
    lines.append("runcmd:")
    lines.append("  - " + json.dumps(["mkdir", "-p"] + [g.path for g in grants]))
    lines.append("  - " + json.dumps(["systemctl", "daemon-reload"]))
    lines.append("  - " + json.dumps(["systemctl", "enable", "--now"] + enable))
    return "\n".join(lines) + "\n"


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
        """What a user runs in the desktop to mount this by hand."""
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


# --- the next step of a transition -----------------------------------------------
#
# The steps that need nova to finish something (boot, stop, start, the share grant)
# are not waited for inside a web request: each call of next_step() looks at what
# the server and Manila say now and names the one action to take, and the service
# layer runs it. Every action is idempotent, so two browser tabs driving the same
# desktop cannot do harm (nova answers 409 to the second stop or attach).

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
    wanted = data.share_ids
    attaching = data.state in ATTACHING_STATES
    if data.mode == MODE_VIRTIOFS:
        attachments = attachments or {}
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
    if data.mode == MODE_ACCESS_RULE:
        rules = rules or {}
        if attaching:
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
        present = tuple(sid for sid, states in rules.items()
                        if any(st not in RULE_GOING for st in states))
        if present:
            return Step(DENY, share_ids=present)
        if any(states for states in rules.values()):
            return Step(WAIT)
        return Step(DONE)
    return Step(FAIL, reason="mode")
