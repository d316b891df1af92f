"""Quota and GPU capacity rules for launching a desktop (plain Python, no API calls).

Nova with the unified-limits quota driver enforces keystone limits on ``servers``,
``class:VCPU``, ``class:MEMORY_MB`` and one ``class:<RESOURCE_CLASS>`` per resource class
a flavor asks placement for (``class:VGPU``, ``class:CUSTOM_HEPS_GPU_A100``). Nova's
``GET /limits`` reports the first three (as instances/cores/ram, with usage); GPU limits
come from keystone and GPU usage from placement. This module turns those readings into
quota lines and says which ones a launch would exceed.
"""

import dataclasses
import math
import re

from heps_desktop_dashboard.core import profiles

INSTANCES = "instances"
CORES = "cores"
RAM = "ram"
# keystone unified-limit resource name of a placement resource class
CLASS_PREFIX = "class:"

# nova GET /limits "absolute" keys: resource -> (limit key, usage key)
NOVA_ABSOLUTE = {
    INSTANCES: ("maxTotalInstances", "totalInstancesUsed"),
    CORES: ("maxTotalCores", "totalCoresUsed"),
    RAM: ("maxTotalRAMSize", "totalRAMUsed"),
}
# nova's legacy names and the unified-limit names mean the same resources
_ALIASES = {
    "servers": INSTANCES,
    "instances": INSTANCES,
    "class:VCPU": CORES,
    "cores": CORES,
    "class:MEMORY_MB": RAM,
    "ram": RAM,
}

# Servers in these states hold no placement allocation (nova frees the GPU on shelve
# offload), so they count for no GPU usage.
NO_ALLOCATION_STATUSES = ("SHELVED_OFFLOADED", "DELETED", "SOFT_DELETED")


def gpu_resource_name(resource_class):
    return CLASS_PREFIX + resource_class


def canonical_resource(name):
    """nova/keystone/oslo.limit resource name -> the name used in quota lines."""
    name = (name or "").strip()
    return _ALIASES.get(name, name)


@dataclasses.dataclass(frozen=True)
class QuotaLine:
    """One quota: ``used`` of ``limit`` (``limit`` None: unlimited).

    ``known`` is False when the limit or the usage could not be read; such a line is
    shown but never blocks a launch (nova still enforces it).
    """

    resource: str
    used: int | None
    limit: int | None
    known: bool = True

    def fits(self, adds):
        if not self.known or self.limit is None or not adds:
            return True
        return (self.used or 0) + adds <= self.limit

    @property
    def room(self):
        if not self.known or self.limit is None:
            return None
        return max(self.limit - (self.used or 0), 0)


