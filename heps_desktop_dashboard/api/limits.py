"""Keystone unified limits of the compute service for the Admin dashboard: registered
(default) limits and every project's limits, read and written with an admin's token.

Keystone's default policy gives these writes to admins. A refusal raises keystoneauth's
BadRequest (e.g. a project limit without a registered limit), Forbidden or Conflict;
an unreachable keystone ConnectFailure and friends.
"""

from keystoneauth1 import exceptions as ks_exceptions

HttpError = ks_exceptions.HttpError
# 4xx: keystone refused the call (what was asked, not keystone, is at fault)
ClientError = ks_exceptions.HTTPClientError


def _identity(ctx):
    return ctx.cached("keystone", lambda: ctx.adapter("identity", version=(3, 0)))


def compute_service_id(ctx):
    """The compute service's id: from the token's catalog, else ``GET /v3/services``."""
    found = ctx.service_id("compute")
    if found:
        return found

    def lookup():
        body = _identity(ctx).get("/services", params={"type": "compute"}).json()
        services = body.get("services") or []
        return services[0]["id"] if services else None

    return ctx.cached("compute-service-id", lookup)


def _in_region(item, region):
    item_region = item.get("region_id")
    return not item_region or not region or item_region == region


def registered_limits(ctx):
    """The compute service's registered limits in the context's region (dicts with id,
    resource_name, default_limit, region_id): one call."""
    params = {"service_id": compute_service_id(ctx)}
    body = _identity(ctx).get("/registered_limits", params=params).json()
    return [item for item in body.get("registered_limits", [])
            if _in_region(item, ctx.region)]


def project_limits(ctx, project_id=None):
    """The compute service's project limits (dicts with id, project_id, resource_name,
    resource_limit, region_id) of one project, or of every project: one call."""
    params = {"service_id": compute_service_id(ctx)}
    if project_id:
        params["project_id"] = project_id
    body = _identity(ctx).get("/limits", params=params).json()
    return [item for item in body.get("limits", [])
            if _in_region(item, ctx.region) and item.get("project_id")]


def registered_limit_create(ctx, resource_name, default_limit, region_id=None):
    item = {"service_id": compute_service_id(ctx), "resource_name": resource_name,
            "default_limit": int(default_limit)}
    if region_id or ctx.region:
        item["region_id"] = region_id or ctx.region
    body = _identity(ctx).post("/registered_limits",
                               json={"registered_limits": [item]}).json()
    return body["registered_limits"][0]


def registered_limit_update(ctx, limit_id, default_limit):
    body = _identity(ctx).patch(f"/registered_limits/{limit_id}", json={
        "registered_limit": {"default_limit": int(default_limit)}}).json()
    return body["registered_limit"]


def registered_limit_delete(ctx, limit_id):
    """Keystone refuses (Forbidden) while project limits refer to it."""
    _identity(ctx).delete(f"/registered_limits/{limit_id}")


def limit_create(ctx, project_id, resource_name, resource_limit, region_id=None):
    """A project limit; keystone refuses one without a registered limit of the same
    service, region and resource."""
    item = {"service_id": compute_service_id(ctx), "project_id": project_id,
            "resource_name": resource_name, "resource_limit": int(resource_limit)}
    if region_id:
        item["region_id"] = region_id
    body = _identity(ctx).post("/limits", json={"limits": [item]}).json()
    return body["limits"][0]


def limit_update(ctx, limit_id, resource_limit):
    body = _identity(ctx).patch(f"/limits/{limit_id}", json={
        "limit": {"resource_limit": int(resource_limit)}}).json()
    return body["limit"]


def limit_delete(ctx, limit_id):
    _identity(ctx).delete(f"/limits/{limit_id}")


def refusal_text(exc):
    """Keystone's own words of a refused call (its JSON error message), or the
    exception's text."""
    response = getattr(exc, "response", None)
    try:
        error = (response.json() or {}).get("error") or {}
        message = error.get("message")
    except Exception:
        message = None
    return str(message or getattr(exc, "message", "") or exc)
