"""Desktops › Archived: the user's archived desktops (one volume list, one backup list,
one glance call for image names)."""

from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import messages
from horizon import tables

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.dashboards.project.desktops.archived import tables as archive_tables
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyRequired
from heps_desktop_dashboard.services import archives

UNAVAILABLE = _("Archived desktops cannot be shown: the block storage service does not "
                "answer or is not part of this cloud.")


class ArchiveRow:
    """An archive with its image's name, for the table."""

    def __init__(self, archive, image_names):
        self.archive = archive
        self.image_name = image_names.get(archive.image_id, archive.image_id)

    def __getattr__(self, name):
        return getattr(self.archive, name)


class ArchivedView(PolicyRequired, tables.DataTableView):
    table_class = archive_tables.ArchivesTable
    template_name = "heps_desktops/desktops/archived.html"
    page_title = _("Archived Desktops")
    policy_rules = archive_tables.LIST_RULES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["archive_days"] = int(conf.get("archive_days"))
        return context

    def get_data(self):
        ctx = api.context.for_request(self.request)
        if not api.cinder.in_catalog(ctx):
            messages.info(self.request, UNAVAILABLE)
            return []
        try:
            found = archives.list_archives(ctx)
        except api.cinder.BlockStorageUnavailable:
            messages.warning(self.request, UNAVAILABLE)
            return []
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve archived desktops."))
            return []
        names = {}
        image_ids = sorted({a.image_id for a in found if a.image_id})
        if image_ids:
            try:
                names = {i: image.name for i, image in
                         api.glance.images_by_id(ctx, image_ids).items()}
            except Exception:
                exceptions.handle(self.request, ignore=True)
        return [ArchiveRow(archive, names) for archive in found]
