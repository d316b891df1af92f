"""The actions on one desktop a user can take in the panel, each checked against the
user's level on it (services/access.py) before nova is asked.

Start, stop and reboot need ``control`` (the owner, or a member with a control grant);
everything else is the owner's. A refused call raises access.AccessDenied and changes
nothing. The reconciler's operator context passes every check.
"""

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import lifetimes
from heps_desktop_dashboard.services import results_export
from heps_desktop_dashboard.services import revocation

AccessDenied = access.AccessDenied


def start(ctx, desktop_id):
    server = access.require(ctx, desktop_id, access.POWER)
    with audit.outcome(ctx, audit.DESKTOP_START, server.id, server.name):
        api.nova.server_start(ctx, server.id)


def stop(ctx, desktop_id):
    server = access.require(ctx, desktop_id, access.POWER)
    with audit.outcome(ctx, audit.DESKTOP_STOP, server.id, server.name):
        api.nova.server_stop(ctx, server.id)


def reboot(ctx, desktop_id, hard=False):
    server = access.require(ctx, desktop_id, access.POWER)
    with audit.outcome(ctx, audit.DESKTOP_REBOOT, server.id, server.name, hard=hard):
        api.nova.server_reboot(ctx, server.id, hard=hard)


def shelve(ctx, desktop_id):
    server = access.require(ctx, desktop_id, access.MANAGE)
    with audit.outcome(ctx, audit.DESKTOP_SHELVE, server.id, server.name):
        api.nova.server_shelve(ctx, server.id)


def unshelve(ctx, desktop_id):
    server = access.require(ctx, desktop_id, access.MANAGE)
    with audit.outcome(ctx, audit.DESKTOP_UNSHELVE, server.id, server.name):
        api.nova.server_unshelve(ctx, server.id)


def rename(ctx, desktop_id, name):
    """Rename the owner's desktop (the name is checked: core.desktops.clean_name)."""
    name = desktops.clean_name(name)
    server = access.require(ctx, desktop_id, access.MANAGE)
    with audit.outcome(ctx, audit.DESKTOP_RENAME, server.id, server.name, new_name=name):
        api.nova.server_rename(ctx, server.id, name)


def extend(ctx, desktop_id, hours):
    """services.lifetimes.extend for the owner (signed expiry, never past the maximum)."""
    access.require(ctx, desktop_id, access.MANAGE)
    return lifetimes.extend(ctx, desktop_id, hours)


def delete(ctx, desktop_id):
    """services.revocation.delete_desktop for the owner (data access first)."""
    access.require(ctx, desktop_id, access.MANAGE)
    return revocation.delete_desktop(ctx, desktop_id)


def attach_data(ctx, desktop_id, experiment_id, plan=None):
    access.require(ctx, desktop_id, access.MANAGE)
    return data_attach.attach(ctx, desktop_id, experiment_id, plan=plan)


def detach_data(ctx, desktop_id):
    access.require(ctx, desktop_id, access.MANAGE)
    return data_attach.detach(ctx, desktop_id)


def save_image(ctx, desktop_id, name):
    access.require(ctx, desktop_id, access.MANAGE)
    return results_export.save_as_image(ctx, desktop_id, name)
