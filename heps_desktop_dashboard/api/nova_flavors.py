"""Compute flavors and quota: desktop profiles, ``/limits``, GPU usage from servers.

Through the plugin's own novaclient (api/nova_client.py), not Horizon's wrappers: Horizon
25.x and 26+ return flavors in different shapes (``.extras`` vs ``.extra_specs``) and
only 26+ has an openstacksdk compute client.
"""

import logging

from heps_desktop_dashboard.api import nova_client
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import quota

LOG = logging.getLogger(__name__)


def absolute_limits(ctx):
    """nova ``GET /limits`` "absolute" (one call): limits and usage of instances, cores
    and RAM. With the unified-limits quota driver nova reads the limits from keystone
    and the usage from placement; -1 means unlimited."""
    limits = nova_client.client(ctx).limits.get(reserved=False)
    return {item.name: item.value for item in limits.absolute}


def flavor_specs(flavor):
    """A novaclient flavor's extra specs, embedded since microversion 2.61."""
    info = getattr(flavor, "_info", None) or {}
    specs = info.get("extra_specs")
    if specs is None:
        specs = getattr(flavor, "extra_specs", None)
    return dict(specs) if isinstance(specs, dict) else None


def flavors_with_specs(ctx):
    """``[(flavor, specs)]`` of every flavor the context can use: one list call (2.61+
    embeds extra specs), or one more call per flavor on an older nova."""
    client = nova_client.for_feature(ctx, "server_tags")
    try:
        client = nova_client.for_feature(ctx, "flavor_extra_specs")
    except nova_client.FeatureNotAvailable:
        LOG.info("nova < 2.61: reading flavor extra specs one flavor at a time")
    found = []
    for flavor in client.flavors.list(detailed=True, is_public=None):
        specs = flavor_specs(flavor)
        found.append((flavor, specs if specs is not None else dict(flavor.get_keys())))
    return found


def profile_list_with_specs(ctx):
    """Desktop profiles with their flavor's extra specs, ``[(Profile, specs)]``, GPU
    profiles first, then by name. Retired profiles (``heps:retired``) are left out:
    they are kept only for the desktops that still use them."""
    found = []
    for flavor, specs in flavors_with_specs(ctx):
        if not profiles.is_profile(specs) or profiles.is_retired(specs):
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


def gpu_usage_from_servers(ctx):
    """The project's GPU usage per resource class, counted from its servers' flavors
    (one ``GET /servers/detail``); used when placement's ``/usages`` cannot be read."""
    servers = nova_client.for_feature(ctx, "server_tags").servers.list(
        detailed=True, search_opts={"project_id": ctx.project_id})
    return quota.gpu_usage_from_servers(
        (server.status, (getattr(server, "flavor", None) or {}).get("extra_specs") or {})
        for server in servers)
