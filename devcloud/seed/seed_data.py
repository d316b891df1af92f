"""What the dev cloud is seeded with (declarative; devcloud/seed/seed.py applies it).

Plain data, no imports beyond the standard library, so tests can load it too
(tests/cloud_fixtures.py reads names from here instead of repeating them).

Passwords are FIXED DEMO VALUES. They protect nothing: the dev cloud listens on
127.0.0.1 only and exists for development, demos and tests. Never reuse them.
"""

DOMAIN_ID = "default"
REGION = "RegionOne"

# --- keystone ---------------------------------------------------------------

PROJECTS = {
    "experiment-a": {
        "description": "HEPS experiment A: nano-CT imaging of battery cathodes "
                       "(proposal 2026-0142)",
        "experiment": "2026-0142",
        "cidr": "10.42.1.0/24",
    },
    "experiment-b": {
        "description": "HEPS experiment B: single-crystal diffraction of "
                       "metal-organic frameworks (proposal 2026-0217)",
        "experiment": "2026-0217",
        "cidr": "10.42.2.0/24",
    },
}

# user -> (password, default project, {project: role})
USERS = {
    "alice": {
        "password": "alice-demo",
        "email": "alice@heps.example",
        "description": "Demo scientist, experiment A (demo-only account)",
        "default_project": "experiment-a",
        "roles": {"experiment-a": "member"},
    },
    "bob": {
        "password": "bob-demo",
        "email": "bob@heps.example",
        "description": "Demo scientist, experiment B (demo-only account)",
        "default_project": "experiment-b",
        "roles": {"experiment-b": "member"},
    },
    "reader": {
        "password": "reader-demo",
        "email": "reader@heps.example",
        "description": "Demo beamline staff with read-only access to both "
                       "experiments (demo-only account)",
        "default_project": "experiment-a",
        "roles": {"experiment-a": "reader", "experiment-b": "reader"},
    },
}

# Keystone unified limits for nova (service "compute"), per project. Applied as
# project limits overriding the registered (default) limits; a resource without
# a registered limit gets one registered with the same value first (keystone
# refuses a project limit that references no registered limit).
PROJECT_LIMITS = {
    "servers": 10,
    "class:VCPU": 40,
    "class:MEMORY_MB": 131072,
    "class:VGPU": 4,                    # of 8 in the cloud (2 hosts x 4)
    "class:CUSTOM_HEPS_GPU_A100": 2,    # of 4 in the cloud (2 hosts x 2)
}

# --- nova flavors (desktop profiles) -----------------------------------------
#
# Scheduling specs that the dev cloud's fake GPU driver satisfies:
#   resources:VGPU=1 + trait:CUSTOM_HEPS_GPU_A16=required  (child provider
#   <node>_pgpu0), resources:CUSTOM_HEPS_GPU_A100=1 (root provider).
# Tuning specs on the passthrough profile, as on production hardware:
#   hw:cpu_policy=dedicated and hw:mem_page_size=large. Checked to boot here
#   (also together with the A100), but only because the dev cloud's scheduler
#   runs without NUMATopologyFilter and nova falls back from a PCPU to a VCPU
#   placement query when no host reports PCPU: nothing is pinned and no huge
#   pages exist. If the dev cloud ever enables NUMATopologyFilter or sets
#   [workarounds] disable_fallback_pcpu_query, remove them here.
# hw_video:ram_max_mb (nova's real name; DESIGN.md's "hw:video:ram_max_mb" is
# rejected by nova's extra-spec validation) is accepted, ignored by the fake
# driver.

FLAVORS = {
    "heps.vgpu.a16": {
        "vcpus": 4, "ram": 16384, "disk": 40,
        "description": "Visualisation desktop with a quarter of an A16 (vGPU)",
        "extra_specs": {
            "heps:profile": "true",
            "heps:gpu_kind": "vgpu",
            "heps:gpu_model": "NVIDIA A16 vGPU (simulated)",
            "heps:description": "Interactive visualisation and light "
                                "reconstruction: 4 vCPU, 16 GiB, one A16 vGPU "
                                "slice.",
            "resources:VGPU": "1",
            "trait:CUSTOM_HEPS_GPU_A16": "required",
            "hw_video:ram_max_mb": "64",
        },
    },
    "heps.a100.full": {
        "vcpus": 8, "ram": 32768, "disk": 80,
        "description": "Reconstruction workstation with a whole A100 "
                       "(passthrough)",
        "extra_specs": {
            "heps:profile": "true",
            "heps:gpu_kind": "passthrough",
            "heps:gpu_model": "NVIDIA A100 80GB (simulated)",
            "heps:description": "Full tomographic reconstruction and AI "
                                "segmentation: 8 vCPU, 32 GiB, one whole A100.",
            "resources:CUSTOM_HEPS_GPU_A100": "1",
            "hw:cpu_policy": "dedicated",
            "hw:mem_page_size": "large",
            "hw_video:ram_max_mb": "64",
        },
    },
    "heps.cpu.std": {
        "vcpus": 4, "ram": 8192, "disk": 40,
        "description": "CPU-only analysis desktop",
        "extra_specs": {
            "heps:profile": "true",
            "heps:gpu_kind": "none",
            "heps:description": "Data browsing, scripting and small "
                                "analyses: 4 vCPU, 8 GiB, no GPU.",
        },
    },
    # Not a desktop profile: the plugin must leave it out of its choices.
    "m1.small": {
        "vcpus": 1, "ram": 2048, "disk": 20,
        "description": "Generic small server (not a desktop profile)",
        "extra_specs": {},
    },
}

