"""Every name the plugin writes on or reads from OpenStack resources, once.

No other module spells a ``heps:*`` / ``heps_*`` / ``heps-*`` literal: a test checks.
"""

# --- nova servers (desktops) -----------------------------------------------------------
DESKTOP_TAG = "heps-desktop"

META_EXPERIMENT = "heps:experiment"
META_PROFILE = "heps:profile"
META_EXPIRES_AT = "heps:expires_at"
# HMAC of (server id, expiry, profile) written with the expiry (core/signing.py).
META_EXPIRY_SIGNATURE = "heps:expires_sig"
# Editable by any project member: shown nowhere, trusted for nothing (nova's user_id is
# the owner). Still written at launch for operators reading `openstack server show`.
META_OWNER = "heps:owner"
# Lifetime bookkeeping of the reconciler: when it warned about the expiry.
META_WARNED_AT = "heps:warned_at"
# Delete requested through the plugin: no grant may happen any more.
META_REVOKING = "heps:revoking"
# Sharing (core/grants.py): "heps:grant:<user id>" = a signed "view"/"control" grant to
# that member; "heps:support:<user id>" = a signed record of a support console open
# (when, why). Editing either grants nothing: the signature binds server, user, level.
META_GRANT_PREFIX = "heps:grant:"
META_SUPPORT_PREFIX = "heps:support:"
# The keystone role of the facility's support staff (default of the support_role setting).
SUPPORT_ROLE = "heps-support"
# "requested": a public address was asked for at launch (its delete releases it; the
# reconciler releases any floating IP of a deleted desktop anyway).
META_PUBLIC_IP = "heps:public_ip"
META_PUBLIC_IP_REQUESTED = "requested"

# The golden image a persistent desktop's root volume was made from (nova shows no
# image for a volume-booted server): display only, trusted for nothing.
META_IMAGE = "heps:image"

# Experiment data on a server.
META_DATA_MODE = "heps:data_mode"
META_DATA_STATE = "heps:data_state"
META_DATA_ERROR = "heps:data_error"
META_MOUNT_PREFIX = "heps:mount:"

# Boost (services/boost.py): a signed record of a resize to a bigger profile and back,
# JSON {"s": state, "f": from profile, "t": to profile, "u": until, "m": HMAC}.
META_BOOST = "heps:boost"

# Pseudo task states the Desktops table shows while experiment data moves.
TASK_ATTACHING_DATA = "heps_attaching_data"
TASK_DETACHING_DATA = "heps_detaching_data"

# --- nova flavors (desktop profiles) -------------------------------------------------------
SPEC_PROFILE = "heps:profile"
SPEC_GPU_KIND = "heps:gpu_kind"
SPEC_GPU_MODEL = "heps:gpu_model"
SPEC_DESCRIPTION = "heps:description"
# "true": desktops of the profile boot from a Cinder volume by default (persistent).
SPEC_PERSISTENT = "heps:persistent"
# Size (GB) of a persistent desktop's root volume; default: the flavor's disk.
SPEC_ROOT_VOLUME_GB = "heps:root_volume_gb"
# "allowed": desktops of the profile may get a floating IP when the user asks at launch.
SPEC_PUBLIC_IP = "heps:public_ip"
SPEC_PUBLIC_IP_ALLOWED = "allowed"
# A retired profile (edited, or deleted while desktops use it): the UTC time it was
# retired. Hidden from launch, kept for the desktops that still use it.
SPEC_RETIRED = "heps:retired"
# The profile (flavor name) that replaced a retired one.
SPEC_REPLACED_BY = "heps:replaced_by"
# The video model the profile's golden images should declare (hw_video_model); display.
SPEC_VIDEO_MODEL = "heps:video_model"

# --- glance images (golden images, saved desktops) -----------------------------------------
IMAGE_GOLDEN = "heps_golden"
IMAGE_TECHNIQUES = "heps_techniques"
IMAGE_DESCRIPTION = "heps_description"
IMAGE_GPU_DRIVER = "heps_gpu_driver"
IMAGE_SOURCE_DESKTOP = "heps_source_desktop"
IMAGE_SOURCE_EXPERIMENT = "heps_source_experiment"
IMAGE_SOURCE_IMAGE = "heps_source_image"

# --- manila shares and access rules --------------------------------------------------------
SHARE_META_EXPERIMENT = "heps:experiment"
SHARE_META_KIND = "heps:kind"
SHARE_META_SOURCE_SNAPSHOT = "heps:source_snapshot"
SHARE_META_SOURCE_EXPERIMENT = "heps:source_experiment"

RULE_META_DESKTOP = "heps:desktop"
RULE_META_KIND = "heps:kind"
RULE_META_EXPERIMENT = "heps:experiment"
# Project of the desktop a rule was made for: the reconciler only judges rules whose
# share is in that same project (a rule in another project is not the plugin's).
RULE_META_PROJECT = "heps:project"

# virtiofs tags of the two shares in the guest.
VIRTIOFS_TAG_RAW = "heps-raw"
VIRTIOFS_TAG_RESULTS = "heps-results"

# --- cinder volumes ------------------------------------------------------------------------
VOLUME_META_KIND = "heps:kind"
VOLUME_META_OWNER = "heps:owner"
# Persistent desktops (core/archives.py): a root volume of a running desktop (kind
# "desktop-root") and an archive (a volume or a backup, kind "desktop-archive") carry
# these keys and a signature over them, the resource id, the project and the owner.
VOLUME_KIND_ROOT = "desktop-root"
VOLUME_KIND_ARCHIVE = "desktop-archive"
VOLUME_META_DESKTOP = "heps:desktop"
VOLUME_META_NAME = "heps:name"
VOLUME_META_PROFILE = "heps:profile"
VOLUME_META_IMAGE = "heps:image"
VOLUME_META_ARCHIVED_AT = "heps:archived_at"
# A volume restored from an archive backup: the backup's id (deleted after the boot).
VOLUME_META_SOURCE = "heps:source"
VOLUME_META_SIGNATURE = "heps:sig"
# Names of the volumes and backups the plugin makes: "heps-archive-<desktop name>".
ARCHIVE_NAME_PREFIX = "heps-archive-"
# Seeded volume type of root volumes (default of the root_volume_type setting).
ROOT_VOLUME_TYPE = "heps-ssd"
# My storage: one volume per user per project, heps:kind=home (its owner is Cinder's
# user_id; heps:owner is written for operators only). Named "heps-home-<user name>".
VOLUME_KIND_HOME = "home"
HOME_VOLUME_PREFIX = "heps-home-"
# The desktop the owner moved My storage to: "<server id> <UTC time of the move>".
VOLUME_META_HOME_DESKTOP = "heps:home_desktop"
# Filesystem label of My storage in the guest (core/cloud_init.py formats and mounts it).
HOME_FS_LABEL = "heps-home"

# --- neutron, keystone, logging --------------------------------------------------------------
# Security group of an experiment's desktops: "heps-exp-<experiment>".
SECURITY_GROUP_PREFIX = "heps-exp-"
# Description of a floating IP the plugin allocated for a desktop: "heps-desktop:<id>".
FLOATING_IP_PREFIX = "heps-desktop:"
# The security group desktops get unless HEPS_DESKTOPS["security_group"] names another.
DESKTOP_SECURITY_GROUP = "heps-desktop"
AUDIT_LOGGER = "heps_desktops.audit"
