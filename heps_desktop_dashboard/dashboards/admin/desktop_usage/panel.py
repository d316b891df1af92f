import horizon
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class DesktopUsage(horizon.Panel):
    """Admin › Experiment Desktops › Usage: desktop-hours and GPU-hours of every project."""

    name = _("Usage")
    slug = "desktop_usage"
    permissions = ("openstack.services.compute",)
    # Compute's admin rule on every URL (nova's usage of all projects is admin-only).
    policy_rules = (("compute", "context_is_admin"),)

    def allowed(self, context):
        if (("compute" in getattr(settings, "SYSTEM_SCOPE_SERVICES", ()))
                != bool(getattr(context["request"].user, "system_scoped", False))):
            return False
        return super().allowed(context)
