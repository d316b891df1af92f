"""The validation checklist of a golden image: each check is a plain function of glance's
image record and the desktop profiles that may boot it, and answers pass, warn or fail
with the reason: a code and its parameters (REASONS words it in English; the admin
dashboard in the admin's language, dashboards/admin/golden_images/texts.py)."""

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


# Reason codes, with their English words (placeholders are %(name)s of Check.params).
REASONS = {
    "snapshot_inherited": "nova's snapshot of server %(server)s (shelve, backup or a user's "
                          "snapshot): it inherited the golden flag from its image, unmark it",
    "snapshot": "nova's snapshot of server %(server)s (shelve, backup or a user's snapshot)",
    "saved_desktop": "saved desktop %(desktop)s",
    "uploaded": "uploaded image",
    "active": "active",
    "not_active": "%(status)s: nova boots active images only",
    "no_status": "no status: nova boots active images only",
    "no_disk_format": "no disk format: the image has no data yet",
    "iso": "iso: boots an installer, not a ready desktop",
    "bad_disk_format": "%(format)s: KVM desktops boot raw or qcow2; convert it "
                       "(qemu-img convert -O qcow2)",
    "bad_container": "%(format)s in a %(container)s container: nova expects bare",
    "disk_format_ok": "%(format)s",
    "video_ram_too_high": "hw_video_ram %(wanted)s MB is more than %(profiles)s allows: nova "
                          "refuses to boot it",
    "video_unset": "hw_video_model not set: the desktop gets the hypervisor's default adapter "
                   "(low resolutions, slow console); set virtio or qxl",
    "video_none": "hw_video_model none: no display, the console stays black",
    "video_slow": "hw_video_model %(model)s: virtio or qxl give desktop resolutions and a "
                  "fast console",
    "video_ok": "hw_video_model %(model)s",
    "agent_ok": "hw_qemu_guest_agent %(value)s",
    "agent_unset": "hw_qemu_guest_agent not set: no guest agent, so no quiesced snapshot "
                   "(Save as Image) and no clean shutdown through it",
    "no_profile": "no desktop profile to check against",
    "ram_short": "min RAM %(need)s MB is more than %(profiles)s offers: nova refuses to boot "
                 "it with them",
    "ram_ok": "min RAM %(need)s MB fits every profile (smallest %(smallest)s MB)",
    "disk_short": "needs a %(need)s GB root disk (min disk and virtual size); %(profiles)s "
                  "offers less",
    "disk_zero": "%(profiles)s has no root disk size (0 GB): nova lets only admins boot "
                 "images with such a flavor",
    "disk_ok": "needs %(need)s GB, every profile's root disk is large enough",
    "disk_ok_unknown": "needs %(need)s GB, every profile's root disk is large enough "
                       "(virtual size unknown)",
    "members_unknown": "shared: its members could not be read",
    "shared_unaccepted": "shared, but no project accepted it: only %(owner)s sees it",
    "shared_pending": "shared with %(accepted)s; %(pending)s did not accept it (glance lists "
                      "shared images to accepted members only)",
    "shared_ok": "shared with %(accepted)s and its owner %(owner)s",
    "hidden": "hidden (os_hidden): glance lists it to nobody, the launch form never shows it",
    "community": "community: glance does not list community images by default, the launch "
                 "form never shows it",
    "public": "public: every project that may use a desktop profile sees it",
    "private": "private: only project %(owner)s sees it in the launch form",
    "unseen": "no project that sees it may use a desktop profile (every profile is private "
              "to other projects)",
    "no_gpu_profile": "no GPU profile",
    "gpu_driver_ok": "declares %(driver)s for %(profiles)s",
    "gpu_driver_unset": "%(property)s not declared: desktops of %(profiles)s may boot without "
                        "a working GPU driver",
    "no_catalog_text": "no techniques and no description: the launch form shows the name only",
    "no_techniques": "no techniques: the launch form shows the name only",
    "no_description": "no description: the launch form shows the name only",
    "techniques": "%(techniques)s",
}