def _number(value):
    """A /limits value: -1 or inf means unlimited (None)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number < 0 or math.isinf(number):
        return None
    return int(number)


def nova_lines(absolute):
    """Quota lines for instances, cores and RAM from nova's ``GET /limits`` absolute dict.

    ``absolute`` None (the call failed) gives lines marked unknown.
    """
    lines = {}
    for resource, (limit_key, used_key) in NOVA_ABSOLUTE.items():
        if absolute is None or limit_key not in absolute:
            lines[resource] = QuotaLine(resource, None, None, known=False)
            continue
        used = _number(absolute.get(used_key)) or 0
        lines[resource] = QuotaLine(resource, used, _number(absolute[limit_key]))
    return lines


def gpu_lines(resource_classes, limits, usage):
    """Quota lines for GPU resource classes.

    ``limits``: {"class:VGPU": 4, ...} from keystone (a missing class: unlimited), or
    None when keystone could not be read. ``usage``: {"VGPU": 1, ...} from placement or
    counted from servers, or None when unknown.
    """
    lines = {}
    for rclass in resource_classes:
        name = gpu_resource_name(rclass)
        known = limits is not None and usage is not None
        limit = None if limits is None else limits.get(name)
        used = None if usage is None else int(usage.get(rclass, 0) or 0)
        lines[name] = QuotaLine(name, used, limit, known=known)
    return lines


def placement_classes(profile):
    """The GPU resource classes of a profile that placement (and quota) knows about.

    ``pci:<alias>`` requests (classic PCI passthrough) are not placement resources.
    """
    return [rc for rc in profile.gpu_resources if not rc.startswith("pci:")]


def launch_needs(profile):
    """What one desktop of this profile adds to each quota line."""
    needs = {INSTANCES: 1, CORES: profile.vcpus, RAM: profile.ram_mb}
    for rclass in placement_classes(profile):
        needs[gpu_resource_name(rclass)] = profile.gpu_resources[rclass]
    return needs


def exceeded(lines, needs):
    """The quota lines (in ``lines`` order) that ``needs`` would take over their limit."""
    return [line for resource, line in lines.items()
            if not line.fits(needs.get(resource, 0))]


def gpu_usage_from_servers(servers_flavor_specs):
    """GPU usage per resource class counted from servers.

    ``servers_flavor_specs``: iterable of ``(status, extra_specs)``, one per server of
    the project (embedded flavors, compute microversion >= 2.47).
    """
    usage = {}
    for status, specs in servers_flavor_specs:
        if str(status or "").upper() in NO_ALLOCATION_STATUSES:
            continue
        for rclass, amount in profiles.gpu_resources(specs).items():
            if not rclass.startswith("pci:"):
                usage[rclass] = usage.get(rclass, 0) + amount
    return usage


# --- placement requests for capacity ------------------------------------------

@dataclasses.dataclass(frozen=True)
class GpuRequest:
    """One GPU resource class a profile asks placement for, with the traits of its group."""

    resource_class: str
    amount: int = 1
    required: tuple = ()
    forbidden: tuple = ()


_GROUP_KEY = re.compile(r"^(resources|trait)([A-Za-z0-9_-]*):(.+)$")


def gpu_requests(extra_specs):
    """The GPU requests of a flavor's extra specs, with the traits of the same group.

    ``resources:VGPU=1`` + ``trait:CUSTOM_HEPS_GPU_A16=required`` (unnumbered group) or
    ``resources1:VGPU=1`` + ``trait1:...`` (numbered group 1).
    """
    groups = {}
    for key, value in (extra_specs or {}).items():
        match = _GROUP_KEY.match(str(key))
        if not match:
            continue
        kind, suffix, name = match.groups()
        group = groups.setdefault(suffix, {"resources": {}, "required": [], "forbidden": []})
        if kind == "resources":
            group["resources"][name] = value
        elif str(value).strip().lower() in ("required", "forbidden"):
            group[str(value).strip().lower()].append(name)
    found = []
    for _suffix, group in sorted(groups.items()):
        specs = {f"resources:{rc}": amount for rc, amount in group["resources"].items()}
        for rclass, amount in sorted(profiles.gpu_resources(specs).items()):
            found.append(GpuRequest(rclass, amount, tuple(sorted(group["required"])),
                                    tuple(sorted(group["forbidden"]))))
    return tuple(found)


def free_from_candidates(body, resource_class):
    """Free units of ``resource_class`` from a placement ``GET /allocation_candidates``.

    Counts each provider that appears in an allocation request for the class once:
    capacity ((total - reserved) x allocation_ratio) minus used, from the provider
    summaries. Providers with nothing free are not candidates, so they add nothing.
    """
    providers = set()
    for candidate in (body or {}).get("allocation_requests", []):
        for rp_uuid, alloc in (candidate.get("allocations") or {}).items():
            if resource_class in (alloc.get("resources") or {}):
                providers.add(rp_uuid)
    summaries = (body or {}).get("provider_summaries") or {}
    free = 0
    for rp_uuid in providers:
        res = ((summaries.get(rp_uuid) or {}).get("resources") or {}).get(resource_class)
        if res:
            free += max(int(res.get("capacity", 0)) - int(res.get("used", 0)), 0)
    return free


# --- nova's quota errors --------------------------------------------------------

_UNIFIED_OVER = re.compile(r"Resource (\S+) is over limit of (\d+) due to current usage "
                           r"(\d+) and delta (\d+)")
_LEGACY_OVER = re.compile(r"Quota exceeded for ([\w:, ]+?)(?::|\.|$)")


def is_quota_error(message):
    text = str(message or "").lower()
    return "quota exceeded" in text or "over a limit" in text or "over limit of" in text


def quota_error_resources(message):
    """The resources a nova quota error names, as quota-line names (may be empty).

    Unified limits: "Project X is over a limit for [Resource class:VGPU is over limit of
    4 due to current usage 4 and delta 1]"; legacy: "Quota exceeded for cores: ...".
    """
    text = str(message or "")
    found = [canonical_resource(m.group(1)) for m in _UNIFIED_OVER.finditer(text)]
    if not found:
        match = _LEGACY_OVER.search(text)
        if match:
            found = [canonical_resource(part) for part in match.group(1).split(",")
                     if part.strip()]
    return list(dict.fromkeys(found))
