"""Shared file systems (Manila): experiment shares, access rules, snapshots, quotas.

The client is python-manilaclient, built from the request like Horizon builds its
cinder client and manila-ui its manila client: the user's token and the catalog's
``sharev2`` endpoint, memoized per request. It speaks microversion 2.45, the first
with access-rule metadata and the ``/share-access-rules`` list that filters on it:
that is how the plugin tags the rules it creates (``heps:desktop=<server id>``) and
finds them again without a database. Nothing newer is needed (snapshots, create from
snapshot, export locations and quota usage are all older).

Every function raises ``ShareServiceUnavailable`` (a recoverable plugin error) when
Manila cannot be reached or answers 5xx, so callers can say "Manila is down" rather
than "something went wrong".
"""

import functools
import logging

import requests
from django.conf import settings
from horizon.utils import memoized
from keystoneauth1 import exceptions as ks_exceptions
from manilaclient import api_versions
from manilaclient import client as manila_client
from manilaclient.common.apiclient import exceptions as manila_exceptions
from openstack_dashboard.api import base

from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.core import mounts

LOG = logging.getLogger(__name__)

SERVICE_TYPE = "sharev2"
MICROVERSION = "2.45"
# Operators only (management command): resource locks (2.81), unrestricted deny of a rule
# that nova locked for a share attachment (2.82).
LOCKS_MICROVERSION = "2.82"
# Seconds before a silent Manila counts as down (a web request must not hang on it).
TIMEOUT = 20

NotFound = manila_exceptions.NotFound
BadRequest = manila_exceptions.BadRequest
ClientException = manila_exceptions.ClientException


class ShareServiceUnavailable(exceptions.DesktopError):
    """Manila cannot be reached, or failed (5xx)."""


def _translate_errors(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                manila_exceptions.ConnectionError, ks_exceptions.ConnectFailure,
                ks_exceptions.ConnectTimeout, ks_exceptions.EndpointNotFound) as exc:
            raise ShareServiceUnavailable(str(exc)) from exc
        except manila_exceptions.HttpError as exc:
            if (exc.http_status or 0) >= 500:
                raise ShareServiceUnavailable(str(exc)) from exc
            raise
        except ks_exceptions.HttpError as exc:
            if exc.http_status and exc.http_status >= 500:
                raise ShareServiceUnavailable(str(exc)) from exc
            raise
    return wrapper


def share_endpoint(request):
    try:
        return base.url_for(request, SERVICE_TYPE)
    except Exception as exc:  # horizon's ServiceCatalogException and friends
        raise ShareServiceUnavailable("no sharev2 endpoint in the catalog") from exc


@memoized.memoized
def manilaclient(request):
    """The request's manila client (token + catalog endpoint), one per request."""
    client = manila_client.Client(
        MICROVERSION,
        username=request.user.username,
        input_auth_token=request.user.token.id,
        project_id=request.user.tenant_id,
        service_catalog_url=share_endpoint(request),
        insecure=getattr(settings, "OPENSTACK_SSL_NO_VERIFY", False),
        cacert=getattr(settings, "OPENSTACK_SSL_CACERT", None),
        timeout=TIMEOUT,
        http_log_debug=getattr(settings, "DEBUG", False),
        api_version=api_versions.APIVersion(MICROVERSION),
    )
    return client


def client_from_session(session, region_name=None, interface="public",
                        microversion=MICROVERSION):
    """A manila client for a keystoneauth session (management commands, tests)."""
    return manila_client.Client(
        microversion, session=session, region_name=region_name, endpoint_type=interface,
        service_type=SERVICE_TYPE, timeout=TIMEOUT,
        api_version=api_versions.APIVersion(microversion))


def _client(request_or_client):
    # Functions take a Django request (the normal case) or a ready client (commands).
    if hasattr(request_or_client, "shares"):
        return request_or_client
    return manilaclient(request_or_client)


def _info(resource):
    return dict(getattr(resource, "_info", None) or resource.to_dict())


@_translate_errors
def share_list(request, search_opts=None):
    """Shares visible to the project (its own and public ones), as JSON dicts."""
    shares = _client(request).shares.list(detailed=True, search_opts=search_opts or {})
    return [_info(share) for share in shares]


@_translate_errors
def share_get(request, share_id):
    return _info(_client(request).shares.get(share_id))


@_translate_errors
def export_locations(request, share_id):
    return [_info(loc) for loc in _client(request).share_export_locations.list(share_id)]


