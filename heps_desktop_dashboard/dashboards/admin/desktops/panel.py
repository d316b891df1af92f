from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.dashboards.admin.base import AdminPanel


class Desktops(AdminPanel):
    """Admin › Experiment Desktops › Desktops: every project's desktops."""

    name = _("Desktops")
    slug = "desktops"
    permissions = ("openstack.services.compute",)
    # As Horizon's Admin › Instances panel: compute's admin rule, on every URL (GET and
    # POST) of the panel.
    policy_rules = (("compute", "context_is_admin"),)
