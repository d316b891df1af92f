"""Desktop profiles: nova flavors carrying ``heps:profile=true`` and display specs."""

import dataclasses

from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.core import archives
from heps_desktop_dashboard.core import conventions as names

SPEC_PROFILE = names.SPEC_PROFILE
SPEC_GPU_KIND = names.SPEC_GPU_KIND
SPEC_GPU_MODEL = names.SPEC_GPU_MODEL
SPEC_DESCRIPTION = names.SPEC_DESCRIPTION

GPU_PASSTHROUGH = "passthrough"
GPU_VGPU = "vgpu"
GPU_NONE = "none"
GPU_KINDS = (GPU_PASSTHROUGH, GPU_VGPU, GPU_NONE)

_TRUE = ("true", "1", "yes", "on")


InvalidProfile = exceptions.InvalidProfile


def is_profile(extra_specs):
    return str((extra_specs or {}).get(SPEC_PROFILE, "")).strip().lower() in _TRUE


def is_retired(extra_specs):
    """A retired profile (``heps:retired`` set): kept for its desktops, never offered."""
    value = str((extra_specs or {}).get(names.SPEC_RETIRED, "")).strip().lower()
    return value not in ("", "false", "0", "no", "off")


def gpu_resources(extra_specs):
    """The GPU resource classes (and amounts) a flavor asks placement for.

    ``resources:VGPU=1`` for vGPU, a ``CUSTOM_*`` class for whole GPUs reported in
    placement, ``pci_passthrough:alias=a100:1`` for classic PCI passthrough.
    """
    found = {}
    for key, value in (extra_specs or {}).items():
        if key.startswith("resources") and ":" in key:
            rclass = key.split(":", 1)[1]
            if rclass == "VGPU" or (rclass.startswith("CUSTOM_") and "GPU" in rclass):
                try:
                    found[rclass] = int(value)
                except (TypeError, ValueError):
                    continue
        elif key == "pci_passthrough:alias":
            for item in str(value).split(","):
                alias, _sep, count = item.partition(":")
                try:
                    found[f"pci:{alias.strip()}"] = int(count or 1)
                except ValueError:
                    continue
    return found


@dataclasses.dataclass(frozen=True)
class Profile:
    id: str
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int
    gpu_kind: str
    gpu_model: str
    description: str
    gpu_resources: dict
    # heps:public_ip=allowed: a floating IP may be asked for at launch.
    public_ip: bool = False
    # heps:persistent=true: boots from a Cinder volume unless the user chooses otherwise;
    # root_volume_gb: that volume's size (heps:root_volume_gb, else the flavor's disk).
    persistent: bool = False
    root_volume_gb: int = 1

    @property
    def gpu_count(self):
        return sum(self.gpu_resources.values())


def profile_from_flavor(flavor_id, name, vcpus, ram_mb, disk_gb, extra_specs):
    """Build a Profile from a flavor's fields; raises InvalidProfile when not a profile."""
    specs = extra_specs or {}
    if not is_profile(specs):
        raise InvalidProfile(f"flavor {name!r} is not a desktop profile")
    resources = gpu_resources(specs)
    kind = str(specs.get(SPEC_GPU_KIND) or "").strip().lower()
    if not kind:
        kind = GPU_VGPU if "VGPU" in resources else (GPU_PASSTHROUGH if resources else GPU_NONE)
    if kind not in GPU_KINDS:
        raise InvalidProfile(f"flavor {name!r} has unknown {SPEC_GPU_KIND} {kind!r}")
    if kind != GPU_NONE and not resources:
        raise InvalidProfile(f"flavor {name!r} is a {kind} profile but requests no GPU")
    return Profile(
        id=str(flavor_id),
        name=name,
        vcpus=int(vcpus or 0),
        ram_mb=int(ram_mb or 0),
        disk_gb=int(disk_gb or 0),
        gpu_kind=kind,
        gpu_model=str(specs.get(SPEC_GPU_MODEL) or ""),
        description=str(specs.get(SPEC_DESCRIPTION) or ""),
        gpu_resources=resources,
        public_ip=public_ip_allowed(specs),
        persistent=archives.persistent_default(specs),
        root_volume_gb=archives.volume_size(disk_gb, specs),
    )


def public_ip_allowed(extra_specs):
    """Whether a flavor's extra specs allow a public address (``heps:public_ip``)."""
    value = str((extra_specs or {}).get(names.SPEC_PUBLIC_IP, "")).strip().lower()
    return value == names.SPEC_PUBLIC_IP_ALLOWED
