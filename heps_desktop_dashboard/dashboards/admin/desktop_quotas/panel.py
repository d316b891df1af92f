import horizon
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class DesktopQuotas(horizon.Panel):
    """Admin › Experiment Desktops › Desktop Quotas: every project's limits and usage."""

    name = _("Desktop Quotas")
    slug = "desktop_quotas"
    permissions = ("openstack.services.compute",)
    # As the other admin panels: compute's admin rule, on every URL (GET and POST).
    policy_rules = (("compute", "context_is_admin"),)

    def allowed(self, context):
        if (("compute" in getattr(settings, "SYSTEM_SCOPE_SERVICES", ()))
                != bool(getattr(context["request"].user, "system_scoped", False))):
            return False
        return super().allowed(context)
