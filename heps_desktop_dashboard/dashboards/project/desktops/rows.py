"""Join a page of nova servers with the related objects fetched once per page."""

import logging

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import archives
from heps_desktop_dashboard.core import conventions
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.dashboards.project.desktops import choices
from heps_desktop_dashboard.dashboards.project.desktops import texts
from heps_desktop_dashboard.services import access

LOG = logging.getLogger(__name__)

# Image names seen by the index page, so that the ajax row update (one nova GET, no
# glance call) can still show a name. Only ids of images a user booted from are ever
# looked up, so a name is never shown to someone who could not see the image.
_IMAGE_NAME_KEY = "heps-desktops:image-name:%s"
_IMAGE_NAME_TTL = 3600
# Names of a project's members as one viewer may see them (keystone lets admins list
# them; members get ids), for the owner column.
_MEMBER_NAMES_KEY = "heps-desktops:member-names:%s:%s"
_MEMBER_NAMES_TTL = 300


def remember_image_names(images):
    cache.set_many({_IMAGE_NAME_KEY % image_id: getattr(image, "name", "") or ""
                    for image_id, image in images.items()}, _IMAGE_NAME_TTL)


def images_for_update(request, server):
    """Images for an ajax row update: none when the name is cached, else one glance GET.

    The cache may be per process (locmem), so another Horizon worker may not have seen
    the name the index page looked up.
    """
    image_id = next(iter(image_ids([server])), None)
    if not image_id or cache.get(_IMAGE_NAME_KEY % image_id) is not None:
        return {}
    try:
        images = api.glance.images_by_id(api.context.for_request(request), [image_id])
    except Exception:
        LOG.debug("image name lookup failed for %s", image_id, exc_info=True)
        return {}
    remember_image_names(images)
    return images


class DesktopRow:
    """What one row of the Desktops table shows, read from a nova server.

    Nothing here calls an API: images are looked up in a dict fetched once per page.
    """

    def __init__(self, server, images=None, detail=False, now=None, viewer=None,
                 names=None):
        """``viewer``: the api context of the user looking (their level on the desktop,
        their own name); ``names``: {user id: name} of the project's members."""
        self.server = server
        # Built for the detail page or a posted action (every action applies), or for a
        # list row (only actions.ROW_ACTIONS render).
        self.detail = detail
        self.id = server.id
        self.name = getattr(server, "name", "") or server.id
        self.status = (getattr(server, "status", "") or "").lower()
        # While experiment data is attached/detached (core/mounts.py) the row shows it
        # as a task, so Horizon keeps polling the row (tables.UpdateRow drives it).
        self.task_state = (getattr(server, "OS-EXT-STS:task_state", None)
                           or mounts.pseudo_task_state(getattr(server, "metadata", None),
                                                       self.status))
        self.vm_state = getattr(server, "OS-EXT-STS:vm_state", None)
        self.created = getattr(server, "created", None)
        self.info = desktops.read_desktop(server, conf.lifetime_policy(), now)
        self.owner_id = self.info.owner_id
        # nova's user_id; the viewer's own desktops show the viewer's name.
        if viewer is not None and self.owner_id == viewer.user_id:
            self.owner_name = viewer.username or self.owner_id
        else:
            self.owner_name = (names or {}).get(self.owner_id) or self.owner_id
        # What the viewer may do on it (services/access.py); none without a viewer.
        self.access = access.level(viewer, server) if viewer is not None else access.NONE
        self.profile = self._profile_name()
        self.image_id, self.image_name = self._image(images or {})

    def _profile_name(self):
        flavor = getattr(self.server, "flavor", None) or {}
        # microversion >= 2.47 embeds the flavor; older ones only give its id.
        return self.info.profile or flavor.get("id", "")

    def _image(self, images):
        image = getattr(self.server, "image", None)
        image_id = image.get("id", "") if isinstance(image, dict) else ""
        if not image_id:
            # A persistent desktop boots from a volume: nova shows no image; the image
            # it was made from is named in editable metadata, so only this page's glance
            # answer (the user's own view of glance) names it, never the shared cache.
            claimed = volume_image_id(self.server)
            found = images.get(claimed) if claimed else None
            return (claimed, getattr(found, "name", "") or claimed) if claimed else ("", "")
        found = images.get(image_id)
        name = getattr(found, "name", "") if found else cache.get(_IMAGE_NAME_KEY % image_id)
        return image_id, name or image_id

    @property
    def flavor(self):
        flavor = getattr(self.server, "flavor", None)
        return flavor if isinstance(flavor, dict) else {}

    @property
    def gpu_text(self):
        specs = self.flavor.get("extra_specs") or {}
        resources = profiles.gpu_resources(specs)
        if not resources:
            return _("None (CPU only)")
        model = specs.get(profiles.SPEC_GPU_MODEL) or ", ".join(resources)
        kind = specs.get(profiles.SPEC_GPU_KIND) or ""
        count = sum(resources.values())
        return f"{count} × {model}" + (f" ({kind})" if kind else "")

    @property
    def status_display(self):
        return dict(choices.STATUS_DISPLAY_CHOICES).get(self.status, self.status)

    def allows(self, what):
        return access.allows(self.access, what)

    @property
    def access_display(self):
        return access.LEVEL_DISPLAY.get(self.access, self.access)

    @property
    def addresses(self):
        found = []
        for network, entries in (getattr(self.server, "addresses", None) or {}).items():
            found.append((network, [e.get("addr", "") for e in entries if isinstance(e, dict)]))
        return found

    @property
    def has_floating_ip(self):
        return any(entry.get("OS-EXT-IPS:type") == "floating"
                   for entries in (getattr(self.server, "addresses", None) or {}).values()
                   for entry in entries if isinstance(entry, dict))

    @property
    def experiment(self):
        return self.info.experiment

    @property
    def expires_at(self):
        return self.info.expires_at

    @property
    def time_left(self):
        return texts.time_left(self.info.time_left())

    @property
    def metadata_problems(self):
        return self.info.problems


def image_ids(servers):
    found = set()
    for server in servers:
        image = getattr(server, "image", None)
        if isinstance(image, dict) and image.get("id"):
            found.add(image["id"])
        elif volume_image_id(server):
            found.add(volume_image_id(server))
    return found


def volume_image_id(server):
    """The golden image of a volume-booted (persistent) desktop, as its metadata says."""
    metadata = getattr(server, "metadata", None)
    value = metadata.get(conventions.META_IMAGE) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and archives.UUID_RE.fullmatch(value) else ""


class MissingDesktop:
    """A posted id that is not one of the user's desktops: no action allows it."""

    detail = True
    status = ""
    task_state = "deleting"
    experiment = ""
    access = access.NONE

    def allows(self, what):
        return False

    def __init__(self, desktop_id):
        self.id = desktop_id
        self.name = desktop_id
        self.server = None


def expiry_warning(row):
    """True when the desktop expires within the configured warning window."""
    return desktops.within_warning(row.info, conf.get("expiry_warning_hours"))


def member_names(ctx, servers):
    """{user id: name} for the owners of ``servers`` other than the viewer: from the
    cache, else one keystone call (services.access.project_members), else {} (ids
    shown). Nothing is looked up when every desktop is the viewer's."""
    if all(str(getattr(s, "user_id", "")) == ctx.user_id for s in servers):
        return {}
    key = _MEMBER_NAMES_KEY % (ctx.project_id, ctx.user_id)
    found = cache.get(key)
    if found is None:
        found = dict(access.project_members(ctx).names)
        cache.set(key, found, _MEMBER_NAMES_TTL)
    return found
