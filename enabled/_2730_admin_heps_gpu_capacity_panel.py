# Admin > Experiment Desktops > GPU Capacity: /admin/gpu_capacity/
PANEL = "gpu_capacity"
PANEL_DASHBOARD = "admin"
PANEL_GROUP = "heps_desktops_admin"
ADD_PANEL = "heps_desktop_dashboard.dashboards.admin.gpu_capacity.panel.GpuCapacity"

AUTO_DISCOVER_STATIC_FILES = True