def experiment_shares(request, with_exports=False):
    """The project's experiment shares as ``mounts.Share`` (one list call).

    ``with_exports`` adds one export-location call per experiment share (needed to
    plan access-rule mounts, not to list).
    """
    project_id = request.user.tenant_id
    found = []
    for info in share_list(request):
        metadata = info.get("metadata") or {}
        if mounts.SHARE_META_EXPERIMENT not in metadata or info.get("project_id") != project_id:
            continue
        exports = mounts.export_paths(export_locations(request, info["id"])) \
            if with_exports and (info.get("status") or "").lower() == "available" else ()
        found.append(mounts.Share.from_api(info, exports))
    return found


def share_with_exports(request, share_id):
    info = share_get(request, share_id)
    exports = ()
    if (info.get("status") or "").lower() == "available":
        exports = mounts.export_paths(export_locations(request, share_id))
    return mounts.Share.from_api(info, exports)


# --- access rules -------------------------------------------------------------------

@_translate_errors
def access_list(request, share_id, metadata=None):
    """Access rules of a share (2.45 ``/share-access-rules``), optionally only those
    whose metadata contains ``metadata``; as JSON dicts."""
    search_opts = {"metadata": dict(metadata)} if metadata else None
    rules = _client(request).share_access_rules.access_list(share_id, search_opts)
    return [_info(rule) for rule in rules]


def desktop_rules(request, share_id, desktop_id):
    """The rules the plugin made on ``share_id`` for one desktop."""
    rules = access_list(request, share_id, {mounts.RULE_META_DESKTOP: desktop_id})
    # Manila filters on the metadata already; this guards against a server that ignores
    # the filter (an unknown query parameter is silently dropped by older releases).
    return [rule for rule in rules
            if (rule.get("metadata") or {}).get(mounts.RULE_META_DESKTOP) == desktop_id]


@_translate_errors
def access_allow(request, share_id, address, level, metadata):
    """An ``ip`` rule for ``address`` at ``level`` ("ro"/"rw"), tagged with metadata."""
    return dict(_client(request).shares.allow(share_id, "ip", address, level,
                                              metadata=metadata))


@_translate_errors
def access_deny(request, share_id, rule_id):
    _client(request).shares.deny(share_id, rule_id)


# --- snapshots, shares from snapshots, quota ---------------------------------------

@_translate_errors
def snapshot_list(request, share_id):
    snapshots = _client(request).share_snapshots.list(
        detailed=True, search_opts={"share_id": share_id})
    return [_info(snapshot) for snapshot in snapshots]


@_translate_errors
def snapshot_get(request, snapshot_id):
    return _info(_client(request).share_snapshots.get(snapshot_id))


@_translate_errors
def snapshot_create(request, share_id, name, description=""):
    return _info(_client(request).share_snapshots.create(
        share_id, force=False, name=name, description=description or None))


@_translate_errors
def snapshot_delete(request, snapshot_id):
    _client(request).share_snapshots.delete(snapshot_id)


@_translate_errors
def share_create_from_snapshot(request, snapshot, name, description="", metadata=None,
                               share_type=None):
    """A new share holding ``snapshot``'s data (same protocol and size)."""
    share = _client(request).shares.create(
        snapshot["share_proto"], snapshot["size"], snapshot_id=snapshot["id"], name=name,
        description=description or None, metadata=metadata or {}, share_type=share_type)
    return _info(share)


@_translate_errors
def share_delete(request, share_id):
    _client(request).shares.delete(share_id)


@_translate_errors
def quota_usage(request):
    """The project's share quota with usage: {resource: {"limit", "in_use", ...}}."""
    quota = _client(request).quotas.get(request.user.tenant_id, detail=True)
    return {key: value for key, value in _info(quota).items() if isinstance(value, dict)}


# --- operators: locks that nova puts on the rules of share attachments -------------------

@_translate_errors
def rule_locks(client, rule_id):
    """Resource locks on an access rule (needs a LOCKS_MICROVERSION admin client)."""
    locks = client.resource_locks.list(search_opts={
        "resource_id": rule_id, "resource_type": "access_rule", "all_projects": True})
    return [_info(lock) for lock in locks]


@_translate_errors
def access_deny_unrestricted(client, share_id, rule_id):
    """Deny a rule even when it is locked (admin, LOCKS_MICROVERSION client)."""
    client.shares.deny(share_id, rule_id, unrestrict=True)
