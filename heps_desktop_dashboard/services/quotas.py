"""Project quotas (Admin › Desktop Quotas): limits and usage of desktops, vCPUs, RAM and
every GPU class per project, under whichever quota driver nova uses, and the admin's
changes — keystone unified limits (project and registered) or nova's own quotas — each
one audited.

A board costs the keystone project list, the compute service's registered and project
limits (one call each), nova's default quota class, placement's resource classes, and
per project nova's quota detail and placement's usages (read side by side).
"""

import dataclasses
import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import quota_admin
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import parallel
from heps_desktop_dashboard.services import quotas_cinder

LOG = logging.getLogger(__name__)

# What could not be read (Board.missing); the page says so.
KEYSTONE = "keystone"
NOVA = "nova"
PLACEMENT = "placement"


class QuotaRefused(Exception):
    """A change keystone or nova refused (or ignored), in words for the admin."""


@dataclasses.dataclass
class Board:
    driver: str = quota_admin.UNKNOWN
    evidence: str = ""
    projects: list = dataclasses.field(default_factory=list)   # ProjectQuotas
    classes: list = dataclasses.field(default_factory=list)    # GPU resource classes
    defaults: dict = dataclasses.field(default_factory=dict)   # resource -> int or None
    known_classes: list = dataclasses.field(default_factory=list)
    missing: set = dataclasses.field(default_factory=set)
    # Cinder's quota lines shown beside (services/quotas_cinder.py), in order.
    storage: list = dataclasses.field(default_factory=list)

    @property
    def over(self):
        return [project for project in self.projects if project.over]


@dataclasses.dataclass
class Readings:
    """What the quota of one or all projects is computed from (None: unreadable)."""

    registered: list | None
    limits: list | None
    nova_defaults: dict | None
    resource_classes: list | None

    @property
    def registered_values(self):
        return quota_admin.registered_values(self.registered or ())

    def project_values(self, project_id):
        return quota_admin.project_values(self.limits or (), project_id)


def _value(result):
    return None if isinstance(result, Exception) else result


def _read(ctx, project_id=None):
    registered, limits, nova_defaults, classes = parallel.call_all([
        (api.limits.registered_limits, ctx),
        (api.limits.project_limits, ctx, project_id),
        (api.nova_quotas.default_quota, ctx),
        (api.placement_catalog.resource_classes, ctx),
    ])
    for name, result in (("registered limits", registered), ("project limits", limits),
                         ("nova default quota", nova_defaults),
                         ("resource classes", classes)):
        if isinstance(result, Exception):
            LOG.warning("Desktop quotas: %s unavailable: %s", name, result)
    return Readings(_value(registered), _value(limits), _value(nova_defaults),
                    _value(classes))


def _missing(readings):
    found = set()
    if readings.registered is None or readings.limits is None:
        found.add(KEYSTONE)
    if readings.nova_defaults is None:
        found.add(NOVA)
    if readings.resource_classes is None:
        found.add(PLACEMENT)
    return found


def _classes(readings, usages):
    """GPU classes to show: custom GPU classes placement knows, and any class with a
    limit or a usage (VGPU is a standard class: shown when limited or used)."""
    custom = [rc for rc in readings.resource_classes or () if rc.startswith("CUSTOM_")]
    limited = [item["resource_name"] for item in
               (readings.registered or []) + (readings.limits or [])]
    return quota_admin.gpu_classes(custom, limited, *usages)


def _lines(driver, readings, project_id, nova_quota, usages, classes):
    usage = quota_admin.usage_of(nova_quota, usages, classes)
    if driver == quota_admin.LEGACY:
        return quota_admin.legacy_lines(nova_quota, usage, classes)
    if readings.registered is None or readings.limits is None:
        return {resource: quota_admin.Line(resource, None, usage.get(resource), known=False)
                for resource in quota_admin.BASE + tuple(
                    quota_admin.gpu_resource(rc) for rc in classes)}
    return quota_admin.unified_lines(readings.registered_values,
                                     readings.project_values(project_id), usage, classes)


def _detect(readings, nova_quotas):
    if readings.registered is None or readings.limits is None:
        return quota_admin.UNKNOWN, quota_admin.Evidence(quota_admin.KEYSTONE_UNREADABLE)
    pairs = [(readings.project_values(project_id),
              {name: item["limit"] for name, item in quota.items()})
             for project_id, quota in nova_quotas.items() if quota]
    return quota_admin.detect(readings.registered_values, readings.nova_defaults, pairs)


def _defaults(driver, readings):
    if driver == quota_admin.LEGACY:
        nova = readings.nova_defaults or {}
        return {resource: quota_admin.unlimited_to_none(nova.get(legacy))
                for resource, legacy in quota_admin.LEGACY_NAMES.items()}
    return {resource: quota_admin.unlimited_to_none(value)
            for resource, value in readings.registered_values.items()}


