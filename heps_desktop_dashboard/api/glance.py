"""Image service: golden images and the images desktops were booted from.

Horizon's glance wrapper already builds the client from the request; this module only
adds the queries the plugin needs.
"""

from openstack_dashboard.api import glance as horizon_glance

from heps_desktop_dashboard.core import images


def images_by_id(request, image_ids):
    """The images with these ids that the user can see, in ONE call (``id=in:...``)."""
    ids = sorted({i for i in image_ids if i})
    if not ids:
        return {}
    found, _more, _prev = horizon_glance.image_list_detailed(
        request, filters={"id": "in:" + ",".join(ids)}
    )
    return {image.id: image for image in found}


def golden_image_list(request):
    """Active golden images (``heps_golden=true``) the user can see, in one call."""
    found, _more, _prev = horizon_glance.image_list_detailed(
        request, filters={images.GOLDEN_PROPERTY: "true", "status": "active"}
    )
    return sorted(
        (image for image in found if images.is_golden(image)),
        key=lambda image: (image.name or "").lower(),
    )