@dataclasses.dataclass(frozen=True)
class Check:
    key: str
    status: str
    code: str
    params: dict = dataclasses.field(default_factory=dict)

    @property
    def reason(self):
        """The reason in English."""
        return REASONS[self.code] % self.params


def worst(checks):
    """The most severe status of ``checks`` (pass when there are none)."""
    return max((c.status for c in checks), key=SEVERITY.get, default=PASS)


def _names(profiles):
    return ", ".join(p.name for p in profiles)


def origin_check(image):
    """nova copies an image's properties into its snapshots (shelve, backup): such a
    snapshot of a desktop booted from a golden image says it is golden too."""
    if image.instance_snapshot:
        server = image.properties.get("instance_uuid")
        if image.golden:
            return Check(ORIGIN, FAIL, "snapshot_inherited", {"server": server})
        return Check(ORIGIN, WARN, "snapshot", {"server": server})
    if image.properties.get(golden.SOURCE_DESKTOP):
        return Check(ORIGIN, PASS, "saved_desktop",
                     {"desktop": image.properties[golden.SOURCE_DESKTOP]})
    return Check(ORIGIN, PASS, "uploaded")


def status_check(image):
    if image.status == "active":
        return Check(STATUS, PASS, "active")
    if not image.status:
        return Check(STATUS, FAIL, "no_status")
    return Check(STATUS, FAIL, "not_active", {"status": image.status})


def disk_format_check(image):
    fmt, container = image.disk_format or "", image.container_format or ""
    if not fmt:
        return Check(DISK_FORMAT, FAIL, "no_disk_format")
    if fmt == "iso":
        return Check(DISK_FORMAT, FAIL, "iso")
    if fmt not in GOOD_DISK_FORMATS:
        return Check(DISK_FORMAT, WARN, "bad_disk_format", {"format": fmt})
    if container not in GOOD_CONTAINERS:
        return Check(DISK_FORMAT, WARN, "bad_container",
                     {"format": fmt, "container": container})
    return Check(DISK_FORMAT, PASS, "disk_format_ok", {"format": fmt})


def _video_ram_too_high(image, profiles):
    try:
        wanted = int(image.properties.get("hw_video_ram") or 0)
    except (TypeError, ValueError):
        return None
    too_small = []
    for use in profiles:
        try:
            allowed = int(use.specs.get(VIDEO_RAM_SPEC) or 0)
        except (TypeError, ValueError):
            allowed = 0
        if wanted and wanted > allowed:
            too_small.append(f"{use.name} ({allowed} MB)")
    if not too_small:
        return None
    return {"wanted": wanted, "profiles": ", ".join(too_small)}


def video_check(image, profiles=()):
    model = str(image.properties.get("hw_video_model") or "").strip().lower()
    if not model:
        return Check(VIDEO, FAIL, "video_unset")
    if model == "none":
        return Check(VIDEO, FAIL, "video_none")
    too_high = _video_ram_too_high(image, profiles)
    if too_high:
        return Check(VIDEO, FAIL, "video_ram_too_high", too_high)
    if model not in GOOD_VIDEO_MODELS:
        return Check(VIDEO, WARN, "video_slow", {"model": model})
    return Check(VIDEO, PASS, "video_ok", {"model": model})


def guest_agent_check(image):
    value = str(image.properties.get("hw_qemu_guest_agent") or "").strip().lower()
    if value in _TRUE:
        return Check(GUEST_AGENT, PASS, "agent_ok", {"value": value})
    return Check(GUEST_AGENT, WARN, "agent_unset")


def min_ram_check(image, profiles):
    if not profiles:
        return Check(MIN_RAM, WARN, "no_profile")
    need = int(image.min_ram or 0)
    short = [p for p in profiles if need > p.profile.ram_mb]
    if short:
        return Check(MIN_RAM, FAIL, "ram_short", {
            "need": need,
            "profiles": ", ".join(f"{p.name} ({p.profile.ram_mb} MB)" for p in short)})
    smallest = min(p.profile.ram_mb for p in profiles)
    return Check(MIN_RAM, PASS, "ram_ok", {"need": need, "smallest": smallest})


