"""The Desktops table's link to the project's usage page."""

from django.utils.translation import gettext_lazy as _
from horizon import tables

from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest

# nova's usage of one project: its readers by default.
RULES = (("compute", "os_compute_api:os-simple-tenant-usage:show"),)


class ShowUsage(tables.LinkAction, PolicyOncePerRequest):
    name = "usage"
    verbose_name = _("Usage")
    url = "horizon:project:desktops:usage"
    icon = "bar-chart"
    policy_rules = RULES
