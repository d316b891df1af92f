from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.dashboards.admin.base import AdminPanel


class GoldenImages(AdminPanel):
    """Admin › Experiment Desktops › Golden Images: the image catalog of the launch form."""

    name = _("Golden Images")
    slug = "golden_images"
    service = "image"
    permissions = ("openstack.services.image",)
    # As Horizon's Admin › Images panel: the image service's admin rule, on every URL.
    policy_rules = (("image", "context_is_admin"),)
