"""The validation checklist of a golden image: each check is a plain function of glance's
image record and the desktop profiles that may boot it, and answers pass, warn or fail
with the reason."""

import dataclasses
import math

from heps_desktop_dashboard.core import golden

PASS = "pass"  # noqa: S105 (a check result, not a password)
WARN = "warn"
FAIL = "fail"
SEVERITY = {PASS: 0, WARN: 1, FAIL: 2}

GOOD_DISK_FORMATS = ("raw", "qcow2")
GOOD_VIDEO_MODELS = ("virtio", "qxl")
GOOD_CONTAINERS = ("bare", "")
_TRUE = ("true", "1", "yes", "on")
GIB = 1024 ** 3
VIDEO_RAM_SPEC = "hw_video:ram_max_mb"

# Check keys, in the order the checklist shows them.
STATUS = "status"
DISK_FORMAT = "disk_format"
VIDEO = "video"
GUEST_AGENT = "guest_agent"
MIN_RAM = "min_ram"
MIN_DISK = "min_disk"
VISIBILITY = "visibility"
GPU_DRIVER = "gpu_driver"
CATALOG_TEXT = "catalog_text"
ORIGIN = "origin"
KEYS = (ORIGIN, STATUS, DISK_FORMAT, VIDEO, GUEST_AGENT, MIN_RAM, MIN_DISK, VISIBILITY, GPU_DRIVER,
        CATALOG_TEXT)


@dataclasses.dataclass(frozen=True)
class Check:
    key: str
    status: str
    reason: str


def worst(checks):
    """The most severe status of ``checks`` (pass when there are none)."""
    return max((c.status for c in checks), key=SEVERITY.get, default=PASS)


def _names(profiles):
    return ", ".join(p.name for p in profiles)


def origin_check(image):
    """nova copies an image's properties into its snapshots (shelve, backup): such a
    snapshot of a desktop booted from a golden image says it is golden too."""
    if image.instance_snapshot:
        level = FAIL if image.golden else WARN
        return Check(ORIGIN, level, f"nova's snapshot of server "
                                    f"{image.properties.get('instance_uuid')} (shelve, "
                                    "backup or a user's snapshot)"
                     + (": it inherited the golden flag from its image, unmark it"
                        if image.golden else ""))
    if image.properties.get(golden.SOURCE_DESKTOP):
        return Check(ORIGIN, PASS, f"saved desktop {image.properties[golden.SOURCE_DESKTOP]}")
    return Check(ORIGIN, PASS, "uploaded image")


def status_check(image):
    if image.status == "active":
        return Check(STATUS, PASS, "active")
    return Check(STATUS, FAIL, f"{image.status or 'no status'}: nova boots active images "
                                "only")


def disk_format_check(image):
    fmt, container = image.disk_format or "", image.container_format or ""
    if not fmt:
        return Check(DISK_FORMAT, FAIL, "no disk format: the image has no data yet")
    if fmt == "iso":
        return Check(DISK_FORMAT, FAIL, "iso: boots an installer, not a ready desktop")
    if fmt not in GOOD_DISK_FORMATS:
        return Check(DISK_FORMAT, WARN, f"{fmt}: KVM desktops boot raw or qcow2; convert it "
                                        "(qemu-img convert -O qcow2)")
    if container not in GOOD_CONTAINERS:
        return Check(DISK_FORMAT, WARN, f"{fmt} in a {container} container: nova expects "
                                        "bare")
    return Check(DISK_FORMAT, PASS, fmt)


def _video_ram_too_high(image, profiles):
    try:
        wanted = int(image.properties.get("hw_video_ram") or 0)
    except (TypeError, ValueError):
        return []
    too_small = []
    for use in profiles:
        try:
            allowed = int(use.specs.get(VIDEO_RAM_SPEC) or 0)
        except (TypeError, ValueError):
            allowed = 0
        if wanted and wanted > allowed:
            too_small.append(f"{use.name} ({allowed} MB)")
    return [f"hw_video_ram {wanted} MB is more than {', '.join(too_small)} allows: nova "
            "refuses to boot it"] if too_small else []


def video_check(image, profiles=()):
    model = str(image.properties.get("hw_video_model") or "").strip().lower()
    if not model:
        return Check(VIDEO, FAIL, "hw_video_model not set: the desktop gets the "
                                  "hypervisor's default adapter (low resolutions, slow "
                                  "console); set virtio or qxl")
    if model == "none":
        return Check(VIDEO, FAIL, "hw_video_model none: no display, the console stays black")
    too_high = _video_ram_too_high(image, profiles)
    if too_high:
        return Check(VIDEO, FAIL, too_high[0])
    if model not in GOOD_VIDEO_MODELS:
        return Check(VIDEO, WARN, f"hw_video_model {model}: virtio or qxl give desktop "
                                  "resolutions and a fast console")
    return Check(VIDEO, PASS, f"hw_video_model {model}")


def guest_agent_check(image):
    value = str(image.properties.get("hw_qemu_guest_agent") or "").strip().lower()
    if value in _TRUE:
        return Check(GUEST_AGENT, PASS, f"hw_qemu_guest_agent {value}")
    return Check(GUEST_AGENT, WARN, "hw_qemu_guest_agent not set: no guest agent, so no "
                                    "quiesced snapshot (Save as Image) and no clean "
                                    "shutdown through it")


