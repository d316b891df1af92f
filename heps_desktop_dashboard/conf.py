"""The plugin's settings: one ``HEPS_DESKTOPS`` dict in Horizon's local_settings.

Every key has a default here; the README documents them.
"""

import hashlib
import hmac

from django.conf import settings

from heps_desktop_dashboard.core import conventions as names

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
    # Security group new desktops without an experiment get (those with one get
    # "heps-exp-<experiment>", made from security_group_rules).
    "security_group": names.DESKTOP_SECURITY_GROUP,
    # Rules of a new experiment security group: neutron rule fields (direction,
    # ethertype, protocol, port_range_min/max, remote_ip_prefix, remote_group_id "self").
    # Default: no ingress at all (consoles reach a desktop through its hypervisor), any
    # egress.
    "security_group_rules": [{"direction": "egress", "ethertype": "IPv4"},
                             {"direction": "egress", "ethertype": "IPv6"}],
    # External network public addresses are allocated from (for profiles with
    # heps:public_ip=allowed, when the user asks); None: the only external network.
    "floating_ip_network": None,
    # JSON-lines file the audit logger writes (read by Admin > Desktop Audit and the
    # Action Log tab); None: not configured.
    "audit_log_file": None,
    # Preferred console: "AUTO" follows Horizon's CONSOLE_TYPE.
    "console_type": "AUTO",
    # Default display quality of in-browser VNC consoles until a user picks another one:
    # "lossless" (exact pixels, no JPEG), "balanced" (JPEG level 8) or "low" (low bandwidth).
    "console_quality": "lossless",
    # SPICE proxy for native clients (e.g. Kerbside) that accepts nova's spice-direct
    # console tokens (compute microversion 2.99): {"host": ..., "port": ..., "tls_port": ...,
    # optional "ca" (PEM) and "host_subject"}. None hides the ".vv" download.
    "spice_direct_proxy": None,
    # Read-only application credential (id, secret) used to read GPU capacity from
    # placement for non-admin users; None hides capacity numbers.
    "capacity_credential": None,
    # Seconds before a silent OpenStack service counts as down (every session).
    "api_timeout_seconds": 20,
    # Key signing desktop lifetimes; None: derived from Django's SECRET_KEY. Horizon and
    # the reconciler must use the same one.
    "signing_key": None,
    # What the reconciler does with a desktop at its expiry: "shelve", "delete" or
    # "archive" (data access is revoked first either way; a persistent desktop's root
    # volume is kept as an archive by "delete" and "archive").
    "expired_action": "shelve",
    # Persistent desktops: the Cinder volume type of root volumes; whether users may
    # choose persistent or not at launch (False: the profile's heps:persistent decides).
    "root_volume_type": names.ROOT_VOLUME_TYPE,
    "persistent_override": True,
    # Archives: backed up (then the volume deleted) where cinder-backup runs; kept for
    # archive_days, then deleted by the reconciler.
    "archive_to_backup": True,
    "archive_days": 30,
    # The reconciler's credential: a clouds.yaml cloud name (None: OS_CLOUD / OS_*
    # variables), or an application credential {"auth_url", "id", "secret",
    # optional "region_name"} used when no cloud is named.
    "operator_cloud": None,
    "operator_credential": None,
    # Keystone role of the facility's support staff: holders may open the console of any
    # desktop of a project where they hold it, after typing a reason the owner is shown.
    "support_role": names.SUPPORT_ROLE,
    # Size in GB of a user's personal volume (My storage, one per user and project).
    "home_volume_gb": 10,
    # Hours a boosted desktop keeps its bigger profile before the reconciler resizes it
    # back to the one it had.
    "boost_hours": 8,
}

EXPIRED_ACTIONS = ("shelve", "delete", "archive")


def get(key):
    overrides = getattr(settings, "HEPS_DESKTOPS", None) or {}
    if key not in DEFAULTS:
        raise KeyError(f"unknown HEPS_DESKTOPS key {key!r}")
    return overrides.get(key, DEFAULTS[key])


def signing_key():
    """The lifetime signing key (bytes): the setting, else derived from SECRET_KEY."""
    configured = get("signing_key")
    if configured:
        return configured.encode() if isinstance(configured, str) else bytes(configured)
    secret = str(settings.SECRET_KEY).encode()
    return hmac.new(secret, b"heps-desktops lifetime signing v1", hashlib.sha256).digest()


def lifetime_policy():
    from heps_desktop_dashboard.core import desktops

    return desktops.LifetimePolicy(key=signing_key(),
                                   default_hours=int(get("default_lifetime_hours")),
                                   max_hours=int(get("max_lifetime_hours")),
                                   warning_hours=int(get("expiry_warning_hours")))


def expired_action():
    action = get("expired_action")
    if action not in EXPIRED_ACTIONS:
        raise ValueError(f"HEPS_DESKTOPS['expired_action'] must be one of {EXPIRED_ACTIONS}")
    return action
