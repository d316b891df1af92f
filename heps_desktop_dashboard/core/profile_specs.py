"""Desktop profiles as an admin defines them (GPU kind and model, vCPU, RAM, disk, tuning,
video, description, who may use it) and the nova flavor extra specs they become; which
GPUs placement offers, and whether a profile's GPU exists anywhere (plain Python)."""

import dataclasses
import re

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import gpu_capacity
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import quota

# nova's real scheduling and tuning specs
RESOURCES_PREFIX = "resources:"
TRAIT_PREFIX = "trait:"
REQUIRED = "required"
PCI_ALIAS = "pci_passthrough:alias"
CPU_POLICY = "hw:cpu_policy"
CPU_DEDICATED = "dedicated"
MEM_PAGE_SIZE = "hw:mem_page_size"
PAGES_LARGE = "large"
VIDEO_RAM = "hw_video:ram_max_mb"  # nova's name: hw:video:… is refused

# GPU choice values: "rc:<whole-GPU class>", "pci:<alias>", "vgpu:<type trait or empty>"
OPTION_CLASS = "rc"
OPTION_PCI = "pci"
OPTION_VGPU = "vgpu"
VIDEO_MODELS = ("virtio", "qxl", "vga", "bochs", "none")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ALIAS_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
TRAIT_RE = re.compile(r"^CUSTOM_[A-Z0-9_]{1,248}$")
_VERSION_RE = re.compile(r"^(?P<base>.+)\.v(?P<n>\d+)$")

# Keys the profile form writes; any other spec of an edited profile is carried over.
MANAGED = (names.SPEC_PROFILE, names.SPEC_GPU_KIND, names.SPEC_GPU_MODEL,
           names.SPEC_DESCRIPTION, names.SPEC_PUBLIC_IP, names.SPEC_VIDEO_MODEL,
           names.SPEC_RETIRED, names.SPEC_REPLACED_BY, PCI_ALIAS, CPU_POLICY,
           MEM_PAGE_SIZE, VIDEO_RAM)


def _managed(key):
    return key in MANAGED or key.startswith((RESOURCES_PREFIX, TRAIT_PREFIX))


def option(kind, value=""):
    return f"{kind}:{value}"


def parse_option(text):
    """``(kind, value)`` of a GPU choice; ValueError when it is not one."""
    kind, sep, value = str(text or "").partition(":")
    if not sep or kind not in (OPTION_CLASS, OPTION_PCI, OPTION_VGPU):
        raise ValueError(f"not a GPU choice: {text!r}")
    if kind == OPTION_CLASS and not (value.startswith("CUSTOM_")
                                     and gpu_capacity.is_gpu_class(value)):
        raise ValueError(f"not a whole-GPU resource class: {value!r}")
    if kind == OPTION_PCI and not ALIAS_RE.match(value):
        raise ValueError(f"not a PCI alias: {value!r}")
    if kind == OPTION_VGPU and value and not TRAIT_RE.match(value):
        raise ValueError(f"not a vGPU type trait: {value!r}")
    return kind, value


