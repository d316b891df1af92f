"""Launching a desktop: one call from the Launch form, nothing half-made on failure.

The experiment's mount plan is recorded in the create metadata (nova refuses metadata
updates while building); the reconciler attaches the data once the desktop runs.
"""

import dataclasses
import logging

from novaclient import exceptions as nova_exceptions

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import experiments

LOG = logging.getLogger(__name__)

# A second launch of the same name, image and profile within this many seconds is taken
# for a double submit.
DOUBLE_SUBMIT_SECONDS = 60


@dataclasses.dataclass(frozen=True)
class LaunchRequest:
    name: str
    image_id: str
    profile: object  # core.profiles.Profile
    lifetime_hours: int
    plan: object = None  # core.mounts.MountPlan of the chosen experiment, or None


class DoubleSubmit(exceptions.DesktopError):
    """The same desktop was launched seconds ago."""


class LaunchFailed(exceptions.DesktopError):
    """nova refused or failed the launch; ``cause`` says why, ``created`` whether a
    server existed (it has been deleted again, unless ``left_over`` names it: its
    delete failed too)."""

    def __init__(self, cause, created=False, left_over=None):
        super().__init__(str(cause))
        self.cause = cause
        self.created = created
        self.left_over = left_over


def find_twin(ctx, name, image_id, profile_name):
    """A desktop of the same name, image and profile launched seconds ago, if any."""
    try:
        recent = api.nova.recent_desktops(ctx, DOUBLE_SUBMIT_SECONDS)
    except Exception as exc:  # the check is a convenience; nova still launches
        LOG.info("Double-submit check skipped: %s", type(exc).__name__)
        return None
    for server in recent:
        image = getattr(server, "image", None) or {}
        if (server.name == name and isinstance(image, dict) and image.get("id") == image_id
                and desktops.flavor_name(server) == profile_name):
            return server
    return None


def launch_metadata(ctx, launch_request, now=None):
    expires = desktops.expiry_after(launch_request.lifetime_hours,
                                    conf.get("max_lifetime_hours"), now)
    plan = launch_request.plan
    metadata = desktops.build_metadata(
        policy=conf.lifetime_policy(), user_id=ctx.user_id, project_id=ctx.project_id,
        profile=launch_request.profile.name, expires_at=expires,
        experiment=plan.experiment_id if plan else "")
    if plan is not None:
        metadata.update(experiments.plan_metadata(plan))
    return metadata


def launch(ctx, launch_request):
    """Create the desktop; returns the nova server. Raises DoubleSubmit, ValueError
    (bad settings), NoDesktopNetwork, or LaunchFailed."""
    profile = launch_request.profile
    if find_twin(ctx, launch_request.name, launch_request.image_id, profile.name):
        raise DoubleSubmit(launch_request.name)
    metadata = launch_metadata(ctx, launch_request)
    user_data = experiments.user_data_for(launch_request.plan)
    network = api.neutron.desktop_network(ctx, conf.get("network"))
    security_group = conf.get("security_group")
    try:
        server = api.nova.desktop_create(
            ctx, name=launch_request.name, image_id=launch_request.image_id,
            flavor_id=profile.id, metadata=metadata, network_id=network["id"],
            security_groups=[security_group] if security_group else None,
            user_data=user_data)
    except Exception as exc:
        raise LaunchFailed(exc) from exc
    try:
        _check_created(ctx, server)
    except Exception as exc:
        LOG.warning("Desktop %s failed after creation (%s); deleting it", server.id,
                    type(exc).__name__)
        left_over = None if _discard(ctx, server) else server.id
        raise LaunchFailed(exc, created=True, left_over=left_over) from exc
    return server


def _check_created(ctx, server):
    """The new server must be a desktop the panel can see (tagged) and not failed."""
    created = api.nova.desktop_get(ctx, server.id)
    if str(getattr(created, "status", "")).upper() == "ERROR":
        fault = (getattr(created, "fault", None) or {}).get("message", "")
        raise nova_exceptions.ClientException(500, fault or "server went to ERROR")


def _discard(ctx, server):
    """Delete a half-launched server; False when that failed too."""
    try:
        api.nova.desktop_discard(ctx, server.id)
    except Exception:
        LOG.exception("Could not delete half-launched desktop %s", server.id)
        return False
    return True
