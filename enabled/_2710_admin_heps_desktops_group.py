# The "Experiment Desktops" panel group in the Admin dashboard, holding the operators'
# panels (profiles, image catalog, GPU capacity, quotas, usage) as they are added.
from django.utils.translation import gettext_lazy as _

PANEL_GROUP = "heps_desktops_admin"
PANEL_GROUP_NAME = _("Experiment Desktops")
PANEL_GROUP_DASHBOARD = "admin"

