"""Admin › Desktops › Archives and storage: every project's archived desktops (services/
archives.py) and every user's personal storage (services/home_storage.py), read with
the admin's token: one volume list and one backup list of all projects, and the two
keystone name lists. Reads only."""

import dataclasses
import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard.services import archives
from heps_desktop_dashboard.services import home_storage

LOG = logging.getLogger(__name__)
ALL = {"all_tenants": 1}


@dataclasses.dataclass
class Board:
    archives: list = dataclasses.field(default_factory=list)   # core.archives.Archive
    homes: list = dataclasses.field(default_factory=list)      # home_storage.Home
    projects: dict = dataclasses.field(default_factory=dict)   # id -> name
    users: dict = dataclasses.field(default_factory=dict)      # id -> name
    available: bool = True
    names_missing: bool = False


def board(ctx):
    """The Board; Cinder absent or down gives ``available`` False (nothing else)."""
    found = Board()
    if not api.cinder.in_catalog(ctx):
        found.available = False
        return found
    try:
        volumes = api.cinder.volume_list(ctx, ALL)
        try:
            backups = api.cinder.backup_list(ctx, ALL)
        except api.cinder.NotFound:     # no cinder-backup: volumes only
            backups = []
    except api.cinder.BlockStorageUnavailable as exc:
        LOG.warning("Archives and storage: Cinder unavailable: %s", exc)
        found.available = False
        return found
    found.archives = sorted(archives.collect(volumes, backups),
                            key=lambda a: a.record.archived_at, reverse=True)
    found.homes = sorted((home_storage.home_of(v) for v in volumes if home_storage.is_home(v)),
                         key=lambda h: (h.project_id, h.user_id, h.created))
    try:
        found.projects = api.identity_names.project_names(ctx)
        found.users = api.identity_names.user_names(ctx)
    except Exception as exc:
        LOG.info("Archives and storage: keystone names unavailable: %s", exc)
        found.names_missing = True
    return found
