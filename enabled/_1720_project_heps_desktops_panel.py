# The Desktops panel: /project/desktops/
PANEL = "desktops"
PANEL_DASHBOARD = "project"
PANEL_GROUP = "heps_desktops"
ADD_PANEL = "heps_desktop_dashboard.dashboards.project.desktops.panel.Desktops"

AUTO_DISCOVER_STATIC_FILES = True
