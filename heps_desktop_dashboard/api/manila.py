"""Shared file systems (Manila): experiment shares, access rules, snapshots, quotas.

python-manilaclient on the api context's session, one client per context, at
microversion 2.45 (access-rule metadata: how the plugin finds the rules it made). Every
function raises ``ShareServiceUnavailable`` when Manila is unreachable or answers 5xx.
"""

import logging

from manilaclient import api_versions
from manilaclient import client as manila_client
from manilaclient.common.apiclient import exceptions as manila_exceptions

from heps_desktop_dashboard import conf
from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.api import unavailable
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import shares

LOG = logging.getLogger(__name__)

SERVICE_TYPE = "sharev2"
MICROVERSION = "2.45"
# Operators only (management command): resource locks (2.81), unrestricted deny of a rule
# that nova locked for a share attachment (2.82).
LOCKS_MICROVERSION = "2.82"

NotFound = manila_exceptions.NotFound
BadRequest = manila_exceptions.BadRequest
ClientException = manila_exceptions.ClientException


class ShareServiceUnavailable(exceptions.DesktopError):
    """Manila cannot be reached, or failed (5xx)."""


_translate_errors = unavailable.translating(
    ShareServiceUnavailable, connection_errors=(manila_exceptions.ConnectionError,),
    http_errors=(manila_exceptions.HttpError,))


def manilaclient(ctx, microversion=MICROVERSION):
    """The context's manila client (its session, the catalog's ``sharev2`` endpoint)."""
    def build():
        return manila_client.Client(
            microversion, session=ctx.session, service_type=SERVICE_TYPE,
            endpoint_type=ctx.interface, region_name=ctx.region,
            timeout=conf.get("api_timeout_seconds"),
            api_version=api_versions.APIVersion(microversion))
    return ctx.cached(("manila", microversion), build)


def _client(ctx):
    return manilaclient(ctx)


def _info(resource):
    return dict(getattr(resource, "_info", None) or resource.to_dict())


@_translate_errors
def share_list(ctx, search_opts=None):
    """Shares visible to the project (its own and public ones), as JSON dicts."""
    found = _client(ctx).shares.list(detailed=True, search_opts=search_opts or {})
    return [_info(share) for share in found]


@_translate_errors
def share_get(ctx, share_id):
    return _info(_client(ctx).shares.get(share_id))


@_translate_errors
def export_locations(ctx, share_id):
    return [_info(loc) for loc in _client(ctx).share_export_locations.list(share_id)]


def experiment_shares(ctx, project_id=None, with_exports=False):
    """Experiment shares of a project (the context's, or ``project_id`` for an operator
    or an admin) as ``shares.Share``, in one list call; an operator context without
    ``project_id`` gets every project's.

    ``with_exports`` adds one export-location call per experiment share (needed to
    plan access-rule mounts, not to list).
    """
    project_id = project_id or ctx.project_id
    # The operator, or an admin acting on another project's desktop (Admin › Desktops).
    every = ctx.operator or (ctx.is_admin and project_id != ctx.project_id)
    opts = {"all_tenants": 1} if every else {}
    if every and project_id:
        opts["project_id"] = project_id
    found = []
    for info in share_list(ctx, opts):
        metadata = info.get("metadata") or {}
        if names.SHARE_META_EXPERIMENT not in metadata:
            continue
        if project_id and info.get("project_id") != project_id:
            continue
        exports = shares.export_paths(export_locations(ctx, info["id"])) \
            if with_exports and (info.get("status") or "").lower() == "available" else ()
        found.append(shares.Share.from_api(info, exports))
    return found


def share_with_exports(ctx, share_id):
    info = share_get(ctx, share_id)
    exports = ()
    if (info.get("status") or "").lower() == "available":
        exports = shares.export_paths(export_locations(ctx, share_id))
    return shares.Share.from_api(info, exports)


# --- access rules -------------------------------------------------------------------

@_translate_errors
def access_list(ctx, share_id, metadata=None):
    """Access rules of a share (2.45 ``/share-access-rules``), optionally only those
    whose metadata contains ``metadata``; as JSON dicts."""
    search_opts = {"metadata": dict(metadata)} if metadata else None
    rules = _client(ctx).share_access_rules.access_list(share_id, search_opts)
    return [_info(rule) for rule in rules]


def desktop_rules(ctx, share_id, desktop_id):
    """The rules the plugin made on ``share_id`` for one desktop."""
    rules = access_list(ctx, share_id, {names.RULE_META_DESKTOP: desktop_id})
    # Manila filters on the metadata already; this guards against a server that ignores
    # the filter (an unknown query parameter is silently dropped by older releases).
    return [rule for rule in rules
            if (rule.get("metadata") or {}).get(names.RULE_META_DESKTOP) == desktop_id]


@_translate_errors
def access_allow(ctx, share_id, address, level, metadata):
    """An ``ip`` rule for ``address`` at ``level`` ("ro"/"rw"), tagged with metadata."""
    return dict(_client(ctx).shares.allow(share_id, "ip", address, level,
                                              metadata=metadata))


@_translate_errors
def access_deny(ctx, share_id, rule_id):
    _client(ctx).shares.deny(share_id, rule_id)


# --- snapshots, shares from snapshots, quota ---------------------------------------

@_translate_errors
def snapshot_list(ctx, share_id):
    snapshots = _client(ctx).share_snapshots.list(
        detailed=True, search_opts={"share_id": share_id})
    return [_info(snapshot) for snapshot in snapshots]


@_translate_errors
def snapshot_get(ctx, snapshot_id):
    return _info(_client(ctx).share_snapshots.get(snapshot_id))


@_translate_errors
def snapshot_create(ctx, share_id, name, description=""):
    return _info(_client(ctx).share_snapshots.create(
        share_id, force=False, name=name, description=description or None))


@_translate_errors
def snapshot_delete(ctx, snapshot_id):
    _client(ctx).share_snapshots.delete(snapshot_id)


@_translate_errors
def share_create_from_snapshot(ctx, snapshot, name, description="", metadata=None,
                               share_type=None):
    """A new share holding ``snapshot``'s data (same protocol and size)."""
    share = _client(ctx).shares.create(
        snapshot["share_proto"], snapshot["size"], snapshot_id=snapshot["id"], name=name,
        description=description or None, metadata=metadata or {}, share_type=share_type)
    return _info(share)


@_translate_errors
def share_delete(ctx, share_id):
    _client(ctx).shares.delete(share_id)


@_translate_errors
def quota_usage(ctx):
    """The project's share quota with usage: {resource: {"limit", "in_use", ...}}."""
    quota = _client(ctx).quotas.get(ctx.project_id, detail=True)
    return {key: value for key, value in _info(quota).items() if isinstance(value, dict)}


# --- operators: locks that nova puts on the rules of share attachments -------------------

@_translate_errors
def rule_locks(ctx, rule_id):
    """Resource locks on an access rule (operator context)."""
    locks = manilaclient(ctx, LOCKS_MICROVERSION).resource_locks.list(search_opts={
        "resource_id": rule_id, "resource_type": "access_rule", "all_projects": True})
    return [_info(lock) for lock in locks]


@_translate_errors
def access_deny_unrestricted(ctx, share_id, rule_id):
    """Deny a rule even when it is locked (operator context)."""
    manilaclient(ctx, LOCKS_MICROVERSION).shares.deny(share_id, rule_id, unrestrict=True)
