"""One row of Admin › Desktops, read from a nova server and the page's name maps.

Nothing here calls an API. The index page remembers the project and user names it read
(admin pages only), so an ajax row update (one nova GET) still shows names.
"""

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.dashboards.project.desktops import choices
from heps_desktop_dashboard.dashboards.project.desktops import texts

_NAMES_KEY = "heps-desktops:admin-names:%s"
_NAMES_TTL = 3600


def remember_names(projects, users):
    cache.set_many({_NAMES_KEY % "projects": dict(projects),
                    _NAMES_KEY % "users": dict(users)}, _NAMES_TTL)


def remembered_names():
    return (cache.get(_NAMES_KEY % "projects") or {},
            cache.get(_NAMES_KEY % "users") or {})


def status_display(status):
    """The status in words; the first match wins, as in Horizon's tables (dict() of the
    choices would let Horizon's own later words override the plugin's)."""
    for value, words in choices.STATUS_DISPLAY_CHOICES:
        if value == status:
            return words
    return status


def gpu_text(flavor):
    specs = (flavor or {}).get("extra_specs") or {}
    resources = profiles.gpu_resources(specs)
    if not resources:
        return _("None (CPU only)")
    model = specs.get(profiles.SPEC_GPU_MODEL) or ", ".join(resources)
    kind = specs.get(profiles.SPEC_GPU_KIND) or ""
    count = sum(resources.values())
    return f"{count} × {model}" + (f" ({kind})" if kind else "")


class FleetRow:
    """A desktop of any project as the admin table and detail page show it."""

    def __init__(self, server, projects=None, users=None, images=None, now=None,
                 detail=False):
        self.server = server
        self.detail = detail
        self.id = server.id
        self.name = getattr(server, "name", "") or server.id
        self.status = (getattr(server, "status", "") or "").lower()
        self.task_state = getattr(server, "OS-EXT-STS:task_state", None)
        self.created = getattr(server, "created", None)
        self.launched_at = getattr(server, "OS-SRV-USG:launched_at", None)
        self.host = getattr(server, "OS-EXT-SRV-ATTR:host", None) or ""
        self.info = desktops.read_desktop(server, conf.lifetime_policy(), now)
        self.project_id = str(getattr(server, "tenant_id", "") or "")
        self.owner_id = self.info.owner_id
        self.project_name = (projects or {}).get(self.project_id) or self.project_id
        self.owner_name = (users or {}).get(self.owner_id) or self.owner_id
        self.profile = self.info.profile or self.flavor.get("id", "")
        self.gpu_text = gpu_text(self.flavor)
        image = getattr(server, "image", None)
        self.image_id = image.get("id", "") if isinstance(image, dict) else ""
        found = (images or {}).get(self.image_id)
        self.image_name = (getattr(found, "name", "") if found else "") or self.image_id
        self.now = now

    @property
    def flavor(self):
        flavor = getattr(self.server, "flavor", None)
        return flavor if isinstance(flavor, dict) else {}

    @property
    def experiment(self):
        return self.info.experiment

    @property
    def expires_at(self):
        return self.info.expires_at

    @property
    def time_left(self):
        return texts.time_left(self.info.time_left(self.now))

    @property
    def expiring(self):
        return desktops.within_warning(self.info, conf.get("expiry_warning_hours"),
                                       self.now)

    @property
    def status_display(self):
        return status_display(self.status)

    @property
    def addresses(self):
        return [(network, [e.get("addr", "") for e in entries if isinstance(e, dict)])
                for network, entries in (getattr(self.server, "addresses", None)
                                         or {}).items()]

    @property
    def metadata_problems(self):
        return self.info.problems


class MissingDesktop:
    """A posted id that is not a desktop: no action allows it."""

    detail = True
    status = ""
    task_state = "deleting"

    def __init__(self, desktop_id):
        self.id = desktop_id
        self.name = desktop_id
        self.server = None