def _per_project(ctx, project_ids):
    """``({project: nova quota or None}, {project: placement usages or None})``."""
    calls = []
    for project_id in project_ids:
        calls.append((api.nova_quotas.project_quota, ctx, project_id))
        calls.append((api.placement_catalog.usages_of_project, ctx, project_id))
    results = iter(parallel.call_all(calls))
    nova, usages = {}, {}
    for project_id in project_ids:
        nova[project_id], usages[project_id] = _value(next(results)), _value(next(results))
    return nova, usages


def board(ctx):
    """The Board of every project. Keystone's project list unreadable raises (nothing to
    show); other unreadable sources are left out with ``missing`` set."""
    names = api.identity_names.project_names(ctx)
    readings = _read(ctx)
    found = Board(missing=_missing(readings))
    nova, usages = _per_project(ctx, sorted(names))
    if any(value is None for value in nova.values()):
        found.missing.add(NOVA)
    if any(value is None for value in usages.values()):
        found.missing.add(PLACEMENT)
    found.driver, found.evidence = _detect(readings, nova)
    found.classes = _classes(readings, usages.values())
    found.known_classes = quota_admin.gpu_classes(readings.resource_classes or ())
    found.defaults = _defaults(found.driver, readings)
    for project_id, name in sorted(names.items(), key=lambda item: item[1].lower()):
        found.projects.append(quota_admin.ProjectQuota(project_id, name, _lines(
            found.driver, readings, project_id, nova[project_id], usages[project_id],
            found.classes)))
    return quotas_cinder.add_to_board(ctx, found)


@dataclasses.dataclass
class ProjectEdit:
    """One project's quota as its edit form needs it."""

    project: quota_admin.ProjectQuota
    driver: str
    evidence: str
    defaults: dict
    known_classes: list
    readings: Readings

    @property
    def project_id(self):
        return self.project.project_id


def project_edit(ctx, project_id):
    """The ProjectEdit of one project (NotFound-like KeyError when keystone does not
    know it)."""
    names = api.identity_names.project_names(ctx)
    if project_id not in names:
        raise KeyError(project_id)
    readings = _read(ctx, project_id)
    nova, usages = _per_project(ctx, [project_id])
    driver, evidence = _detect(readings, nova)
    if readings.registered is None or readings.limits is None:
        raise QuotaRefused("keystone's limits cannot be read right now")
    classes = _classes(readings, usages.values())
    lines = _lines(driver, readings, project_id, nova[project_id], usages[project_id],
                   classes)
    return ProjectEdit(quota_admin.ProjectQuota(project_id, names[project_id], lines),
                       driver, evidence, _defaults(driver, readings),
                       quota_admin.gpu_classes(readings.resource_classes or ()), readings)


def defaults_edit(ctx):
    """(driver, evidence, defaults, known GPU classes, Readings) for the defaults form."""
    readings = _read(ctx)
    if readings.registered is None or readings.limits is None:
        raise QuotaRefused("keystone's limits cannot be read right now")
    driver, evidence = _detect(readings, {})
    return driver, evidence, _defaults(driver, readings), \
        quota_admin.gpu_classes(readings.resource_classes or ()), readings


# --- changes ------------------------------------------------------------------------

def _refused(exc):
    if isinstance(exc, api.limits.HttpError):
        return QuotaRefused(api.limits.refusal_text(exc))
    return QuotaRefused(str(getattr(exc, "message", "") or exc))


def _check_classes(changes, known_classes):
    for change in changes:
        rclass = quota_admin.gpu_class_of(change.resource)
        if change.resource not in quota_admin.BASE and rclass not in known_classes:
            raise QuotaRefused(f"{change.resource} is not a GPU class placement knows")


def _set_keystone_project(ctx, edit, change):
    current = {item["resource_name"]: item for item in edit.readings.limits or ()
               if item.get("project_id") == edit.project_id}.get(change.resource)
    if current is not None:
        if change.value is None:
            api.limits.limit_delete(ctx, current["id"])
        elif change.value == 0:
            _replace_with_zero(ctx, edit.project_id, current)
        else:
            updated = api.limits.limit_update(ctx, current["id"], change.value)
            if int(updated.get("resource_limit", change.value)) != change.value:
                raise QuotaRefused(f"keystone kept {change.resource} at "
                                   f"{updated.get('resource_limit')}")
        return
    if change.value is None:
        return
    registered = {item["resource_name"]: item for item in edit.readings.registered or ()}
    if change.resource not in registered:
        raise QuotaRefused(f"{change.resource} has no default (registered) limit in "
                           "keystone: set a default limit for it first")
    api.limits.limit_create(ctx, edit.project_id, change.resource, change.value,
                            registered[change.resource].get("region_id"))


