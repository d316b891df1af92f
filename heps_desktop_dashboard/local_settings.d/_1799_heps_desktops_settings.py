# Experiment Desktops settings. Copy to openstack_dashboard/local/local_settings.d/
# and adjust; every key is optional (defaults and meaning: heps_desktop_dashboard/conf.py
# and the README's Configuration table).
HEPS_DESKTOPS = {
    "share_mount_mode": "access-rule",
    "default_lifetime_hours": 24,
    "max_lifetime_hours": 168,
    "expiry_warning_hours": 4,
    "network": None,
    "security_group": "heps-desktop",
    "security_group_rules": [{"direction": "egress", "ethertype": "IPv4"},
                             {"direction": "egress", "ethertype": "IPv6"}],
    "floating_ip_network": None,
    "audit_log_file": None,
    "console_type": "AUTO",
    "console_quality": "lossless",
    "spice_direct_proxy": None,
    "capacity_credential": None,
    "api_timeout_seconds": 20,
    "signing_key": None,
    "expired_action": "shelve",
    "root_volume_type": "heps-ssd",
    "persistent_override": True,
    "archive_to_backup": True,
    "archive_days": 30,
    "operator_cloud": None,
    "operator_credential": None,
    "support_role": "heps-support",
    "home_volume_gb": 10,
    "boost_hours": 8,
    # What local_settings.py (read before this snippet) already set wins over the
    # defaults above.
    **globals().get("HEPS_DESKTOPS", {}),
}
