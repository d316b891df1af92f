"""Placement reads of the Admin quota and profile panels: the resource classes placement
knows, and any project's usages (admin token). Errors raise keystoneauth exceptions."""

# 1.2: GET /resource_classes; 1.9: GET /usages?project_id=.
CLASSES_VERSION = "placement 1.2"
USAGES_VERSION = "placement 1.9"


def _reader(ctx):
    return ctx.cached("placement", lambda: ctx.adapter("placement"))


def _get(ctx, path, version, params=None):
    response = _reader(ctx).get(path, params=params,
                                headers={"OpenStack-API-Version": version}, raise_exc=True)
    return response.json()


def resource_classes(ctx):
    """Names of every resource class placement knows (standard and ``CUSTOM_…``)."""
    body = _get(ctx, "/resource_classes", CLASSES_VERSION)
    return [item["name"] for item in body.get("resource_classes", []) if item.get("name")]


def usages_of_project(ctx, project_id):
    """``{resource class: used}`` of any project (one call)."""
    body = _get(ctx, "/usages", USAGES_VERSION, {"project_id": project_id})
    return {rc: int(amount) for rc, amount in (body.get("usages") or {}).items()}