def _needed_disk_gb(image):
    size = image.virtual_size
    from_size = math.ceil(int(size) / GIB) if isinstance(size, int) and size > 0 else 0
    return max(int(image.min_disk or 0), from_size)


def min_disk_check(image, profiles):
    if not profiles:
        return Check(MIN_DISK, WARN, "no_profile")
    need = _needed_disk_gb(image)
    short = [p for p in profiles if 0 < p.profile.disk_gb < need]
    if short:
        return Check(MIN_DISK, FAIL, "disk_short", {
            "need": need,
            "profiles": ", ".join(f"{p.name} ({p.profile.disk_gb} GB)" for p in short)})
    zero = [p for p in profiles if p.profile.disk_gb == 0]
    if zero:
        return Check(MIN_DISK, WARN, "disk_zero", {"profiles": _names(zero)})
    code = "disk_ok" if isinstance(image.virtual_size, int) else "disk_ok_unknown"
    return Check(MIN_DISK, PASS, code, {"need": need})


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
        return Check(VISIBILITY, WARN, "members_unknown")
    accepted = sorted(name_of(p) for p, status in members.items() if status == "accepted")
    pending = sorted(name_of(p) for p, status in members.items() if status != "accepted")
    if not accepted:
        return Check(VISIBILITY, FAIL, "shared_unaccepted", {"owner": name_of(image.owner)})
    if pending:
        return Check(VISIBILITY, WARN, "shared_pending",
                     {"accepted": ", ".join(accepted), "pending": ", ".join(pending)})
    return Check(VISIBILITY, PASS, "shared_ok",
                 {"accepted": ", ".join(accepted), "owner": name_of(image.owner)})


def visibility_check(image, profiles, members=None, project_names=None):
    """Who sees the image in the launch form against who may launch desktops at all.
    ``members``: ``{project id: member status}`` of a shared image."""
    names = project_names or {}

    def name_of(project_id):
        return names.get(project_id) or project_id or "?"

    if image.hidden:
        return Check(VISIBILITY, FAIL, "hidden")
    if image.visibility == golden.COMMUNITY:
        return Check(VISIBILITY, FAIL, "community")
    allowed = profile_projects(profiles)
    if image.visibility == golden.PUBLIC:
        return Check(VISIBILITY, PASS, "public")
    if image.visibility == golden.SHARED:
        check = _shared_check(image, members, name_of)
        seen_by = {image.owner} | {p for p, s in (members or {}).items() if s == "accepted"}
    else:
        check = Check(VISIBILITY, WARN, "private", {"owner": name_of(image.owner)})
        seen_by = {image.owner}
    if allowed is not None and check.status != FAIL and not seen_by & allowed:
        return Check(VISIBILITY, FAIL, "unseen")
    return check


def gpu_driver_check(image, profiles):
    gpu = [p for p in profiles if p.has_gpu]
    if not gpu:
        return Check(GPU_DRIVER, PASS, "no_gpu_profile")
    if image.gpu_driver:
        return Check(GPU_DRIVER, PASS, "gpu_driver_ok",
                     {"driver": image.gpu_driver, "profiles": _names(gpu)})
    return Check(GPU_DRIVER, WARN, "gpu_driver_unset",
                 {"property": golden.GPU_DRIVER, "profiles": _names(gpu)})


def catalog_text_check(image):
    if not image.techniques and not image.description:
        return Check(CATALOG_TEXT, WARN, "no_catalog_text")
    if not image.techniques:
        return Check(CATALOG_TEXT, WARN, "no_techniques")
    if not image.description:
        return Check(CATALOG_TEXT, WARN, "no_description")
    return Check(CATALOG_TEXT, PASS, "techniques", {"techniques": ", ".join(image.techniques)})


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
