# Experiment Desktops settings. Copy to openstack_dashboard/local/local_settings.d/
# and adjust; every key is optional (defaults in heps_desktop_dashboard/conf.py).
HEPS_DESKTOPS = {
    "share_mount_mode": "access-rule",
    "default_lifetime_hours": 24,
    "max_lifetime_hours": 168,
    "expiry_warning_hours": 4,
    "network": None,
    "security_group": "heps-desktop",
    "console_type": "AUTO",
    "capacity_credential": None,
}
