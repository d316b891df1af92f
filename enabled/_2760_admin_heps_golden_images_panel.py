# Admin > Experiment Desktops > Golden Images: /admin/golden_images/

from heps_desktop_dashboard import compat

PANEL = "golden_images"
PANEL_DASHBOARD = "admin"
PANEL_GROUP = "heps_desktops_admin"
# None on a Horizon the plugin does not support (heps_desktop_dashboard/compat.py).
ADD_PANEL = compat.panel("heps_desktop_dashboard.dashboards.admin.golden_images.panel.GoldenImages")
AUTO_DISCOVER_STATIC_FILES = True
