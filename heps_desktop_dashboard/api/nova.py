"""Compute: desktops are nova servers tagged ``heps-desktop``.

The client is built per request from the request's keystone token and the catalog's
compute endpoint, like Horizon's, but on a keystoneauth session with a token-endpoint
plugin: the user's token is sent as it is. (Horizon's novaclient re-authenticates with
the token, so every page that calls nova costs a fresh keystone token, which nova and
every other service must then validate.) Microversions are negotiated by feature name
against what the deployment's nova offers.
"""

import logging
import threading
import time

import novaclient
from django.conf import settings
from horizon.utils import memoized
from keystoneauth1 import adapter
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from novaclient import api_versions
from novaclient import client as nova_client
from novaclient import exceptions as nova_exceptions
from openstack_dashboard.api import _nova
from openstack_dashboard.api import base
from openstack_dashboard.api import nova as horizon_nova
from openstack_dashboard.utils import settings as setting_utils

from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import profiles

LOG = logging.getLogger(__name__)

# Feature -> microversions that provide it, oldest first. The highest one both nova and
# novaclient support is used. 2.47 embeds the flavor (name, extra specs) in servers, so
# the list needs no flavor lookups; 2.26 is the floor for tag filtering.
FEATURES = {
    "server_tags": ("2.26", "2.47", "2.96"),
    "create_with_tags": ("2.52", "2.96"),
    # Newer than novaclient speaks: used through compute_request() only.
    "share_attachments": ("2.97",),
    "spice_direct": ("2.99",),
}
NOVACLIENT_MAX = novaclient.API_MAX_VERSION

# Version discovery costs a GET on the compute root. nova's range only changes on
# upgrade, so it is remembered per endpoint for a few minutes, not per request.
_RANGE_TTL = 300
_ranges = {}
_ranges_lock = threading.Lock()

SORT_KEYS = ["created_at", "display_name", "uuid"]


FeatureNotAvailable = exceptions.FeatureNotAvailable
InvalidMarker = exceptions.InvalidMarker


@memoized.memoized
def novaclient(request, version=None):
    """A novaclient for this request speaking ``version`` (default 2.1), reusing the token."""
    if isinstance(version, api_versions.APIVersion):
        version = version.get_string()
    endpoint = base.url_for(request, "compute")
    verify = (False if getattr(settings, "OPENSTACK_SSL_NO_VERIFY", False)
              else getattr(settings, "OPENSTACK_SSL_CACERT", None) or True)
    session = ks_session.Session(
        auth=token_endpoint.Token(endpoint, request.user.token.id),
        verify=verify, user_agent="heps-desktop-dashboard")
    return nova_client.Client(version or "2.1", session=session, endpoint_override=endpoint)


def _version_range(request):
    endpoint = base.url_for(request, "compute")
    now = time.monotonic()
    with _ranges_lock:
        cached = _ranges.get(endpoint)
        if cached and now - cached[0] < _RANGE_TTL:
            return cached[1]
    client = novaclient(request)
    found = api_versions._get_server_version_range(client)
    with _ranges_lock:
        _ranges[endpoint] = (now, found)
    return found


def get_microversion(request, feature, raw=False):
    """The highest microversion of FEATURES[feature] that nova speaks, and novaclient
    too unless ``raw`` (the call then goes through compute_request())."""
    min_ver, max_ver = _version_range(request)
    for candidate in reversed(FEATURES[feature]):
        version = api_versions.APIVersion(candidate)
        if (raw or version <= NOVACLIENT_MAX) and (
            min_ver.is_null() or min_ver <= version <= max_ver
        ):
            return version
    raise FeatureNotAvailable(feature)


def supports(request, feature):
    try:
        get_microversion(request, feature, raw=True)
    except FeatureNotAvailable:
        return False
    return True


def compute_request(request, method, path, feature, body=None):
    """Raw REST on the compute endpoint for microversions newer than novaclient speaks.

    It goes through Horizon's own novaclient session (same token, same endpoint, no
    second client stack); errors raise novaclient exceptions like any other call.
    """
    version = get_microversion(request, feature, raw=True).get_string()
    session_client = novaclient(request).client
    headers = {
        "X-OpenStack-Nova-API-Version": version,
        "OpenStack-API-Version": f"compute {version}",
        "Accept": "application/json",
    }
    # keystoneauth's Adapter.request, not novaclient's override that would put its own
    # (older) microversion header back.
    response = adapter.Adapter.request(session_client, path, method, headers=headers,
                                       json=body, raise_exc=False)
    content = response.json() if response.content else None
    if response.status_code >= 400:
        raise nova_exceptions.from_response(response, content, path, method)
    return content


