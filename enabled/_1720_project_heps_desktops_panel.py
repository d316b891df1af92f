# The Desktops panel: /project/desktops/

from heps_desktop_dashboard import compat

PANEL = "desktops"
PANEL_DASHBOARD = "project"
PANEL_GROUP = "heps_desktops"
# None on a Horizon the plugin does not support (heps_desktop_dashboard/compat.py).
ADD_PANEL = compat.panel("heps_desktop_dashboard.dashboards.project.desktops.panel.Desktops")
AUTO_DISCOVER_STATIC_FILES = True
