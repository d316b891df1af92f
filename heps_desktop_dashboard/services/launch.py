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
from heps_desktop_dashboard.core import archives as archive_records
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import archives
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import home_storage
from heps_desktop_dashboard.services import network_policy
from heps_desktop_dashboard.services import parallel
from heps_desktop_dashboard.services import persistent

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
    public_ip: bool = False  # asked for (only a profile with heps:public_ip=allowed)
    # What a hand-made request named instead of the desktop network: refused.
    networks: tuple = ()
    ports: tuple = ()
    # Boot from a new Cinder volume made from the image (services/persistent.py).
    persistent: bool = False
    # Restore: boot from this archive of the user (services/archives.py); image_id is
    # the archive's image.
    archive_id: str = ""


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


# Refusals: nothing was created (the audit event says "refused").
REFUSALS = (DoubleSubmit, network_policy.NetworkRefused, persistent.Unavailable,
            persistent.QuotaExceeded, archives.ArchiveNotFound, archives.ArchiveNotReady,
            archives.RestorePending)


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
    if launch_request.public_ip:
        metadata[names.META_PUBLIC_IP] = names.META_PUBLIC_IP_REQUESTED
    if launch_request.persistent or launch_request.archive_id:
        metadata[names.META_IMAGE] = launch_request.image_id
    return metadata


def launch(ctx, launch_request):
    """Create the desktop; returns the nova server. Raises DoubleSubmit,
    NetworkRefused, ValueError (bad settings), NoDesktopNetwork, persistent.Unavailable
    or QuotaExceeded, archives.ArchiveNotFound, ArchiveNotReady or RestorePending, or
    LaunchFailed. One audit event ``desktop.launch`` either way."""
    plan = launch_request.plan
    with audit.outcome(ctx, audit.DESKTOP_LAUNCH, target_name=launch_request.name,
                       refusals=REFUSALS, persistent=bool(launch_request.persistent),
                       archive=launch_request.archive_id or None,
                       image_id=launch_request.image_id,
                       profile=launch_request.profile.name,
                       experiment=plan.experiment_id if plan else "",
                       lifetime_hours=launch_request.lifetime_hours,
                       public_ip=bool(launch_request.public_ip)) as pending:
        server = _launch(ctx, launch_request, pending)
        pending.target_id = server.id
    return server


def _launch(ctx, launch_request, pending):
    profile = launch_request.profile
    network_policy.check_public_ip(profile, launch_request.public_ip)
    persistent_launch = bool(launch_request.persistent or launch_request.archive_id)
    # Three independent reads (nova, neutron, Cinder) at once: each is a round trip on
    # the way from the click to the console. Only reads: nothing is made before all
    # the checks have passed.
    twin, network, home_user = parallel.call_all([
        (find_twin, ctx, launch_request.name, launch_request.image_id, profile.name),
        (network_policy.check_request, ctx, launch_request.networks,
         launch_request.ports),
        (home_storage.mount_user, ctx, persistent_launch)])
    if twin and not isinstance(twin, Exception):
        raise DoubleSubmit(launch_request.name)
    parallel.raise_first([network, home_user])
    metadata = launch_metadata(ctx, launch_request)
    user_data = experiments.user_data_for(launch_request.plan, home_user)
    plan = launch_request.plan
    groups = network_policy.desktop_groups(ctx, plan.experiment_id if plan else "")
    pending.details.update(network_id=network["id"], security_groups=groups)
    mapping, restore = _root_disk(ctx, launch_request)
    extra = {"block_device_mapping_v2": mapping} if mapping else {}
    try:
        server = api.nova.desktop_create(
            ctx, name=launch_request.name, image_id=launch_request.image_id,
            flavor_id=profile.id, metadata=metadata, network_id=network["id"],
            security_groups=groups, user_data=user_data, **extra)
    except Exception as exc:
        if restore and restore[2]:
            archives.discard_volume(ctx, restore[1])
        raise LaunchFailed(exc) from exc
    pending.target_id = server.id
    try:
        _check_created(ctx, server)
        if launch_request.public_ip:
            network_policy.allocate_public_ip(ctx, server)
    except Exception as exc:
        LOG.warning("Desktop %s failed after creation (%s); deleting it", server.id,
                    type(exc).__name__)
        left_over = None if _discard(ctx, server) else server.id
        if launch_request.persistent and not restore:
            # nova made a root volume it keeps (delete_on_termination false): signed
            # as the root of a deleted desktop, the reconciler deletes it.
            archives.mark_discarded_roots(ctx, server.id,
                                          _volume_ids(getattr(exc, "server", None)))
        raise LaunchFailed(exc, created=True, left_over=left_over) from exc
    if restore:  # only now: the archive stays an archive if the launch fails
        archives.finish_restore(ctx, restore[0], restore[1], server)
    if persistent_launch:
        home_storage.after_persistent_launch(ctx)
    return server


def _root_disk(ctx, launch_request):
    """(block device mapping or None, (archive, volume id, made here) or None), every
    check (Cinder there, volume quota, the archive the user's and ready) before anything
    is created."""
    profile = launch_request.profile
    if launch_request.archive_id:
        archive = archives.get_archive(ctx, launch_request.archive_id)
        new_volume = archive.resource == archive_records.RESOURCE_BACKUP
        persistent.check(ctx, max(profile.root_volume_gb, archive.size_gb), new_volume)
        volume_id, made = archives.restore_volume(ctx, archive, profile.root_volume_gb)
        return persistent.volume_mapping(volume_id), (archive, volume_id, made)
    if launch_request.persistent:
        persistent.check(ctx, profile.root_volume_gb)
        return persistent.image_mapping(launch_request.image_id,
                                        profile.root_volume_gb), None
    return None, None


def _check_created(ctx, server):
    """The new server must be a desktop the panel can see (tagged) and not failed."""
    created = api.nova.desktop_get(ctx, server.id)
    if str(getattr(created, "status", "")).upper() == "ERROR":
        fault = (getattr(created, "fault", None) or {}).get("message", "")
        error = nova_exceptions.ClientException(500, fault or "server went to ERROR")
        error.server = created
        raise error
    return created


def _volume_ids(server):
    return [v.get("id") for v in getattr(server, archives.VOLUMES_ATTACHED, None) or ()
            if v.get("id")]


def _discard(ctx, server):
    """Delete a half-launched server; False when that failed too."""
    try:
        api.nova.desktop_discard(ctx, server.id)
    except Exception:
        LOG.exception("Could not delete half-launched desktop %s", server.id)
        return False
    return True
