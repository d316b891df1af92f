"""Image service for the Admin dashboard's Golden Images panel: every image with its core
fields, a shared image's members, and catalog property updates (JSON patch).

Raw REST on the context's session, like api/glance.py; glance's default policy lets an
admin read and modify any project's image.
"""

from heps_desktop_dashboard.core import golden

PAGE = 200
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
# Image fields that are not properties.
_CORE_FIELDS = {"id", "name", "status", "visibility", "owner", "size", "checksum",
                "created_at", "updated_at", "tags", "container_format", "disk_format",
                "min_disk", "min_ram", "protected", "file", "schema", "self",
                "virtual_size", "os_hash_algo", "os_hash_value", "os_hidden",
                "direct_url", "locations", "stores"}


def _glance(ctx):
    return ctx.cached("glance", lambda: ctx.adapter("image"))


def _int(value):
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def record(body):
    """A core.golden.ImageRecord of glance's image JSON."""
    size = body.get("virtual_size")
    return golden.ImageRecord(
        id=body["id"], name=body.get("name") or "", status=body.get("status") or "",
        visibility=body.get("visibility") or "", owner=body.get("owner") or "",
        disk_format=body.get("disk_format") or "",
        container_format=body.get("container_format") or "",
        min_ram=_int(body.get("min_ram")), min_disk=_int(body.get("min_disk")),
        virtual_size=size if isinstance(size, int) else None,
        hidden=bool(body.get("os_hidden")),
        properties={k: v for k, v in body.items() if k not in _CORE_FIELDS})


def _pages(ctx, params):
    found = []
    path, params = "/v2/images", dict(params, limit=PAGE)
    while path:
        body = _glance(ctx).get(path, params=params, raise_exc=True).json()
        found += [record(item) for item in body.get("images", [])]
        path, params = body.get("next"), None
    return found


def image_list_all(ctx):
    """Every image of every project (``visibility=all``, page by page), and the hidden
    golden ones (glance leaves ``os_hidden`` images out of every default listing)."""
    found = {image.id: image for image in _pages(ctx, {"visibility": "all"})}
    for image in _pages(ctx, {"visibility": "all", "os_hidden": "true",
                              golden.GOLDEN: "true"}):
        found.setdefault(image.id, image)
    return sorted(found.values(), key=lambda image: (image.name.lower(), image.id))


def image_get(ctx, image_id):
    return record(_glance(ctx).get(f"/v2/images/{image_id}", raise_exc=True).json())


def image_members(ctx, image_id):
    """``{project id: member status}`` of a shared image (one call)."""
    body = _glance(ctx).get(f"/v2/images/{image_id}/members", raise_exc=True).json()
    return {m["member_id"]: m.get("status") or "" for m in body.get("members", [])
            if m.get("member_id")}


def image_update_properties(ctx, image, to_set, to_remove=()):
    """Set and remove properties of ``image`` (its current ImageRecord decides add or
    replace) in one ``PATCH /v2/images/{id}``; the updated ImageRecord."""
    ops = [{"op": "replace" if key in image.properties else "add", "path": f"/{key}",
            "value": str(value)} for key, value in sorted(to_set.items())]
    ops += [{"op": "remove", "path": f"/{key}"} for key in sorted(to_remove)
            if key in image.properties]
    if not ops:
        return image
    response = _glance(ctx).patch(f"/v2/images/{image.id}", json=ops, raise_exc=True,
                                  headers={"Content-Type": PATCH_TYPE})
    return record(response.json())
