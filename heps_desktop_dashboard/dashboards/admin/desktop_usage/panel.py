from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.dashboards.admin.base import AdminPanel


class DesktopUsage(AdminPanel):
    """Admin › Experiment Desktops › Usage: desktop-hours and GPU-hours of every project."""

    name = _("Usage")
    slug = "desktop_usage"
    permissions = ("openstack.services.compute",)
    # Compute's admin rule on every URL (nova's usage of all projects is admin-only).
    policy_rules = (("compute", "context_is_admin"),)
