"""Exporting results: snapshots of an experiment's results share, shares made from
them, and desktops saved as private images."""

import datetime

from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard import api
from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import experiments

MountRefused = mounts.MountRefused


class ExportRefused(exceptions.DesktopError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


REFUSALS = (ExportRefused, MountRefused, api.nova.NotFound, api.manila.NotFound)


def _project_share(ctx, share_id, kind=None):
    share = api.manila.share_with_exports(ctx, share_id)
    if share.project_id != ctx.project_id:
        raise MountRefused(mounts.OTHER_PROJECT, share)
    if kind and share.kind != kind:
        raise MountRefused(mounts.UNKNOWN_EXPERIMENT, share, share.kind)
    return share


def results_share(ctx, experiment_id):
    experiment = experiments.get_experiment(ctx, experiment_id)
    if experiment.results is None:
        raise MountRefused(mounts.UNKNOWN_EXPERIMENT, detail=experiment_id)
    return experiment.results


def default_snapshot_name(experiment_id, now=None):
    now = now or datetime.datetime.now(datetime.UTC)
    return f"{experiment_id}-results-{now:%Y%m%d-%H%M%S}"


def snapshot_results(ctx, share_id, name, description=""):
    """Snapshot one of the project's results shares."""
    with audit.outcome(ctx, audit.RESULTS_SNAPSHOT, share_id, refusals=REFUSALS,
                       snapshot_name=name) as pending:
        share = _project_share(ctx, share_id, mounts.KIND_RESULTS)
        pending.target_name = share.display_name
        pending.details["experiment"] = share.experiment
        if not share.snapshot_support:
            raise ExportRefused(_('Share "%s" cannot be snapshotted: its share type has no '
                                  'snapshot support.') % share.display_name)
        if share.status != mounts.MOUNTABLE_STATUS:
            raise ExportRefused(_('Share "%(name)s" is %(status)s; snapshots need an '
                                  'available share.') % {"name": share.display_name,
                                                         "status": share.status})
        snapshot = api.manila.snapshot_create(ctx, share.id, name, description)
        pending.details["snapshot_id"] = _id_of(snapshot)
    return snapshot


def _id_of(created):
    return created.get("id") if isinstance(created, dict) else getattr(created, "id", None)


def snapshots_of(ctx, share_id):
    """Snapshots of a share, newest first."""
    found = api.manila.snapshot_list(ctx, share_id)
    return sorted(found, key=lambda s: s.get("created_at") or "", reverse=True)


def share_from_snapshot(ctx, snapshot_id, name, description=""):
    """A new share from a snapshot of one of the project's results shares, tagged with
    where it came from (not ``heps:experiment``: an experiment has one results share)."""
    with audit.outcome(ctx, audit.RESULTS_SHARE, snapshot_id, refusals=REFUSALS,
                       share_name=name) as pending:
        snapshot = api.manila.snapshot_get(ctx, snapshot_id)
        pending.target_name = snapshot.get("name") or ""
        source = _project_share(ctx, snapshot["share_id"], mounts.KIND_RESULTS)
        pending.details.update(source_share_id=source.id, experiment=source.experiment)
        if snapshot.get("status") != "available":
            raise ExportRefused(_('Snapshot "%(name)s" is %(status)s; wait until it is '
                                  'available.') % {"name": snapshot.get("name") or snapshot_id,
                                                   "status": snapshot.get("status")})
        if not source.create_from_snapshot_support:
            raise ExportRefused(_('Shares cannot be created from snapshots of "%s": its '
                                  'share type does not support it.') % source.display_name)
        metadata = {names.SHARE_META_SOURCE_SNAPSHOT: snapshot["id"],
                    names.SHARE_META_SOURCE_EXPERIMENT: source.experiment}
        share = api.manila.share_create_from_snapshot(ctx, snapshot, name, description,
                                                      metadata)
        pending.details["share_id"] = _id_of(share)
    return share


def results_quota(ctx, share):
    """Project share-storage usage next to the results share's size (GiB)."""
    usage = api.manila.quota_usage(ctx).get("gigabytes") or {}
    return {"share_size": share.size, "used": usage.get("in_use"),
            "limit": usage.get("limit"), "reserved": usage.get("reserved")}


def save_as_image(ctx, desktop_id, name):
    """Save a desktop as a private image tagged with where it came from; never golden
    (nova copies the source image's properties into a snapshot)."""
    with audit.outcome(ctx, audit.DESKTOP_SAVE_IMAGE, desktop_id, refusals=REFUSALS,
                       image_name=name) as pending:
        server = api.nova.desktop_get(ctx, desktop_id)
        pending.target_name = server.name
        pending.details["project_id"] = server.tenant_id
        image = _save_as_image(ctx, server, name)
        pending.details["image_id"] = image if isinstance(image, str) else _id_of(image)
    return image


def _save_as_image(ctx, server, name):
    metadata = getattr(server, "metadata", None) or {}
    experiment = metadata.get(names.META_EXPERIMENT) or ""
    try:
        desktops.validate_experiment(experiment)
    except desktops.InvalidDesktopMetadata:
        experiment = ""
    image = getattr(server, "image", None)
    properties = {names.IMAGE_GOLDEN: "false", names.IMAGE_SOURCE_DESKTOP: server.id,
                  names.IMAGE_SOURCE_EXPERIMENT: experiment,
                  names.IMAGE_SOURCE_IMAGE: image.get("id", "") if isinstance(image, dict)
                  else ""}
    return api.nova.server_create_image(ctx, server.id, name, properties)
