"""Nova flavors for Admin › Desktop Profiles: create and delete flavors, their extra specs
and flavor access, with an admin's token (nova's default policy: admin only).

Through the plugin's novaclient (api/nova_client.py). Errors raise novaclient exceptions
(Conflict for a name nova already has, BadRequest for an extra spec nova's validation
refuses, NotFound).
"""

from novaclient import exceptions as nova_exceptions
from novaclient.v2 import flavors as nova_flavors

from heps_desktop_dashboard.api import nova_client
from heps_desktop_dashboard.api import nova_flavors as flavor_reads

NotFound = nova_exceptions.NotFound
Conflict = nova_exceptions.Conflict
# nova refused what was asked (4xx), as opposed to failing or not answering
REFUSALS = (nova_exceptions.BadRequest, nova_exceptions.Forbidden, nova_exceptions.NotFound,
            nova_exceptions.Conflict)


def _client(ctx):
    """A novaclient with embedded extra specs and flavor descriptions (2.61+), else the
    base version."""
    try:
        return nova_client.for_feature(ctx, "flavor_extra_specs")
    except nova_client.FeatureNotAvailable:
        return nova_client.client(ctx)


def _flavor(ctx, flavor_id):
    """A flavor object to call actions on, without a GET."""
    return nova_flavors.Flavor(_client(ctx).flavors, {"id": flavor_id}, loaded=True)


def flavor_get(ctx, flavor_id):
    """``(flavor, extra specs)`` of one flavor (one call at 2.61+)."""
    flavor = _client(ctx).flavors.get(flavor_id)
    specs = flavor_reads.flavor_specs(flavor)
    return flavor, specs if specs is not None else dict(flavor.get_keys())


def flavor_create(ctx, name, vcpus, ram_mb, disk_gb, is_public=True, description=None):
    """A new flavor (nova generates its id); returns the novaclient flavor."""
    client = _client(ctx)
    kwargs = {"flavorid": "auto", "is_public": bool(is_public)}
    if description and client.api_version.ver_minor >= 55:
        kwargs["description"] = description[:65535]
    return client.flavors.create(name, int(ram_mb), int(vcpus), int(disk_gb), **kwargs)


def flavor_delete(ctx, flavor_id):
    _client(ctx).flavors.delete(flavor_id)


def flavor_set_specs(ctx, flavor_id, specs):
    """Add or replace extra specs (one call)."""
    if specs:
        _flavor(ctx, flavor_id).set_keys({str(k): str(v) for k, v in specs.items()})


def flavor_unset_specs(ctx, flavor_id, keys):
    """Remove extra specs (one call per key, as nova's API has it)."""
    keys = list(keys)
    if keys:
        _flavor(ctx, flavor_id).unset_keys(keys)


def flavor_access_list(ctx, flavor_id):
    """Project ids a private flavor is shared with."""
    found = _client(ctx).flavor_access.list(flavor=flavor_id)
    return [getattr(item, "tenant_id", "") for item in found if getattr(item, "tenant_id", "")]


def flavor_access_add(ctx, flavor_id, project_id):
    _client(ctx).flavor_access.add_tenant_access(flavor_id, project_id)


def flavor_access_remove(ctx, flavor_id, project_id):
    _client(ctx).flavor_access.remove_tenant_access(flavor_id, project_id)
