# Kolla-Ansible: the site's Experiment Desktops settings, in
# /etc/kolla/config/horizon/_9999-custom-settings.py (add these lines if the file exists).
# From Kolla-Ansible 2024.1 this file replaces /etc/kolla/config/horizon/custom_local_settings,
# which 2025.1 and later ignore. `kolla-ansible reconfigure -t horizon` copies it into the
# horizon container's local_settings.d after the plugin's _1799_heps_desktops_settings.py,
# so these values replace the plugin's defaults; the reconciler runs in the same container
# and reads the same settings (same SECRET_KEY, so the same signing key).
# Every key, its default and meaning: the README's Configuration table.
HEPS_DESKTOPS.update({  # noqa: F821 - defined by _1799_heps_desktops_settings.py
    "network": "desktop-net",
    "max_lifetime_hours": 72,
    "expired_action": "shelve",
})
