"""Persistent desktops at launch: is Cinder there, what the root disk is (a nova block
device mapping), and the volume quota a launch or a restore needs.

A persistent desktop boots from a Cinder volume nova makes from the golden image
(``delete_on_termination`` false: the volume outlives the server and becomes the
archive at expiry, services/archives.py).
"""

import dataclasses
import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard import exceptions

LOG = logging.getLogger(__name__)

VOLUMES = "volumes"
GIGABYTES = "gigabytes"
# Cinder's absolute limits: (limit, in use) of each resource.
LIMIT_KEYS = {VOLUMES: ("maxTotalVolumes", "totalVolumesUsed"),
              GIGABYTES: ("maxTotalVolumeGigabytes", "totalGigabytesUsed")}
# Why the persistent option is off (BlockStorage.reason).
ABSENT = "absent"
DOWN = "down"


class QuotaExceeded(exceptions.DesktopError):
    """The project's volume quota cannot take the root volume; ``lines`` says which."""

    def __init__(self, lines):
        super().__init__(", ".join(line.resource for line in lines))
        self.lines = lines


class Unavailable(exceptions.DesktopError):
    """Block storage is absent or down: no persistent launch, no restore."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class QuotaLine:
    resource: str
    used: int
    limit: int | None       # None: unlimited
    needs: int = 0

    @property
    def over(self):
        return self.limit is not None and self.used + self.needs > self.limit


@dataclasses.dataclass(frozen=True)
class BlockStorage:
    """What the launch form knows of Cinder: usable or why not, and the quota."""

    available: bool
    reason: str = ""
    quota: dict = dataclasses.field(default_factory=dict)   # resource -> (used, limit)

    def over_quota(self, needs):
        lines = []
        for resource, amount in needs.items():
            used, limit = self.quota.get(resource, (0, None))
            line = QuotaLine(resource, used, limit, amount)
            if amount and line.over:
                lines.append(line)
        return lines


def _quota(limits):
    found = {}
    for resource, (limit_key, used_key) in LIMIT_KEYS.items():
        limit = limits.get(limit_key)
        if limit is None:
            continue
        limit = None if int(limit) < 0 else int(limit)
        found[resource] = (int(limits.get(used_key) or 0), limit)
    return found


def block_storage(ctx):
    """Cinder for the user's project: absent from the catalog or down means the
    persistent option is off; a refused limits read leaves the quota unknown."""
    if not api.cinder.in_catalog(ctx):
        return BlockStorage(False, ABSENT)
    try:
        limits = api.cinder.absolute_limits(ctx)
    except api.cinder.BlockStorageUnavailable as exc:
        LOG.info("Block storage unavailable: %s", exc)
        return BlockStorage(False, DOWN)
    except Exception as exc:  # e.g. a policy refusing /limits: Cinder still checks
        LOG.info("Block storage limits unreadable: %s", type(exc).__name__)
        return BlockStorage(True)
    return BlockStorage(True, quota=_quota(limits))


def needs(size_gb, new_volume=True):
    """What a launch adds to the volume quota (nothing when it boots an existing
    volume)."""
    return {VOLUMES: 1, GIGABYTES: int(size_gb)} if new_volume else {}


def choose(profile, asked):
    """Whether a launch is persistent: the user's choice where the setting allows it,
    else the profile's ``heps:persistent``."""
    if asked is None or not conf.get("persistent_override"):
        return bool(profile.persistent)
    return bool(asked)


def check(ctx, size_gb, new_volume=True):
    """Raise Unavailable or QuotaExceeded before anything is created."""
    storage = block_storage(ctx)
    if not storage.available:
        raise Unavailable(storage.reason)
    over = storage.over_quota(needs(size_gb, new_volume))
    if over:
        raise QuotaExceeded(over)
    return storage


def image_mapping(image_id, size_gb, volume_type=None):
    """Boot from a new volume nova makes from the golden image; kept after delete."""
    mapping = {"boot_index": 0, "uuid": image_id, "source_type": "image",
               "destination_type": "volume", "volume_size": int(size_gb),
               "delete_on_termination": False}
    volume_type = volume_type if volume_type is not None else conf.get("root_volume_type")
    if volume_type:
        mapping["volume_type"] = volume_type
    return [mapping]


def volume_mapping(volume_id):
    """Boot from an existing volume (an archive being restored); kept after delete."""
    return [{"boot_index": 0, "uuid": volume_id, "source_type": "volume",
             "destination_type": "volume", "delete_on_termination": False}]
