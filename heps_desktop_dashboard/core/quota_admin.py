"""Project quotas as the Admin dashboard shows and edits them (plain Python, no API calls).

One name per resource, keystone's unified-limit name: ``servers``, ``class:VCPU``,
``class:MEMORY_MB``, ``class:<GPU resource class>``. Nova's legacy quota driver knows
the first three as ``instances``, ``cores``, ``ram`` and has no GPU quota at all.
Which driver nova uses is not published by any API; ``detect()`` tells it from what
nova reports: under the unified-limits driver nova's quota API returns keystone's
limits (a missing one as 0, -1 unlimited), under the legacy driver its own.
"""

import dataclasses

from heps_desktop_dashboard.core import gpu_capacity

UNIFIED = "unified"
LEGACY = "legacy"
UNKNOWN = "unknown"

SERVERS = "servers"
VCPU = "class:VCPU"
MEMORY = "class:MEMORY_MB"
BASE = (SERVERS, VCPU, MEMORY)
CLASS_PREFIX = "class:"
# nova's legacy quota names of the three base resources
LEGACY_NAMES = {SERVERS: "instances", VCPU: "cores", MEMORY: "ram"}
# keystone stores limits as signed 32-bit integers
LIMIT_MAX = 2**31 - 1


def gpu_resource(resource_class):
    return CLASS_PREFIX + resource_class


def gpu_class_of(resource):
    """``CUSTOM_HEPS_GPU_A100`` of ``class:CUSTOM_HEPS_GPU_A100``; "" when the name is
    not a GPU class limit."""
    if not str(resource).startswith(CLASS_PREFIX):
        return ""
    rclass = resource[len(CLASS_PREFIX):]
    return rclass if gpu_capacity.is_gpu_class(rclass) else ""


def unlimited_to_none(value):
    """keystone/nova -1 (unlimited) as None; None stays None."""
    if value is None:
        return None
    value = int(value)
    return None if value < 0 else value


@dataclasses.dataclass(frozen=True)
class Line:
    """One quota of one project: ``used`` of ``limit``.

    ``limit`` None: unlimited; ``known`` False: the limit could not be read;
    ``used`` None: the usage could not be read; ``default``: the limit is the
    registered (default) one, no project limit; ``enforced`` False: nova does not
    enforce it (a GPU class under the legacy driver)."""

    resource: str
    limit: int | None
    used: int | None
    default: bool = False
    enforced: bool = True
    known: bool = True

    @property
    def over(self):
        return (self.enforced and self.known and self.limit is not None
                and self.used is not None and self.used > self.limit)


@dataclasses.dataclass
class ProjectQuota:
    project_id: str
    name: str
    lines: dict  # resource -> Line

    @property
    def over(self):
        return [line for line in self.lines.values() if line.over]


def registered_values(registered):
    """``{resource: default_limit}`` of keystone's registered limits (dicts)."""
    return {item["resource_name"]: int(item["default_limit"]) for item in registered or ()}


def project_values(limits, project_id):
    """``{resource: resource_limit}`` of one project's keystone limits."""
    return {item["resource_name"]: int(item["resource_limit"]) for item in limits or ()
            if item.get("project_id") == project_id}


def nova_sees(registered, project=None):
    """What nova's quota API reports for instances/cores/ram under the unified-limits
    driver: the project limit, else the registered one, else 0 (nova's reading of
    keystone, ``nova/limit/placement.py``)."""
    project = project or {}
    return {legacy: project.get(name, registered.get(name)) or 0
            for name, legacy in LEGACY_NAMES.items()}


# What the detected quota driver rests on (Evidence.code), in English; the admin dashboard
# words the codes in the admin's language (desktop_quotas/texts.py).
UNREADABLE = "unreadable"
KEYSTONE_UNREADABLE = "keystone_unreadable"
NOTHING_COMPARED = "nothing_compared"
DIFFERS = "differs"
SAME = "same"
EVIDENCE = {
    UNREADABLE: "unreadable",
    KEYSTONE_UNREADABLE: "keystone unreadable",
    NOTHING_COMPARED: "nothing to compare",
    DIFFERS: "nova reports %(name)s=%(nova)s, keystone %(keystone)s",
    SAME: "nova reports keystone's limits (%(compared)s compared)",
}


class Evidence(str):
    """The evidence of a detected driver: the English text, with ``code`` and ``params``
    for the dashboard to say it in the admin's language."""

    def __new__(cls, code, **params):
        text = super().__new__(cls, EVIDENCE[code] % params if params else EVIDENCE[code])
        text.code, text.params = code, params
        return text


