"""Image service: golden images and the images desktops were booted from.

Raw REST on the context's session (``GET /v2/images``): one call per question, the
same on every Horizon release.
"""

import dataclasses

from heps_desktop_dashboard.core import images

# Image fields that are not properties.
_CORE_FIELDS = {"id", "name", "status", "visibility", "owner", "size", "checksum",
                "created_at", "updated_at", "tags", "container_format", "disk_format",
                "min_disk", "min_ram", "protected", "file", "schema", "self",
                "virtual_size", "os_hash_algo", "os_hash_value", "os_hidden",
                "direct_url", "locations", "stores"}
PAGE = 200


@dataclasses.dataclass(frozen=True)
class Image:
    id: str
    name: str
    status: str
    properties: dict


def _image(body):
    props = {k: v for k, v in body.items() if k not in _CORE_FIELDS}
    return Image(id=body["id"], name=body.get("name") or "", status=body.get("status") or "",
                 properties=props)


def _list(ctx, params):
    glance = ctx.cached("glance", lambda: ctx.adapter("image"))
    found = []
    path = "/v2/images"
    params = dict(params, limit=PAGE)
    while path:
        body = glance.get(path, params=params).json()
        found += [_image(item) for item in body.get("images", [])]
        path, params = body.get("next"), None
    return found


def images_by_id(ctx, image_ids):
    """The images with these ids that the context can see, in ONE call (``id=in:...``)."""
    ids = sorted({i for i in image_ids if i})
    if not ids:
        return {}
    return {image.id: image for image in _list(ctx, {"id": "in:" + ",".join(ids)})}


# nova copies an image's properties (heps_golden included) into its snapshots, shelve
# and backup images: those are never offered for launch.
NOVA_IMAGE_TYPES = ("snapshot", "backup")


def golden_image_list(ctx):
    """Active golden images (``heps_golden=true``) the context can see, in one call;
    nova's snapshot, shelve and backup images of them left out."""
    found = _list(ctx, {images.GOLDEN_PROPERTY: "true", "status": "active"})
    return sorted((image for image in found if images.is_golden(image)
                   and image.properties.get("image_type") not in NOVA_IMAGE_TYPES),
                  key=lambda image: (image.name or "").lower())
