"""Identity: keystone unified limits of a project (the GPU quotas), a project's members.

Nova's unified-limits quota driver enforces one keystone limit per resource class a
flavor asks placement for (``class:VGPU``, ``class:CUSTOM_HEPS_GPU_A100``): the
project limit when there is one, else the registered (default) limit of the compute
service. Keystone's default policy lets any project member list both.
"""

from keystoneauth1 import exceptions as ks_exceptions


def _identity(ctx):
    return ctx.cached("keystone", lambda: ctx.adapter("identity", version=(3, 0)))


def _in_region(item, region):
    item_region = item.get("region_id")
    return not item_region or not region or item_region == region


def _value(number):
    # oslo.limit: -1 means unlimited.
    number = int(number)
    return None if number < 0 else number


def compute_limits(ctx, resource_names, project_id=None):
    """Effective limits of ``resource_names`` for a project: ``{name: limit}``, None is
    unlimited. A name with neither a project nor a registered limit is left out (nova
    does not enforce it). At most two calls."""
    wanted = set(resource_names)
    if not wanted:
        return {}
    project_id = project_id or ctx.project_id
    service_id = ctx.service_id("compute")
    params = {"service_id": service_id} if service_id else {}
    found = {}
    body = _identity(ctx).get("/limits", params=dict(params, project_id=project_id)).json()
    for limit in body.get("limits", []):
        if (limit.get("resource_name") in wanted and _in_region(limit, ctx.region)
                and limit.get("project_id") in (None, project_id)):
            found[limit["resource_name"]] = _value(limit["resource_limit"])
    if wanted - set(found):
        body = _identity(ctx).get("/registered_limits", params=params).json()
        for registered in body.get("registered_limits", []):
            name = registered.get("resource_name")
            if name in wanted and name not in found and _in_region(registered, ctx.region):
                found[name] = _value(registered["default_limit"])
    return found


def user_email(ctx, user_id):
    """A user's e-mail address from keystone, or "" (operator context)."""
    body = _identity(ctx).get(f"/users/{user_id}", raise_exc=False)
    if body.status_code != 200:
        return ""
    return (body.json().get("user") or {}).get("email") or ""


Forbidden = ks_exceptions.Forbidden


def project_members(ctx, project_id=None):
    """``{user id: user name}`` of everyone with a role on the project (one call,
    ``GET /v3/role_assignments?scope.project.id=…&include_names``, groups expanded).

    Keystone's default policy allows it to admins and domain/system readers only:
    ``Forbidden`` otherwise.
    """
    project_id = project_id or ctx.project_id
    body = _identity(ctx).get("/role_assignments", params={
        "scope.project.id": project_id, "include_names": "true", "effective": "true"}).json()
    members = {}
    for assignment in body.get("role_assignments", []):
        user = assignment.get("user") or {}
        if user.get("id"):
            members[user["id"]] = user.get("name") or user["id"]
    return members
