# Admin > Experiment Desktops > GPU Capacity: /admin/gpu_capacity/

from heps_desktop_dashboard import compat

PANEL = "gpu_capacity"
PANEL_DASHBOARD = "admin"
PANEL_GROUP = "heps_desktops_admin"
# None on a Horizon the plugin does not support (heps_desktop_dashboard/compat.py).
ADD_PANEL = compat.panel("heps_desktop_dashboard.dashboards.admin.gpu_capacity.panel.GpuCapacity")
AUTO_DISCOVER_STATIC_FILES = True