@dataclasses.dataclass(frozen=True)
class ProfileSpec:
    name: str
    gpu_kind: str = profiles.GPU_NONE
    gpu: str = ""            # a GPU choice value (see parse_option); "" for none
    gpu_count: int = 1
    gpu_model: str = ""      # what users read, e.g. "NVIDIA A100 80GB"
    vcpus: int = 4
    ram_mb: int = 16384
    disk_gb: int = 40
    cpu_pinning: bool = False
    huge_pages: bool = False
    video_model: str = ""
    video_ram_mb: int | None = None
    description: str = ""
    public_ip: bool = False
    is_public: bool = True
    projects: tuple = ()
    carried: tuple = ()      # (key, value) specs of an edited profile kept as they were

    def gpu_specs(self):
        """The scheduling specs of the GPU."""
        if self.gpu_kind == profiles.GPU_NONE:
            return {}
        kind, value = parse_option(self.gpu)
        count = str(int(self.gpu_count))
        if kind == OPTION_PCI:
            return {PCI_ALIAS: f"{value}:{count}"}
        if kind == OPTION_CLASS:
            return {RESOURCES_PREFIX + value: count}
        found = {RESOURCES_PREFIX + gpu_capacity.VGPU: count}
        if value:
            found[TRAIT_PREFIX + value] = REQUIRED
        return found

    def extra_specs(self):
        specs = dict(self.carried)
        specs.update({names.SPEC_PROFILE: "true", names.SPEC_GPU_KIND: self.gpu_kind})
        specs.update(self.gpu_specs())
        model = self.gpu_model.strip() or self.default_model()
        if model:
            specs[names.SPEC_GPU_MODEL] = model
        if self.description.strip():
            specs[names.SPEC_DESCRIPTION] = self.description.strip()
        if self.public_ip:
            specs[names.SPEC_PUBLIC_IP] = names.SPEC_PUBLIC_IP_ALLOWED
        if self.cpu_pinning:
            specs[CPU_POLICY] = CPU_DEDICATED
        if self.huge_pages:
            specs[MEM_PAGE_SIZE] = PAGES_LARGE
        if self.video_model:
            specs[names.SPEC_VIDEO_MODEL] = self.video_model
        if self.video_ram_mb:
            specs[VIDEO_RAM] = str(int(self.video_ram_mb))
        return specs

    def default_model(self):
        if self.gpu_kind == profiles.GPU_NONE or not self.gpu:
            return ""
        kind, value = parse_option(self.gpu)
        if kind == OPTION_VGPU:
            return f"vGPU {value}" if value else "vGPU"
        return value


def _gpu_option(specs):
    """(GPU choice value, count) of a flavor's specs."""
    alias = str(specs.get(PCI_ALIAS) or "")
    if alias:
        name, _sep, count = alias.split(",")[0].partition(":")
        return option(OPTION_PCI, name.strip()), int(count or 1)
    for request in quota.gpu_requests(specs):
        if request.resource_class == gpu_capacity.VGPU:
            trait = next((t for t in request.required if t.startswith("CUSTOM_")), "")
            return option(OPTION_VGPU, trait), request.amount
        return option(OPTION_CLASS, request.resource_class), request.amount
    return "", 1


def spec_from_flavor(name, vcpus, ram_mb, disk_gb, specs, is_public=True, projects=()):
    """The ProfileSpec an existing profile was made from (the edit form's start)."""
    specs = dict(specs or {})
    profile = profiles.profile_from_flavor("", name, vcpus, ram_mb, disk_gb, specs)
    gpu, count = _gpu_option(specs) if profile.gpu_kind != profiles.GPU_NONE else ("", 1)
    video_ram = str(specs.get(VIDEO_RAM) or "")
    return ProfileSpec(
        name=name, gpu_kind=profile.gpu_kind, gpu=gpu, gpu_count=count,
        gpu_model=profile.gpu_model, vcpus=profile.vcpus, ram_mb=profile.ram_mb,
        disk_gb=profile.disk_gb,
        cpu_pinning=specs.get(CPU_POLICY) == CPU_DEDICATED,
        huge_pages=str(specs.get(MEM_PAGE_SIZE) or "small") not in ("small", "any"),
        video_model=str(specs.get(names.SPEC_VIDEO_MODEL) or ""),
        video_ram_mb=int(video_ram) if video_ram.isdigit() else None,
        description=profile.description, public_ip=profile.public_ip,
        is_public=bool(is_public), projects=tuple(projects),
        carried=tuple(sorted((k, v) for k, v in specs.items() if not _managed(k))))