def min_ram_check(image, profiles):
    if not profiles:
        return Check(MIN_RAM, WARN, "no desktop profile to check against")
    need = int(image.min_ram or 0)
    short = [p for p in profiles if need > p.profile.ram_mb]
    if short:
        return Check(MIN_RAM, FAIL, f"min RAM {need} MB is more than "
                     + ", ".join(f"{p.name} ({p.profile.ram_mb} MB)" for p in short)
                     + " offers: nova refuses to boot it with them")
    smallest = min(p.profile.ram_mb for p in profiles)
    return Check(MIN_RAM, PASS, f"min RAM {need} MB fits every profile (smallest "
                                f"{smallest} MB)")


def _needed_disk_gb(image):
    size = image.virtual_size
    from_size = math.ceil(int(size) / GIB) if isinstance(size, int) and size > 0 else 0
    return max(int(image.min_disk or 0), from_size)


def min_disk_check(image, profiles):
    if not profiles:
        return Check(MIN_DISK, WARN, "no desktop profile to check against")
    need = _needed_disk_gb(image)
    short = [p for p in profiles if 0 < p.profile.disk_gb < need]
    if short:
        return Check(MIN_DISK, FAIL, f"needs a {need} GB root disk (min disk and virtual "
                     "size); " + ", ".join(f"{p.name} has {p.profile.disk_gb} GB"
                                           for p in short))
    zero = [p for p in profiles if p.profile.disk_gb == 0]
    if zero:
        return Check(MIN_DISK, WARN, f"{_names(zero)} has no root disk size (0 GB): nova "
                                     "lets only admins boot images with such a flavor")
    unknown = "" if isinstance(image.virtual_size, int) else " (virtual size unknown)"
    return Check(MIN_DISK, PASS, f"needs {need} GB, every profile's root disk is large "
                                 f"enough{unknown}")


def profile_projects(profiles):
    """The projects that may use a desktop profile: None for every project (a public
    profile exists), else the union of the private profiles' access lists."""
    if any(p.public for p in profiles):
        return None
    found = set()
    for use in profiles:
        found |= set(use.projects or ())
    return frozenset(found)


def _shared_check(image, members, name_of):
    if members is None:
        return Check(VISIBILITY, WARN, "shared: its members could not be read")
    accepted = sorted(name_of(p) for p, status in members.items() if status == "accepted")
    pending = sorted(name_of(p) for p, status in members.items() if status != "accepted")
    if not accepted:
        return Check(VISIBILITY, FAIL, f"shared, but no project accepted it: only "
                                       f"{name_of(image.owner)} sees it")
    if pending:
        return Check(VISIBILITY, WARN, f"shared with {', '.join(accepted)}; "
                                       f"{', '.join(pending)} did not accept it (glance "
                                       "lists shared images to accepted members only)")
    return Check(VISIBILITY, PASS, f"shared with {', '.join(accepted)} and its owner "
                                   f"{name_of(image.owner)}")


def visibility_check(image, profiles, members=None, project_names=None):
    """Who sees the image in the launch form against who may launch desktops at all.
    ``members``: ``{project id: member status}`` of a shared image."""
    names = project_names or {}

    def name_of(project_id):
        return names.get(project_id) or project_id or "?"

    if image.hidden:
        return Check(VISIBILITY, FAIL, "hidden (os_hidden): glance lists it to nobody, the "
                                       "launch form never shows it")
    if image.visibility == golden.COMMUNITY:
        return Check(VISIBILITY, FAIL, "community: glance does not list community images "
                                       "by default, the launch form never shows it")
    allowed = profile_projects(profiles)
    if image.visibility == golden.PUBLIC:
        return Check(VISIBILITY, PASS, "public: every project that may use a desktop "
                                       "profile sees it")
    if image.visibility == golden.SHARED:
        check = _shared_check(image, members, name_of)
        seen_by = {image.owner} | {p for p, s in (members or {}).items() if s == "accepted"}
    else:
        check = Check(VISIBILITY, WARN, f"private: only project {name_of(image.owner)} "
                                        "sees it in the launch form")
        seen_by = {image.owner}
    if allowed is not None and check.status != FAIL and not seen_by & allowed:
        return Check(VISIBILITY, FAIL, "no project that sees it may use a desktop profile "
                                       "(every profile is private to other projects)")
    return check


def gpu_driver_check(image, profiles):
    gpu = [p for p in profiles if p.has_gpu]
    if not gpu:
        return Check(GPU_DRIVER, PASS, "no GPU profile")
    if image.gpu_driver:
        return Check(GPU_DRIVER, PASS, f"declares {image.gpu_driver} for {_names(gpu)}")
    return Check(GPU_DRIVER, WARN, f"{golden.GPU_DRIVER} not declared: desktops of "
                                   f"{_names(gpu)} may boot without a working GPU driver")


def catalog_text_check(image):
    missing = [what for what, value in (("techniques", image.techniques),
                                        ("description", image.description)) if not value]
    if missing:
        return Check(CATALOG_TEXT, WARN, f"no {' and no '.join(missing)}: the launch form "
                                         "shows the name only")
    return Check(CATALOG_TEXT, PASS, ", ".join(image.techniques))


def checklist(image, profiles, members=None, project_names=None):
    """Every check of ``image`` (a core.golden.ImageRecord) against ``profiles``
    (core.golden.ProfileUse), in KEYS order."""
    return [
        origin_check(image),
        status_check(image),
        disk_format_check(image),
        video_check(image, profiles),
        guest_agent_check(image),
        min_ram_check(image, profiles),
        min_disk_check(image, profiles),
        visibility_check(image, profiles, members, project_names),
        gpu_driver_check(image, profiles),
        catalog_text_check(image),
    ]
