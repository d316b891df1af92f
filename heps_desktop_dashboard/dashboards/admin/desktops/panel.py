import horizon
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class Desktops(horizon.Panel):
    """Admin › Experiment Desktops › Desktops: every project's desktops."""

    name = _("Desktops")
    slug = "desktops"
    permissions = ("openstack.services.compute",)
    # As Horizon's Admin › Instances panel: compute's admin rule, on every URL (GET and
    # POST) of the panel.
    policy_rules = (("compute", "context_is_admin"),)

    def allowed(self, context):
        if (("compute" in getattr(settings, "SYSTEM_SCOPE_SERVICES", ()))
                != bool(getattr(context["request"].user, "system_scoped", False))):
            return False
        return super().allowed(context)
