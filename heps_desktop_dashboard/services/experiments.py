"""The experiments of a project and their mount plans (Manila reads only).

Only shares of the desktop's own project with ``heps:experiment``/``heps:kind``
metadata are ever planned; an experiment is granted whole or not at all.
"""

import dataclasses

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import cloud_init
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.core import shares

MountRefused = mounts.MountRefused
ShareServiceUnavailable = api.manila.ShareServiceUnavailable


def mount_mode():
    """The configured mount mode (never what a server's metadata says)."""
    return mounts.check_mode(conf.get("share_mount_mode"))


def experiment_list(ctx, project_id=None):
    project_id = project_id or ctx.project_id
    return shares.group_experiments(api.manila.experiment_shares(ctx, project_id),
                                    project_id)


def get_experiment(ctx, experiment_id, project_id=None, with_exports=False):
    """One of the project's experiments (one share list; with ``with_exports``, one
    export-location call per share of that experiment only)."""
    for experiment in experiment_list(ctx, project_id):
        if experiment.id == experiment_id:
            return _with_exports(ctx, experiment) if with_exports else experiment
    raise MountRefused(mounts.UNKNOWN_EXPERIMENT, detail=experiment_id)


def _with_exports(ctx, experiment):
    def load(share):
        if share is None or share.status != mounts.MOUNTABLE_STATUS:
            return share
        paths = shares.export_paths(api.manila.export_locations(ctx, share.id))
        return dataclasses.replace(share, exports=paths)
    return dataclasses.replace(experiment, raw=load(experiment.raw),
                               results=load(experiment.results))


def plan_for(ctx, experiment_id, levels=None, project_id=None):
    """The checked mount plan of one of the project's experiments."""
    mode = mount_mode()
    project_id = project_id or ctx.project_id
    experiment = get_experiment(ctx, experiment_id, project_id,
                                with_exports=mode == mounts.MODE_ACCESS_RULE)
    return mounts.plan(mode, experiment, project_id=project_id, levels=levels)


def user_data_for(plan, home_user=""):
    """cloud-init user-data for a new desktop (built BEFORE the server is created).

    access-rule: mounts of the experiment's NFS exports (None without an experiment).
    virtiofs: mounts of the fixed tags, with or without an experiment, so data attached
    later is mounted at the next boot. With ``home_user``: My storage at
    ``/home/<home_user>`` too (core/cloud_init.home_storage_files).
    """
    mode = mount_mode()
    if mode == mounts.MODE_VIRTIOFS:
        return cloud_init.build_user_data(mode, cloud_init.virtiofs_placeholder_grants(),
                                          plan.experiment_id if plan else "", home_user)
    if plan:
        return cloud_init.plan_user_data(plan, home_user)
    return cloud_init.home_user_data(home_user)


def plan_metadata(plan):
    """Server metadata recording a plan as wanted state ("attaching") + the experiment."""
    metadata = plan.server_metadata(mounts.STATE_ATTACHING)
    metadata[names.META_EXPERIMENT] = plan.experiment_id
    return metadata


def verified_share(ctx, mount, project_id):
    """The Manila share behind a recorded mount, re-checked (metadata is untrusted):
    the desktop's project's, of the recorded kind, at an allowed level."""
    try:
        share = api.manila.share_with_exports(ctx, mount.share_id)
    except api.manila.NotFound as exc:
        # Another project's private share, or a deleted one: same answer.
        raise MountRefused(mounts.UNKNOWN_EXPERIMENT, detail=mount.share_id) from exc
    if share.project_id != project_id:
        raise MountRefused(mounts.OTHER_PROJECT, share)
    if share.kind != mount.kind or not share.experiment:
        raise MountRefused(mounts.UNKNOWN_EXPERIMENT, share, share.kind)
    mounts.check_level(share.kind, mount.level)
    return share
