# Admin > Experiment Desktops > Desktop Audit: /admin/desktop_audit/

from heps_desktop_dashboard import compat

PANEL = "desktop_audit"
PANEL_DASHBOARD = "admin"
PANEL_GROUP = "heps_desktops_admin"
# None on a Horizon the plugin does not support (heps_desktop_dashboard/compat.py).
ADD_PANEL = compat.panel("heps_desktop_dashboard.dashboards.admin.desktop_audit.panel.DesktopAudit")
AUTO_DISCOVER_STATIC_FILES = True
