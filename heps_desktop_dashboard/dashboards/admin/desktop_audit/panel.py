import horizon
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class DesktopAudit(horizon.Panel):
    """Admin › Experiment Desktops › Desktop Audit: the audit trail's recent events."""

    name = _("Desktop Audit")
    slug = "desktop_audit"
    permissions = ("openstack.services.compute",)
    # As Horizon's Admin › Instances panel: compute's admin rule.
    policy_rules = ((("compute", "context_is_admin"),),)

    def allowed(self, context):
        if (("compute" in getattr(settings, "SYSTEM_SCOPE_SERVICES", ()))
                != bool(getattr(context["request"].user, "system_scoped", False))):
            return False
        return super().allowed(context)
