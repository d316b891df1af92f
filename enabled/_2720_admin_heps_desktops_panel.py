# Admin > Experiment Desktops > Desktops: /admin/desktops/
PANEL = "desktops"
PANEL_DASHBOARD = "admin"
PANEL_GROUP = "heps_desktops_admin"
ADD_PANEL = "heps_desktop_dashboard.dashboards.admin.desktops.panel.Desktops"

AUTO_DISCOVER_STATIC_FILES = True