def detect(registered, nova_defaults, projects=()):
    """``(driver, evidence)``: which quota driver nova uses.

    ``registered``: keystone's registered limits of compute ``{resource: value}`` (None
    when keystone could not be read); ``nova_defaults``: nova's default quota class
    ``{"instances", "cores", "ram"}`` (None when nova could not be read);
    ``projects``: ``[(keystone {resource: value} of a project, nova's limits of the
    project {"instances", ...})]``. Unified when nova reports exactly keystone's
    numbers everywhere it was asked, legacy otherwise."""
    if registered is None or nova_defaults is None:
        return UNKNOWN, Evidence(UNREADABLE)
    pairs = [(nova_sees(registered), nova_defaults)]
    pairs += [(nova_sees(registered, keystone), nova) for keystone, nova in projects]
    compared = 0
    for expected, reported in pairs:
        for legacy in LEGACY_NAMES.values():
            if legacy not in reported:
                continue
            compared += 1
            if int(reported[legacy]) != int(expected[legacy]):
                return LEGACY, Evidence(DIFFERS, name=legacy, nova=reported[legacy],
                                        keystone=expected[legacy])
    if not compared:
        return UNKNOWN, Evidence(NOTHING_COMPARED)
    return UNIFIED, Evidence(SAME, compared=compared)


def unified_lines(registered, project, usage, gpu_classes):
    """Lines of one project under the unified-limits driver. ``usage``: ``{resource:
    used}`` (a missing resource: unknown)."""
    lines = {}
    for resource in BASE + tuple(gpu_resource(rc) for rc in gpu_classes):
        if resource in project:
            limit, default = project[resource], False
        elif resource in registered:
            limit, default = registered[resource], True
        else:
            # no limit at all: nova requires one for servers (0), ignores the others
            limit, default = (0 if resource == SERVERS else -1), True
        lines[resource] = Line(resource, unlimited_to_none(limit), usage.get(resource),
                               default=default)
    return lines


def legacy_lines(nova_quota, usage, gpu_classes):
    """Lines under the legacy driver: nova's instances/cores/ram (``nova_quota``:
    ``{"instances": {"limit", "in_use"}, ...}`` or None when unreadable); GPU classes
    with their usage only (nova's legacy quotas have no GPU limit)."""
    lines = {}
    for resource, legacy in LEGACY_NAMES.items():
        found = (nova_quota or {}).get(legacy)
        if found is None:
            lines[resource] = Line(resource, None, None, known=False)
            continue
        lines[resource] = Line(resource, unlimited_to_none(found.get("limit")),
                               unlimited_to_none(found.get("in_use")))
    for rclass in gpu_classes:
        resource = gpu_resource(rclass)
        lines[resource] = Line(resource, None, usage.get(resource), enforced=False)
    return lines


def usage_of(nova_quota, placement_usages, classes):
    """``{resource: used}`` from nova's quota detail (servers, vCPU, RAM) and placement's
    usages of the project (GPU ``classes``: a class placement does not list is 0); an
    unreadable source (None) leaves its resources out (unknown)."""
    found = {}
    for resource, legacy in LEGACY_NAMES.items():
        item = (nova_quota or {}).get(legacy)
        if item is not None and item.get("in_use") is not None:
            found[resource] = int(item["in_use"])
    if placement_usages is not None:
        for rclass in classes:
            found[gpu_resource(rclass)] = int(placement_usages.get(rclass, 0) or 0)
    return found


def gpu_classes(*sources):
    """Every GPU resource class named in ``sources`` (resource classes, limit names
    ``class:…`` or usage dicts), sorted with VGPU first."""
    found = set()
    for source in sources:
        for name in source or ():
            rclass = gpu_class_of(name) or (name if gpu_capacity.is_gpu_class(name) else "")
            if rclass:
                found.add(rclass)
    return sorted(found, key=lambda rc: (rc != gpu_capacity.VGPU, rc))


@dataclasses.dataclass(frozen=True)
class Change:
    """One limit the admin changed: ``value`` None removes the project limit (the
    default applies again)."""

    resource: str
    value: int | None
    used: int | None = None

    @property
    def below_usage(self):
        return self.value is not None and self.used is not None and self.value < self.used


def changes(initial, cleaned, usage=None):
    """The Changes between a form's initial values and its cleaned ones (only what the
    admin changed is written)."""
    usage = usage or {}
    return [Change(resource, value, usage.get(resource))
            for resource, value in cleaned.items()
            if initial.get(resource) != value]
