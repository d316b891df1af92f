"""Placement inventory for the Admin GPU Capacity panel: resource providers, and per
provider its inventories, usages, traits and allocations.

Read with the admin user's own token (placement's default policy lets admins read all
of it). Placement has no bulk inventory or allocation listing: the board makes one
``GET /resource_providers`` and a few calls per provider, never one per consumer.
Errors raise keystoneauth exceptions.
"""

# 1.14: parent_provider_uuid and root_provider_uuid on resource providers.
VERSION = "placement 1.14"
# 1.6: GET /resource_providers/{uuid}/traits.
TRAITS_VERSION = "placement 1.6"


def _reader(ctx):
    return ctx.cached("placement", lambda: ctx.adapter("placement"))


def _get(ctx, path, version=VERSION):
    response = _reader(ctx).get(path, headers={"OpenStack-API-Version": version},
                                raise_exc=True)
    return response.json()


def resource_providers(ctx):
    """Every resource provider: dicts with uuid, name, generation,
    parent_provider_uuid and root_provider_uuid."""
    return list(_get(ctx, "/resource_providers").get("resource_providers", []))


def inventories(ctx, provider_uuid):
    """``{resource class: {total, reserved, allocation_ratio, min_unit, max_unit,
    step_size}}`` of one provider."""
    body = _get(ctx, f"/resource_providers/{provider_uuid}/inventories")
    return dict(body.get("inventories") or {})


def usages(ctx, provider_uuid):
    """``{resource class: used}`` of one provider (placement's own sum)."""
    body = _get(ctx, f"/resource_providers/{provider_uuid}/usages")
    return {rc: int(amount) for rc, amount in (body.get("usages") or {}).items()}


def allocations(ctx, provider_uuid):
    """``{consumer uuid: {resource class: amount}}`` on one provider."""
    body = _get(ctx, f"/resource_providers/{provider_uuid}/allocations")
    return {consumer: {rc: int(amount) for rc, amount in
                       ((item or {}).get("resources") or {}).items()}
            for consumer, item in (body.get("allocations") or {}).items()}


def traits(ctx, provider_uuid):
    """The provider's traits (e.g. the vGPU type ``CUSTOM_…`` of a physical GPU)."""
    body = _get(ctx, f"/resource_providers/{provider_uuid}/traits", TRAITS_VERSION)
    return list(body.get("traits") or [])
