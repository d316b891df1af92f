"""What every panel of Admin › Experiment Desktops shares: the service's admin rule on
every URL of the panel (GET and POST), as Horizon's own admin panels declare it, and
Horizon's system-scope switch for that service."""

import horizon
from django.conf import settings


class AdminPanel(horizon.Panel):
    service = "compute"
    permissions = ("openstack.services.compute",)
    policy_rules = (("compute", "context_is_admin"),)

    def allowed(self, context):
        system_scoped = bool(getattr(context["request"].user, "system_scoped", False))
        if (self.service in getattr(settings, "SYSTEM_SCOPE_SERVICES", ())) != system_scoped:
            return False
        return super().allowed(context)