def client_for(request, feature):
    return novaclient(request, version=get_microversion(request, feature))


def page_size(request):
    return setting_utils.get_page_size(request)


def desktop_list_paged(request, marker=None, reversed_order=False):
    """One page of the project's desktops: a single ``GET /servers/detail?tags=...``.

    Returns ``(servers, has_more, has_prev)`` in Horizon's marker-pagination shape.
    An unknown or stale marker raises ``InvalidMarker``.
    """
    client = client_for(request, "server_tags")
    size = page_size(request)
    search_opts = {
        "tags": desktops.DESKTOP_TAG,
        "project_id": request.user.tenant_id,
        "limit": size + 1,
    }
    if marker:
        search_opts["marker"] = marker
    sort_dir = "asc" if reversed_order else "desc"
    try:
        servers = client.servers.list(
            detailed=True,
            search_opts=search_opts,
            sort_keys=SORT_KEYS,
            sort_dirs=[sort_dir] * len(SORT_KEYS),
        )
    except nova_exceptions.BadRequest as exc:
        if marker and "marker" in str(exc).lower():
            raise InvalidMarker(marker) from exc
        raise
    return horizon_nova.update_pagination(list(servers), size, marker, reversed_order)


def desktop_create(request, *, name, image_id, flavor_id, metadata, network_id=None,
                   security_groups=None, user_data=None):
    """Create a desktop server: tagged ``heps-desktop`` at creation, no floating IP."""
    client = client_for(request, "create_with_tags")
    nics = [{"net-id": network_id}] if network_id else "none"
    return client.servers.create(
        name,
        image_id,
        flavor_id,
        meta=metadata,
        nics=nics,
        security_groups=security_groups or None,
        userdata=user_data,
        tags=[desktops.DESKTOP_TAG],
    )


def desktop_get(request, desktop_id):
    """One desktop (``GET /servers/{id}``); a server that is not a desktop is NotFound.

    nova already hides other projects' servers; the tag check keeps the panel from
    acting on the project's ordinary instances through a hand-made URL.
    """
    server = client_for(request, "server_tags").servers.get(desktop_id)
    if not desktops.is_desktop(getattr(server, "tags", None)):
        raise nova_exceptions.NotFound(404, f"server {desktop_id} is not a desktop")
    return server


def _server_action(request, desktop_id, method, *args, **kwargs):
    """Run a server action on a verified desktop (tag checked, nova checks the project)."""
    desktop_get(request, desktop_id)
    client = client_for(request, "server_tags")
    return getattr(client.servers, method)(desktop_id, *args, **kwargs)


def desktop_start(request, desktop_id):
    return _server_action(request, desktop_id, "start")


def desktop_stop(request, desktop_id):
    return _server_action(request, desktop_id, "stop")


def desktop_reboot(request, desktop_id, hard=False):
    return _server_action(request, desktop_id, "reboot", "HARD" if hard else "SOFT")


def desktop_shelve(request, desktop_id):
    return _server_action(request, desktop_id, "shelve")


def desktop_unshelve(request, desktop_id):
    return _server_action(request, desktop_id, "unshelve")


def desktop_delete(request, desktop_id):
    return _server_action(request, desktop_id, "delete")


def desktop_rename(request, desktop_id, name):
    return _server_action(request, desktop_id, "update", name=name)


def desktop_set_metadata(request, desktop_id, metadata):
    return _server_action(request, desktop_id, "set_meta", metadata)


def console_output(request, desktop_id, length=None):
    return _server_action(request, desktop_id, "get_console_output", length=length)


def action_list(request, desktop_id):
    """nova instance actions (the Action log tab), newest first."""
    desktop_get(request, desktop_id)
    client = client_for(request, "server_tags")
    actions = client.instance_action.list(desktop_id)
    return sorted(actions, key=lambda a: getattr(a, "start_time", "") or "", reverse=True)


