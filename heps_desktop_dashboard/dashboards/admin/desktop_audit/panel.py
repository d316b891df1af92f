from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.dashboards.admin.base import AdminPanel


class DesktopAudit(AdminPanel):
    """Admin › Experiment Desktops › Desktop Audit: the audit trail's recent events."""

    name = _("Desktop Audit")
    slug = "desktop_audit"
    permissions = ("openstack.services.compute",)
    # As Horizon's Admin › Instances panel: compute's admin rule.
    policy_rules = ((("compute", "context_is_admin"),),)
