"""Experiments as Manila shares: a raw-data share and a results share per experiment,
found by their ``heps:experiment`` / ``heps:kind`` metadata. Plain Python."""

import dataclasses

from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core.mounts import DUPLICATE
from heps_desktop_dashboard.core.mounts import KIND_RAW
from heps_desktop_dashboard.core.mounts import KIND_RESULTS
from heps_desktop_dashboard.core.mounts import KINDS
from heps_desktop_dashboard.core.mounts import SHARE_META_EXPERIMENT
from heps_desktop_dashboard.core.mounts import SHARE_META_KIND


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
        if share.kind not in KINDS or not desktops.EXPERIMENT_RE.fullmatch(share.experiment or ""):
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