def successor_name(name, taken):
    """``heps.vgpu.a16`` -> ``heps.vgpu.a16.v2`` (``.v3`` after that, …), not in
    ``taken``: nova flavor names are unique, so an edited profile needs a new one."""
    match = _VERSION_RE.match(name)
    base, number = (match["base"], int(match["n"]) + 1) if match else (name, 2)
    while f"{base}.v{number}" in taken:
        number += 1
    return f"{base}.v{number}"


# --- what placement offers ---------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GpuOffer:
    """A GPU placement offers: a whole-GPU class or a vGPU type, on ``hosts`` hosts."""

    value: str
    label: str
    kind: str
    hosts: int


def offers(lines, pci_aliases=()):
    """GpuOffers from placement's ProviderLines (core/gpu_capacity.py) and the PCI
    aliases existing profiles use (nova does not list its aliases)."""
    hosts = {}
    for line in lines:
        if line.resource_class == gpu_capacity.VGPU:
            key = option(OPTION_VGPU, line.traits[0] if line.traits else "")
        else:
            key = option(OPTION_CLASS, line.resource_class)
        hosts.setdefault(key, set()).add(line.host)
    found = []
    for value, where in sorted(hosts.items()):
        kind, name = parse_option(value)
        gpu_kind = profiles.GPU_VGPU if kind == OPTION_VGPU else profiles.GPU_PASSTHROUGH
        label = f"vGPU {name}" if kind == OPTION_VGPU and name else (name or "vGPU")
        found.append(GpuOffer(value, label, gpu_kind, len(where)))
    for alias in sorted(set(pci_aliases)):
        found.append(GpuOffer(option(OPTION_PCI, alias), f"PCI alias {alias}",
                              profiles.GPU_PASSTHROUGH, 0))
    return found


def pci_aliases(all_specs):
    """PCI aliases named by flavors' ``pci_passthrough:alias`` specs."""
    found = set()
    for specs in all_specs:
        for item in str((specs or {}).get(PCI_ALIAS) or "").split(","):
            alias = item.partition(":")[0].strip()
            if alias and ALIAS_RE.match(alias):
                found.add(alias)
    return found


# Why no host can give a flavor its GPU (unsatisfiable_reason's code), in English; the
# admin dashboard words the codes in the admin's language (desktop_profiles/texts.py).
NO_PROVIDER = "no_provider"
NO_PROVIDER_TRAITS = "no_provider_traits"
TOO_FEW = "too_few"
UNSATISFIABLE_REASONS = {
    NO_PROVIDER: "no resource provider in placement has %(resource_class)s",
    NO_PROVIDER_TRAITS: "no resource provider in placement has %(resource_class)s with "
                        "%(traits)s",
    TOO_FEW: "no resource provider has %(amount)s %(resource_class)s (at most %(most)s)",
}


def unsatisfiable_reason(specs, lines):
    """Why no host can give the flavor its GPU, as (code, params), None when some provider
    can: a GPU class or vGPU type no provider has, or not as many units as asked on one
    provider. PCI aliases are not in placement and are not judged."""
    for request in quota.gpu_requests(specs):
        # placement's GPU providers are read with their custom (type) traits only
        required = {t for t in request.required if t.startswith("CUSTOM_")}
        forbidden = {t for t in request.forbidden if t.startswith("CUSTOM_")}
        fits = [line for line in lines
                if line.resource_class == request.resource_class
                and required <= set(line.traits) and not forbidden & set(line.traits)]
        if not fits:
            if request.required:
                return NO_PROVIDER_TRAITS, {"resource_class": request.resource_class,
                                            "traits": ", ".join(request.required)}
            return NO_PROVIDER, {"resource_class": request.resource_class}
        most = max(line.capacity for line in fits)
        if most < request.amount:
            return TOO_FEW, {"amount": request.amount,
                             "resource_class": request.resource_class, "most": most}
    return None


def unsatisfiable(specs, lines):
    """unsatisfiable_reason in English ("" when some provider can)."""
    found = unsatisfiable_reason(specs, lines)
    return UNSATISFIABLE_REASONS[found[0]] % found[1] if found else ""
