from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.dashboards.admin.base import AdminPanel


class DesktopProfiles(AdminPanel):
    """Admin › Experiment Desktops › Desktop Profiles: the flavors desktops launch with."""

    name = _("Desktop Profiles")
    slug = "desktop_profiles"
    permissions = ("openstack.services.compute",)
    # As the other admin panels: compute's admin rule, on every URL (GET and POST).
    policy_rules = (("compute", "context_is_admin"),)