# --- glance images -----------------------------------------------------------

IMAGE_SIZE = 4096  # bytes of zeros: the fake driver never reads them

IMAGES = {
    "heps-imaging-desktop-2026.1": {
        "disk_format": "raw", "container_format": "bare",
        "properties": {
            "heps_golden": "true",
            "heps_techniques": "imaging,tomography",
            "heps_description": "Ubuntu 24.04 desktop with TomoPy, "
                                "Tomocupy, napari and Fiji (simulated "
                                "image).",
            "hw_video_model": "virtio",
            "hw_qemu_guest_agent": "yes",
            "os_distro": "ubuntu",
            "os_version": "24.04",
        },
    },
    "heps-diffraction-desktop-2026.1": {
        "disk_format": "raw", "container_format": "bare",
        "properties": {
            "heps_golden": "true",
            "heps_techniques": "crystallography,diffraction",
            "heps_description": "Rocky Linux 9 desktop with DIALS, Olex2 "
                                "and PyFAI (simulated image).",
            "hw_video_model": "qxl",
            "hw_qemu_guest_agent": "yes",
            "os_distro": "rocky",
            "os_version": "9",
        },
    },
    # Not golden: the plugin must leave it out of its choices.
    "cirros-plain": {
        "disk_format": "raw", "container_format": "bare",
        "properties": {"os_distro": "cirros"},
    },
}

# --- neutron -----------------------------------------------------------------

EXTERNAL_NETWORK = {
    "name": "public",
    "physical_network": "public",
    "subnet_name": "public-subnet",
    "cidr": "172.24.4.0/24",
    "gateway_ip": "172.24.4.1",
    "pool": ("172.24.4.10", "172.24.4.250"),
}
DESKTOP_NETWORK = "desktop-net"
DESKTOP_SUBNET = "desktop-subnet"
DESKTOP_ROUTER = "desktop-router"
SECURITY_GROUP = "heps-desktop"
SECURITY_GROUP_DESCRIPTION = ("HEPS desktops: no inbound traffic except ICMP "
                              "from the desktop subnet; consoles go through "
                              "nova's proxies")

# --- manila ------------------------------------------------------------------

SHARE_SIZE_GB = 1
SHARE_PROTO = "NFS"


def shares_for(project):
    """The two experiment shares of a project: (name, description, metadata)."""
    exp = PROJECTS[project]["experiment"]
    return [
        (f"exp-{exp}-raw",
         f"Raw detector data of experiment {exp} (read-only in desktops)",
         {"heps:experiment": exp, "heps:kind": "raw"}),
        (f"exp-{exp}-results",
         f"Results of experiment {exp} (read-write in desktops)",
         {"heps:experiment": exp, "heps:kind": "results"}),
    ]


# clouds.yaml entries added next to the cloud engineer's devcloud-admin
CLOUDS = {"devcloud-alice": "alice", "devcloud-bob": "bob",
          "devcloud-reader": "reader"}

# --- cinder ------------------------------------------------------------------
# The volume type persistent desktops and My storage use (settings root_volume_type); the
# dev cloud's single backend "heps" (sparse files, devcloud/python/heps_devcloud/cinder_driver.py).
VOLUME_TYPE = "heps-ssd"
VOLUME_TYPE_SPEC = {
    "description": "HEPS desktop volumes (dev cloud: sparse files on the 'heps' backend)",
    "extra_specs": {"volume_backend_name": "heps"},
}

# Cinder quotas per project (os-quota-sets): enough for 10 persistent desktops of the largest
# profile (80 GB) with a 10 GB home volume each, and their archives as backups.
VOLUME_QUOTAS = {
    "volumes": 30, "gigabytes": 1200, "snapshots": 20,
    "backups": 30, "backup_gigabytes": 2400,
    f"volumes_{VOLUME_TYPE}": 30, f"gigabytes_{VOLUME_TYPE}": 1200,
    f"snapshots_{VOLUME_TYPE}": 20,
}
