"""Nova's own quota API for the Admin dashboard (``os-quota-sets``,
``os-quota-class-sets``): instances, cores and RAM of a project and the defaults.

Nova enforces these under its legacy quota driver. Under the unified-limits driver it
reports keystone's limits here and ignores updates (they return the unchanged values),
which is how services/quotas.py tells the drivers apart. Read at microversion 2.1
through the plugin's novaclient; errors raise novaclient exceptions.
"""

from novaclient import exceptions as nova_exceptions

from heps_desktop_dashboard.api import nova_client

RESOURCES = ("instances", "cores", "ram")
# nova refused what was asked (4xx), as opposed to failing or not answering
REFUSALS = (nova_exceptions.BadRequest, nova_exceptions.Forbidden, nova_exceptions.NotFound,
            nova_exceptions.Conflict)
DEFAULT_CLASS = "default"


def _quota_client(ctx):
    return nova_client.client(ctx)


def _info(found):
    return dict(getattr(found, "_info", None) or {})


def project_quota(ctx, project_id):
    """``{"instances": {"limit": n, "in_use": n}, "cores": …, "ram": …}`` of a project
    (``GET /os-quota-sets/{project}/detail``; -1 is unlimited)."""
    info = _info(_quota_client(ctx).quotas.get(project_id, detail=True))
    return {name: dict(info[name]) for name in RESOURCES if isinstance(info.get(name), dict)}


def default_quota(ctx):
    """``{"instances": n, "cores": n, "ram": n}`` of nova's default quota class."""
    info = _info(_quota_client(ctx).quota_classes.get(DEFAULT_CLASS))
    return {name: int(info[name]) for name in RESOURCES if name in info}


def project_quota_update(ctx, project_id, values):
    """Set some of instances/cores/ram of a project; returns what nova now reports."""
    wanted = {name: int(value) for name, value in values.items() if name in RESOURCES}
    info = _info(_quota_client(ctx).quotas.update(project_id, **wanted))
    return {name: int(info[name]) for name in RESOURCES if name in info}


def default_quota_update(ctx, values):
    """Set some of the default quota class's instances/cores/ram; returns nova's
    values."""
    wanted = {name: int(value) for name, value in values.items() if name in RESOURCES}
    info = _info(_quota_client(ctx).quota_classes.update(DEFAULT_CLASS, **wanted))
    return {name: int(info[name]) for name in RESOURCES if name in info}
