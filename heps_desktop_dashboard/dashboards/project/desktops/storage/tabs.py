"""The detail page's "My storage" tab: the user's personal volume (size, state, where it
is attached), the project's volume quota, and the Create / Move buttons. Reads only."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tabs

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops.storage import texts
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import home_storage


def _attached(ctx, desktop, home):
    """(desktop id, name or id, here) of each desktop the volume is attached to."""
    found = []
    for server_id in getattr(home, "attached_to", ()) or ():
        name = desktop.name if server_id == desktop.id else server_id
        if server_id != desktop.id:
            try:
                name = api.nova.desktop_get(ctx, server_id).name
            except Exception:
                name = server_id
        found.append({"id": server_id, "name": name, "here": server_id == desktop.id,
                      "url": reverse("horizon:project:desktops:detail", args=[server_id])})
    return found


def storage_context(request, desktop):
    ctx = api.context.for_request(request)
    found = home_storage.overview(ctx)
    home = found.home
    return {
        "desktop": desktop, "storage": found,
        "unavailable": None if found.available else texts.UNAVAILABLE[found.reason],
        "volume": home, "attached": _attached(ctx, desktop, home) if home else [],
        "quota": [{"label": texts.RESOURCES[resource], "used": used, "limit": limit}
                  for resource, (used, limit) in found.quota.items()],
        "mount_path": "/home/" + (ctx.username or ""),
        "create_url": reverse("horizon:project:desktops:create_storage"),
    }


class MyStorageTab(tabs.Tab):
    name = _("My storage")
    slug = "my_storage"
    template_name = "heps_desktops/desktops/_my_storage.html"
    # Loaded on demand: it reads Cinder.
    preload = False

    def allowed(self, request):
        # The owner's page only: the storage shown is the viewer's own.
        return self.tab_group.kwargs["desktop"].allows(access.MANAGE)

    def get_context_data(self, request):
        return storage_context(request, self.tab_group.kwargs["desktop"])