def _replace_with_zero(ctx, project_id, current):
    """Keystone ignores ``resource_limit: 0`` in an update (its SQL backend tests the
    value for truth): the project limit is deleted and made again with 0, and put back
    as it was when that fails."""
    resource, region = current["resource_name"], current.get("region_id")
    api.limits.limit_delete(ctx, current["id"])
    try:
        api.limits.limit_create(ctx, project_id, resource, 0, region)
    except Exception:
        api.limits.limit_create(ctx, project_id, resource, current["resource_limit"], region)
        raise


def _set_nova_project(ctx, edit, changes):
    wanted = {}
    for change in changes:
        if change.resource not in quota_admin.LEGACY_NAMES:
            raise QuotaRefused(f"nova's legacy quotas have no {change.resource}")
        value = -1 if change.value is None else change.value
        wanted[quota_admin.LEGACY_NAMES[change.resource]] = value
    reported = api.nova_quotas.project_quota_update(ctx, edit.project_id, wanted)
    ignored = [name for name, value in wanted.items() if reported.get(name) != value]
    if ignored:
        raise QuotaRefused(f"nova kept its old {', '.join(ignored)}: its quota API is "
                           "ignored (is nova using the unified-limits driver?)")


def set_project(ctx, edit, changes):
    """Write the admin's Changes of one project (keystone project limits under the
    unified-limits driver, nova quotas under the legacy one). Returns the Changes below
    current usage (allowed: running desktops are not touched). Raises QuotaRefused."""
    changes = list(changes)
    _check_classes(changes, edit.known_classes)
    done = []
    try:
        for change in changes:
            _set_one(ctx, edit, change)
            done.append(change)
    except QuotaRefused as exc:
        exc.done = done
        raise
    return [change for change in changes if change.below_usage]


def _set_one(ctx, edit, change):
    project = edit.project
    writers = {quota_admin.LEGACY: lambda: _set_nova_project(ctx, edit, [change]),
               quota_admin.UNIFIED: lambda: _set_keystone_project(ctx, edit, change)}
    with audit.outcome(ctx, audit.QUOTA_SET, project.project_id, project.name,
                       refusals=(QuotaRefused,), project_id=project.project_id,
                       admin=True, driver=edit.driver, resource=change.resource,
                       value=change.value, used=change.used):
        _write(writers.get(edit.driver))


def _write(writer):
    """Run one write; a 4xx from keystone or nova becomes QuotaRefused."""
    if writer is None:
        raise QuotaRefused("nova's quota driver is unknown: nothing changed")
    try:
        writer()
    except QuotaRefused:
        raise
    except Exception as exc:
        if _is_refusal(exc):
            raise _refused(exc) from exc
        raise


def _is_refusal(exc):
    """A 4xx of keystone or nova: the change was refused, not lost."""
    return isinstance(exc, (api.limits.ClientError, *api.nova_quotas.REFUSALS))


def _set_registered(ctx, readings, change):
    registered = {item["resource_name"]: item for item in readings.registered or ()}
    current = registered.get(change.resource)
    if current is None:
        if change.value is not None:
            api.limits.registered_limit_create(ctx, change.resource, change.value)
    elif change.value is None:
        if change.resource in quota_admin.BASE:
            raise QuotaRefused(f"{change.resource} needs a default limit (nova refuses "
                               "every desktop without one)")
        api.limits.registered_limit_delete(ctx, current["id"])
    else:
        api.limits.registered_limit_update(ctx, current["id"], change.value)


def set_defaults(ctx, driver, readings, changes, known_classes):
    """Write the admin's Changes of the default limits (keystone registered limits, or
    nova's default quota class). Raises QuotaRefused."""
    changes = list(changes)
    _check_classes(changes, known_classes)
    done = []
    for change in changes:
        writers = {quota_admin.LEGACY: lambda c=change: _set_nova_defaults(ctx, c),
                   quota_admin.UNIFIED: lambda c=change: _set_registered(ctx, readings, c)}
        try:
            with audit.outcome(ctx, audit.QUOTA_DEFAULT_SET, change.resource,
                               change.resource, refusals=(QuotaRefused,), admin=True,
                               driver=driver, value=change.value):
                _write(writers.get(driver))
        except QuotaRefused as exc:
            exc.done = done
            raise
        done.append(change)


def _set_nova_defaults(ctx, change):
    legacy = quota_admin.LEGACY_NAMES.get(change.resource)
    if legacy is None:
        raise QuotaRefused(f"nova's legacy quotas have no {change.resource}")
    value = -1 if change.value is None else change.value
    reported = api.nova_quotas.default_quota_update(ctx, {legacy: value})
    if reported.get(legacy) != value:
        raise QuotaRefused(f"nova kept its old default {legacy}")
