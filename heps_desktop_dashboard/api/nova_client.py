"""The compute client of an api context, and microversions negotiated by feature name.

novaclient 18.x speaks up to 2.96; newer features (share attachments 2.97, spice-direct
2.99) go through ``request()`` on the same session (raw REST, same token).
"""

import threading
import time

import novaclient
from keystoneauth1 import adapter
from novaclient import api_versions
from novaclient import client as nova_client
from novaclient import exceptions as nova_exceptions

from heps_desktop_dashboard import exceptions

# Feature -> microversions that provide it, oldest first. The highest one both nova and
# novaclient support is used. 2.47 embeds the flavor (name, extra specs) in servers;
# 2.26 is the floor for tag filtering.
FEATURES = {
    "server_tags": ("2.26", "2.47", "2.96"),
    "create_with_tags": ("2.52", "2.96"),
    "flavor_extra_specs": ("2.61", "2.96"),
    # os-simple-tenant-usage pages (limit/marker, next links) from 2.40.
    "tenant_usage": ("2.1", "2.40"),
    # Newer than novaclient speaks: used through request() only.
    "share_attachments": ("2.97",),
    "spice_direct": ("2.99",),
}
NOVACLIENT_MAX = novaclient.API_MAX_VERSION
BASE_VERSION = "2.1"

# Version discovery costs a GET on the compute root. nova's range only changes on
# upgrade, so it is remembered per endpoint for a few minutes.
_RANGE_TTL = 300
_ranges = {}
_ranges_lock = threading.Lock()

FeatureNotAvailable = exceptions.FeatureNotAvailable


def client(ctx, version=BASE_VERSION):
    """A novaclient of ``ctx`` speaking ``version``, built once per context."""
    if isinstance(version, api_versions.APIVersion):
        version = version.get_string()
    return ctx.cached(("nova", version), lambda: nova_client.Client(
        version, session=ctx.session, endpoint_type=ctx.interface, region_name=ctx.region))


def _version_range(ctx):
    endpoint = ctx.endpoint("compute")
    now = time.monotonic()
    with _ranges_lock:
        cached = _ranges.get(endpoint)
        if cached and now - cached[0] < _RANGE_TTL:
            return cached[1]
    found = api_versions._get_server_version_range(client(ctx))
    with _ranges_lock:
        _ranges[endpoint] = (now, found)
    return found


def microversion(ctx, feature, raw=False):
    """The highest microversion of FEATURES[feature] that nova speaks, and novaclient
    too unless ``raw`` (the call then goes through request())."""
    min_ver, max_ver = _version_range(ctx)
    for candidate in reversed(FEATURES[feature]):
        version = api_versions.APIVersion(candidate)
        if (raw or version <= NOVACLIENT_MAX) and (
            min_ver.is_null() or min_ver <= version <= max_ver
        ):
            return version
    raise FeatureNotAvailable(feature)


def supports(ctx, feature):
    try:
        microversion(ctx, feature, raw=True)
    except FeatureNotAvailable:
        return False
    return True


def for_feature(ctx, feature):
    return client(ctx, microversion(ctx, feature))


def request(ctx, method, path, feature, body=None, log=True):
    """Raw REST on the compute endpoint at the feature's microversion.

    Errors raise novaclient exceptions like any other call. ``log=False`` keeps the
    request and response out of keystoneauth's debug log (console URLs are credentials).
    """
    version = microversion(ctx, feature, raw=True).get_string()
    headers = {
        "X-OpenStack-Nova-API-Version": version,
        "OpenStack-API-Version": f"compute {version}",
        "Accept": "application/json",
    }
    compute = ctx.cached("nova-raw", lambda: ctx.adapter("compute"))
    response = adapter.Adapter.request(compute, path, method, headers=headers, json=body,
                                       raise_exc=False, log=log)
    content = response.json() if response.content else None
    if response.status_code >= 400:
        raise nova_exceptions.from_response(response, content, path, method)
    return content
