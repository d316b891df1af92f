import horizon
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class GoldenImages(horizon.Panel):
    """Admin › Experiment Desktops › Golden Images: the image catalog of the launch form."""

    name = _("Golden Images")
    slug = "golden_images"
    permissions = ("openstack.services.image",)
    # As Horizon's Admin › Images panel: the image service's admin rule, on every URL.
    policy_rules = (("image", "context_is_admin"),)

    def allowed(self, context):
        if (("image" in getattr(settings, "SYSTEM_SCOPE_SERVICES", ()))
                != bool(getattr(context["request"].user, "system_scoped", False))):
            return False
        return super().allowed(context)
