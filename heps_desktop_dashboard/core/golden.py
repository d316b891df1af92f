"""The golden-image catalog as the Admin dashboard curates it: glance image records, the
profiles that may boot them, and the catalog fields an admin edits (validated here)."""

import dataclasses
import re

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops

GOLDEN = names.IMAGE_GOLDEN
TECHNIQUES = names.IMAGE_TECHNIQUES
DESCRIPTION = names.IMAGE_DESCRIPTION
GPU_DRIVER = names.IMAGE_GPU_DRIVER
# Images a saved desktop became (services/results_export.py): candidates like any other.
SOURCE_DESKTOP = names.IMAGE_SOURCE_DESKTOP

# glance keeps property values up to 255 characters.
VALUE_MAX = 255
TECHNIQUES_MAX = 12
TECHNIQUE_RE = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,39}$")
GPU_DRIVER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_TRUE = ("true", "1", "yes", "on")

PUBLIC = "public"
PRIVATE = "private"
SHARED = "shared"
COMMUNITY = "community"


@dataclasses.dataclass(frozen=True)
class ImageRecord:
    """What glance says about an image (``GET /v2/images``), core fields apart."""

    id: str
    name: str
    status: str
    visibility: str
    owner: str
    disk_format: str
    container_format: str
    min_ram: int          # MB
    min_disk: int         # GB
    virtual_size: object  # bytes or None (glance does not always know it)
    hidden: bool
    properties: dict

    @property
    def golden(self):
        return str(self.properties.get(GOLDEN, "")).strip().lower() in _TRUE

    @property
    def techniques(self):
        return split_techniques(self.properties.get(TECHNIQUES))

    @property
    def description(self):
        return str(self.properties.get(DESCRIPTION) or "")

    @property
    def gpu_driver(self):
        return str(self.properties.get(GPU_DRIVER) or "").strip()

    @property
    def instance_snapshot(self):
        """A snapshot nova made of a server (shelve, backup, a user's snapshot), other
        than a saved desktop: not offered as a candidate."""
        props = self.properties
        return (str(props.get("image_type", "")) in ("snapshot", "backup")
                and bool(props.get("instance_uuid")) and not props.get(SOURCE_DESKTOP))


@dataclasses.dataclass(frozen=True)
class ProfileUse:
    """A desktop profile that may boot a golden image: the Profile (core/profiles.py),
    its flavor's extra specs, whether the flavor is public, and (private flavors, when
    read) the projects with access to it."""

    profile: object
    specs: dict
    public: bool = True
    projects: frozenset = frozenset()

    @property
    def name(self):
        return self.profile.name

    @property
    def has_gpu(self):
        return self.profile.gpu_count > 0


# Rules of the catalog fields whose refusal an admin reads (desktops.RuleError.code): the
# dashboard words them in the admin's language (dashboards/admin/golden_images/forms.py).
TECHNIQUE_BAD = "technique_bad"
TECHNIQUES_TOO_MANY = "techniques_too_many"
TECHNIQUES_TOO_LONG = "techniques_too_long"
DESCRIPTION_CONTROL = "description_control"
DESCRIPTION_TOO_LONG = "description_too_long"
GPU_DRIVER_BAD = "gpu_driver_bad"


def split_techniques(raw):
    return [t.strip() for t in str(raw or "").split(",") if t.strip()]


def clean_techniques(raw):
    """The techniques typed by an admin as glance's comma list; ValueError with the
    reason when they are not short lower-case words."""
    found = []
    for technique in split_techniques(str(raw or "").lower()):
        technique = " ".join(technique.split())
        if not TECHNIQUE_RE.match(technique):
            raise desktops.RuleError(
                TECHNIQUE_BAD, f"{technique!r} is not a technique: use letters, digits, "
                "spaces, '-' or '_' (at most 40 characters each)", technique=technique)
        if technique not in found:
            found.append(technique)
    if len(found) > TECHNIQUES_MAX:
        raise desktops.RuleError(TECHNIQUES_TOO_MANY, f"at most {TECHNIQUES_MAX} techniques",
                                 max=TECHNIQUES_MAX)
    joined = ",".join(found)
    if len(joined) > VALUE_MAX:
        raise desktops.RuleError(TECHNIQUES_TOO_LONG,
                                 f"at most {VALUE_MAX} characters together", max=VALUE_MAX)
    return joined


def clean_description(raw):
    text = " ".join(str(raw or "").split())
    if _CONTROL_RE.search(text):
        raise desktops.RuleError(DESCRIPTION_CONTROL, "control characters are not allowed")
    if len(text) > VALUE_MAX:
        raise desktops.RuleError(DESCRIPTION_TOO_LONG, f"at most {VALUE_MAX} characters",
                                 max=VALUE_MAX)
    return text


def clean_gpu_driver(raw):
    text = str(raw or "").strip()
    if text and not GPU_DRIVER_RE.match(text):
        raise desktops.RuleError(GPU_DRIVER_BAD, "a driver name and version such as "
                                 "nvidia-550.90 or nvidia-grid-17.3 (letters, digits, '.', "
                                 "'_', '+', '-')")
    return text


def property_changes(image, wanted):
    """``(set, remove)`` turning ``image``'s catalog properties into ``wanted``
    (``{property: value}``; an empty value removes the property)."""
    to_set, to_remove = {}, []
    for key, value in wanted.items():
        current = image.properties.get(key)
        if value in ("", None):
            if current is not None:
                to_remove.append(key)
        elif current is None or str(current) != value:
            to_set[key] = value
    return to_set, to_remove


def catalog_properties(golden, techniques="", description="", gpu_driver=""):
    """The properties an entry of the catalog form writes."""
    return {GOLDEN: "true" if golden else "false", TECHNIQUES: techniques,
            DESCRIPTION: description, GPU_DRIVER: gpu_driver}
