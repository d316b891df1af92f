"""The golden-image catalog (Admin › Golden Images): every golden image and the candidates
(other active images) with their validation checklist, and the admin's changes to an
image's catalog properties (audited).

Reads: glance's images (pages of 200), the flavors with extra specs (one call), keystone's
project names (one call), the members of each shared image and, only when no desktop
profile is public, the access list of each private profile (one call each).
"""

import dataclasses
import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.core import golden
from heps_desktop_dashboard.core import golden_checks
from heps_desktop_dashboard.core import profiles as core_profiles
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import parallel

LOG = logging.getLogger(__name__)
# Shared images whose members are read per page (one call each); beyond, unknown.
MAX_MEMBER_READS = 50

# What could not be read (Catalog.missing); the page says so.
PROFILES = "profiles"
NAMES = "names"
MEMBERS = "members"


NOT_ACTIVE = "not_active"  # Refused.code: only an active image can be golden


class Refused(exceptions.DesktopError, ValueError):
    """The change is not allowed (the message says why, in English; ``code`` and
    ``params`` for the dashboard); nothing was written."""

    def __init__(self, message, code="", **params):
        super().__init__(message)
        self.code, self.params = code, params


@dataclasses.dataclass
class Entry:
    image: golden.ImageRecord
    checks: list
    owner_name: str = ""

    @property
    def id(self):
        return self.image.id

    @property
    def verdict(self):
        return golden_checks.worst(self.checks)


@dataclasses.dataclass
class Catalog:
    golden: list = dataclasses.field(default_factory=list)
    candidates: list = dataclasses.field(default_factory=list)
    profiles: list = dataclasses.field(default_factory=list)   # golden.ProfileUse
    projects: dict = dataclasses.field(default_factory=dict)
    missing: set = dataclasses.field(default_factory=set)


def _uses(flavors):
    found = []
    for flavor, specs in flavors:
        if not core_profiles.is_profile(specs) or core_profiles.is_retired(specs):
            continue
        try:
            profile = core_profiles.profile_from_flavor(
                flavor.id, flavor.name, flavor.vcpus, flavor.ram, flavor.disk, specs)
        except core_profiles.InvalidProfile:
            continue
        found.append(golden.ProfileUse(profile, dict(specs),
                                       public=getattr(flavor, "is_public", True) is True))
    return sorted(found, key=lambda use: use.name)


def _profile_uses(ctx, missing):
    """The desktop profiles (not retired ones) as ProfileUses; their access lists only
    when none is public
    (otherwise every project may use a profile and the lists change nothing)."""
    try:
        uses = _uses(api.nova_flavors.flavors_with_specs(ctx))
    except Exception as exc:
        LOG.warning("golden images: profiles unavailable: %s", exc)
        missing.add(PROFILES)
        return []
    if any(use.public for use in uses):
        return uses
    lists = parallel.call_all([(api.flavors_admin.flavor_access_list, ctx, use.profile.id)
                               for use in uses])
    if any(isinstance(found, Exception) for found in lists):
        missing.add(PROFILES)
    return [dataclasses.replace(use, projects=frozenset(found) if isinstance(found, list)
                                else frozenset()) for use, found in zip(uses, lists,
                                                                        strict=True)]


def _members(ctx, images, missing):
    shared = [image for image in images if image.visibility == golden.SHARED]
    results = parallel.call_all([(api.images_admin.image_members, ctx, image.id)
                         for image in shared[:MAX_MEMBER_READS]])
    found = {}
    for image, result in zip(shared, results, strict=False):
        if isinstance(result, Exception):
            missing.add(MEMBERS)
        else:
            found[image.id] = result
    return found


def _entry(image, uses, members, projects):
    checks = golden_checks.checklist(image, uses, members.get(image.id), projects)
    return Entry(image, checks, projects.get(image.owner) or image.owner)


def board(ctx):
    """The Catalog. glance unreadable raises; profiles, names or members unreadable
    are left out (``Catalog.missing``) and the checks that need them say so."""
    catalog = Catalog()
    images, uses, projects = parallel.call_all([
        (api.images_admin.image_list_all, ctx),
        (_profile_uses, ctx, catalog.missing),
        (api.identity_names.project_names, ctx),
    ])
    if isinstance(images, Exception):
        raise images
    if isinstance(projects, Exception):
        LOG.warning("golden images: project names unavailable: %s", projects)
        catalog.missing.add(NAMES)
        projects = {}
    catalog.profiles, catalog.projects = uses, projects
    listed = [image for image in images if image.golden] + [
        image for image in images if not image.golden and image.status == "active"
        and not image.instance_snapshot]
    # nova's snapshots that inherited the golden flag after the real golden images
    listed.sort(key=lambda image: (image.instance_snapshot, image.name.lower()))
    members = _members(ctx, listed, catalog.missing)
    for image in listed:
        entry = _entry(image, uses, members, projects)
        (catalog.golden if image.golden else catalog.candidates).append(entry)
    return catalog


def entry(ctx, image_id):
    """One image's Entry, read again from glance (the edit form and its checklist)."""
    image = api.images_admin.image_get(ctx, image_id)
    missing = set()
    uses = _profile_uses(ctx, missing)
    members = _members(ctx, [image], missing)
    try:
        projects = api.identity_names.project_names(ctx)
    except Exception:
        projects = {}
    return _entry(image, uses, members, projects)


def update(ctx, image_id, *, golden_flag, techniques="", description="", gpu_driver=""):
    """Write an image's catalog properties (already cleaned by core.golden's
    ``clean_*``); Refused when marking an image golden that is not active. Returns the
    updated ImageRecord."""
    wanted = golden.catalog_properties(golden_flag, techniques, description, gpu_driver)
    return _write(ctx, image_id, wanted, golden_flag)


def mark(ctx, image_id):
    """Mark an image golden, keeping its techniques and description."""
    return _write(ctx, image_id, {golden.GOLDEN: "true"}, True)


def unmark(ctx, image_id):
    """Take an image out of the catalog (``heps_golden=false``)."""
    return _write(ctx, image_id, {golden.GOLDEN: "false"}, False)


def _write(ctx, image_id, wanted, golden_flag):
    with audit.outcome(ctx, audit.IMAGE_CATALOG, image_id, refusals=(Refused,),
                       golden=golden_flag) as pending:
        image = api.images_admin.image_get(ctx, image_id)
        pending.target_name = image.name
        if golden_flag and image.status != "active":
            raise Refused(f'Image "{image.name}" is {image.status}: only an active image '
                          "can be golden.", NOT_ACTIVE, name=image.name, status=image.status)
        to_set, to_remove = golden.property_changes(image, wanted)
        pending.details.update(set=sorted(to_set), removed=sorted(to_remove))
        return api.images_admin.image_update_properties(ctx, image, to_set, to_remove)
