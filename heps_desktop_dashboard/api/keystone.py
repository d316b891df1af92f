"""Identity: keystone unified limits of the user's project (the GPU quotas).

Nova's unified-limits quota driver enforces one keystone limit per resource class a
flavor asks placement for (``class:VGPU``, ``class:CUSTOM_HEPS_GPU_A100``): the
project limit when there is one, else the registered (default) limit of the compute
service. Keystone's default policy lets any project member list both
(``identity:list_limits`` and ``identity:list_registered_limits`` are open; a project
token only sees its own project's limits).
"""

from openstack_dashboard.api import keystone as horizon_keystone


def compute_service_id(request):
    """The compute service's id, from the token's catalog (no extra call)."""
    for service in getattr(request.user, "service_catalog", None) or []:
        if service.get("type") == "compute":
            return service.get("id")
    return None


def _in_region(item, region):
    item_region = getattr(item, "region_id", None)
    return not item_region or not region or item_region == region


def _value(number):
    # oslo.limit: -1 means unlimited.
    number = int(number)
    return None if number < 0 else number


def compute_limits(request, resource_names):
    """Effective limits of ``resource_names`` for the user's project.

    ``{name: limit}``; None is unlimited (-1). A name with neither a project nor a
    registered limit is left out: nova's default ``[quota]
    unified_limits_resource_strategy`` does not enforce it.
    At most two calls: the project's limits, then the registered limits only when
    some name has no project limit.
    """
    wanted = set(resource_names)
    if not wanted:
        return {}
    client = horizon_keystone.keystoneclient(request)
    service_id = compute_service_id(request)
    region = getattr(request.user, "services_region", None)
    found = {}
    for limit in client.limits.list(service=service_id, project_id=request.user.project_id):
        if (limit.resource_name in wanted and _in_region(limit, region)
                and getattr(limit, "project_id", None) in (None, request.user.project_id)):
            found[limit.resource_name] = _value(limit.resource_limit)
    if wanted - set(found):
        for registered in client.registered_limits.list(service=service_id):
            name = registered.resource_name
            if name in wanted and name not in found and _in_region(registered, region):
                found[name] = _value(registered.default_limit)
    return found