def spice_direct_console_url(request, desktop_id):
    """URL of a native SPICE console (``spice-direct``, compute microversion 2.99).

    ``POST /servers/{id}/remote-consoles`` answers ``{"remote_console": {"protocol":
    "spice", "type": "spice-direct", "url": "<spice_direct_proxy_base_url>?token=..."}}``;
    the token is what a native SPICE proxy (e.g. Kerbside) resolves through
    ``os-console-auth-tokens``. The caller must have verified the desktop (desktop_get).
    The request and response are kept out of keystoneauth's HTTP debug log: the URL is a
    credential.
    """
    version = get_microversion(request, "spice_direct", raw=True).get_string()
    session_client = novaclient(request).client
    headers = {
        "X-OpenStack-Nova-API-Version": version,
        "OpenStack-API-Version": f"compute {version}",
        "Accept": "application/json",
    }
    path = f"/servers/{desktop_id}/remote-consoles"
    body = {"remote_console": {"protocol": "spice", "type": "spice-direct"}}
    response = adapter.Adapter.request(session_client, path, "POST", headers=headers,
                                       json=body, raise_exc=False, log=False)
    content = response.json() if response.content else None
    if response.status_code >= 400:
        raise nova_exceptions.from_response(response, content, path, "POST")
    return content["remote_console"]["url"]


# --- launch form: quota readings, double-submit check, clean-up ------------------------

def absolute_limits(request):
    """nova ``GET /limits`` "absolute": limits and usage of instances, cores and RAM.

    One call, through Horizon's openstacksdk compute proxy (the user's token as is):
    Horizon's novaclient path would first fetch a new token and discover versions
    (three more calls). With the unified-limits quota driver nova reads the limits from
    keystone and the usage from placement; -1 means unlimited.
    """
    response = _nova.computeclient(request).get("/limits", raise_exc=False)
    body = response.json() if response.content else {}
    if response.status_code >= 400:
        raise nova_exceptions.from_response(response, body, "/limits", "GET")
    return dict(body["limits"]["absolute"])


def profile_list_with_specs(request):
    """Desktop profiles with their flavor's extra specs, ``[(Profile, specs)]``.

    One flavor list call; the launch form also needs the scheduling specs (GPU
    resource classes and traits) a Profile leaves out.
    """
    # Compute >= 2.61 embeds every flavor's extra specs in the list. Asking openstacksdk
    # for them (get_extras=True) would cost one more call per flavor that has none; only
    # when no flavor came with any (an older nova) are they fetched one by one.
    flavors = horizon_nova.flavor_list(request)
    if not any(getattr(flavor, "extra_specs", None) for flavor in flavors):
        flavors = horizon_nova.flavor_list(request, get_extras=True)
    found = []
    for flavor in flavors:
        specs = dict(getattr(flavor, "extra_specs", None) or {})
        if not profiles.is_profile(specs):
            continue
        try:
            profile = profiles.profile_from_flavor(
                flavor.id, flavor.name, flavor.vcpus, flavor.ram, flavor.disk, specs)
        except profiles.InvalidProfile:
            LOG.warning("Flavor %s is marked as a desktop profile but is inconsistent",
                        flavor.id)
            continue
        found.append((profile, specs))
    return sorted(found, key=lambda item: (item[0].gpu_kind == profiles.GPU_NONE,
                                           item[0].name))


def gpu_usage_from_servers(request):
    """The project's GPU usage per resource class, counted from its servers' flavors.

    One ``GET /servers/detail`` (flavors embedded, microversion >= 2.47); used when
    placement's ``/usages`` cannot be read. Shelved-offloaded servers hold no GPU.
    """
    from heps_desktop_dashboard.core import quota

    servers = client_for(request, "server_tags").servers.list(
        detailed=True, search_opts={"project_id": request.user.tenant_id})
    return quota.gpu_usage_from_servers(
        (server.status, (getattr(server, "flavor", None) or {}).get("extra_specs") or {})
        for server in servers)


def recent_desktops(request, seconds):
    """The project's desktops created in the last ``seconds`` (one call, ``changes-since``)."""
    import datetime

    since = desktops.utcnow() - datetime.timedelta(seconds=seconds)
    servers = client_for(request, "server_tags").servers.list(
        detailed=True,
        search_opts={
            "tags": desktops.DESKTOP_TAG,
            "project_id": request.user.tenant_id,
            "changes-since": desktops.format_expiry(since),
        },
    )
    recent = []
    for server in servers:
        if str(getattr(server, "status", "")).upper() in ("DELETED", "SOFT_DELETED"):
            continue
        try:
            created = desktops.parse_expiry(getattr(server, "created", None))
        except desktops.InvalidDesktopMetadata:
            continue
        if created >= since:
            recent.append(server)
    return recent


def desktop_discard(request, server_id):
    """Delete a server the current request has just created (launch clean-up).

    No tag check, unlike desktop_delete(): the launch may be failing precisely because
    the new server came back without its tag.
    """
    novaclient(request).servers.delete(server_id)
