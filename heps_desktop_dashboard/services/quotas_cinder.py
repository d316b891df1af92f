"""Block-storage quotas on Admin › Desktop Quotas: Cinder's volumes, gigabytes, backups
and per-volume-type limits of every project, beside the compute and GPU ones, and the
admin's changes (audited ``quota.set`` with ``service: cinder``).

One ``GET /os-quota-sets/{project}?usage=true`` per project (read in parallel) and one
volume-type list per board. Cinder absent or down: the columns are left out and the
page says so; nothing else is affected.
"""

import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import quota_admin
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import parallel

LOG = logging.getLogger(__name__)

# Quota-line names of Cinder's quotas: "volume:<cinder name>" (never a keystone name).
PREFIX = "volume:"
BASE = ("volumes", "gigabytes", "backups", "backup_gigabytes")
PER_TYPE = ("volumes", "gigabytes")
CINDER = "cinder"     # Board.missing: Cinder could not be read


class StorageRefused(Exception):
    """Cinder refused (or ignored) a change."""


def resource(name):
    return PREFIX + name


def cinder_name(line_resource):
    return line_resource[len(PREFIX):] if line_resource.startswith(PREFIX) else ""


def names_for(volume_types):
    """Cinder quota names shown: the base ones, then volumes/gigabytes per type."""
    found = list(BASE)
    for kind in volume_types:
        found += [f"{name}_{kind}" for name in PER_TYPE]
    return found


def available(ctx):
    return api.cinder.in_catalog(ctx)


def _lines(usage, names):
    lines = {}
    for name in names:
        item = usage.get(name) if usage is not None else None
        if item is None:
            lines[resource(name)] = quota_admin.Line(resource(name), None, None, known=False)
            continue
        lines[resource(name)] = quota_admin.Line(
            resource(name), quota_admin.unlimited_to_none(item.get("limit")),
            int(item.get("in_use") or 0) + int(item.get("reserved") or 0))
    return lines


def _type_names(ctx):
    return sorted(str(kind.get("name")) for kind in api.cinder.volume_types(ctx)
                  if kind.get("name"))


def add_to_board(ctx, board):
    """Add each project's Cinder lines to a services.quotas Board (``storage``: the
    resources shown, in order); Cinder unreadable: ``missing`` gets CINDER."""
    board.storage = []
    if not available(ctx):
        return board
    try:
        names = names_for(_type_names(ctx))
    except Exception as exc:
        LOG.warning("Desktop quotas: Cinder unavailable: %s", exc)
        board.missing.add(CINDER)
        return board
    results = parallel.call_all([(api.cinder.quota_usage, ctx, project.project_id)
                                 for project in board.projects])
    for project, usage in zip(board.projects, results, strict=True):
        if isinstance(usage, Exception):
            board.missing.add(CINDER)
            usage = None
        project.lines.update(_lines(usage, names))
    board.storage = [resource(name) for name in names]
    return board


def project_lines(ctx, project_id):
    """``{resource: Line}`` of one project (raises when Cinder cannot be read)."""
    names = names_for(_type_names(ctx))
    return _lines(api.cinder.quota_usage(ctx, project_id), names)


def set_project(ctx, project_id, project_name, changes):
    """Write the admin's Changes (``value`` None: unlimited) in one Cinder call, one
    audit event per change. Raises StorageRefused."""
    values = {cinder_name(c.resource): -1 if c.value is None else c.value for c in changes}
    if not values:
        return
    try:
        reported = api.cinder.quota_update(ctx, project_id, values)
    except api.cinder.ClientException as exc:
        for change in changes:
            _audit(ctx, project_id, project_name, change, audit.REFUSED, str(exc))
        raise StorageRefused(str(getattr(exc, "message", "") or exc)) from exc
    ignored = [name for name, value in values.items()
               if name in reported and int(reported[name]) != value]
    for change in changes:
        result = audit.FAILED if cinder_name(change.resource) in ignored else audit.OK
        _audit(ctx, project_id, project_name, change, result)
    if ignored:
        raise StorageRefused("Cinder kept its old " + ", ".join(ignored))


def _audit(ctx, project_id, project_name, change, result, error=None):
    audit.event(ctx, audit.QUOTA_SET, project_id, project_name, result,
                project_id=project_id, admin=True, service=CINDER,
                resource=change.resource, value=change.value, used=change.used,
                error=error)
