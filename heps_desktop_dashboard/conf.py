"""The plugin's settings: one ``HEPS_DESKTOPS`` dict in Horizon's local_settings.

Every key has a default here; the README documents them.
"""

from django.conf import settings

DEFAULTS = {
    # How experiment shares reach a desktop: "virtiofs" (nova share attachments,
    # microversion 2.97) or "access-rule" (Manila access rules + cloud-init mounts).
    "share_mount_mode": "access-rule",
    # Lifetime of a new desktop and how far it may be extended, in hours.
    "default_lifetime_hours": 24,
    "max_lifetime_hours": 24 * 7,
    # Desktops expiring within this many hours show a warning with an "Extend" button.
    "expiry_warning_hours": 4,
    # Neutron network (name or id) new desktops are attached to; None: the project's only one.
    "network": None,
    # Security group new desktops get.
    "security_group": "heps-desktop",
    # Preferred console: "AUTO" follows Horizon's CONSOLE_TYPE.
    "console_type": "AUTO",
    # Default display quality of in-browser consoles until a user picks another one:
    # "best" (noVNC quality 9, no compression), "balanced" or "low" (low bandwidth).
    "console_quality": "best",
    # SPICE proxy for native clients (e.g. Kerbside) that accepts nova's spice-direct
    # console tokens (compute microversion 2.99): {"host": ..., "port": ..., "tls_port": ...,
    # optional "ca" (PEM) and "host_subject"}. None hides the ".vv" download.
    "spice_direct_proxy": None,
    # Read-only application credential (id, secret) used to read GPU capacity from
    # placement for non-admin users; None hides capacity numbers.
    "capacity_credential": None,
}


def get(key):
    overrides = getattr(settings, "HEPS_DESKTOPS", None) or {}
    if key not in DEFAULTS:
        raise KeyError(f"unknown HEPS_DESKTOPS key {key!r}")
    return overrides.get(key, DEFAULTS[key])
