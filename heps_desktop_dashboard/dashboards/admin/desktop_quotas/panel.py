from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.dashboards.admin.base import AdminPanel


class DesktopQuotas(AdminPanel):
    """Admin › Experiment Desktops › Desktop Quotas: every project's limits and usage."""

    name = _("Desktop Quotas")
    slug = "desktop_quotas"
    permissions = ("openstack.services.compute",)
    # As the other admin panels: compute's admin rule, on every URL (GET and POST).
    policy_rules = (("compute", "context_is_admin"),)
