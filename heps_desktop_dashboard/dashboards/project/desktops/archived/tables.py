"""The Archived tab's table: the user's archived desktops, Restore and Delete Archive."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.utils.translation import pgettext_lazy
from horizon import exceptions
from horizon import tables

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import archives as core
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.services import archives

LIST_RULES = (("volume", "volume:get_all"),)
RESTORE_RULES = (("compute", "os_compute_api:servers:create"), ("volume", "volume:create"))
DELETE_RULES = (("volume", "volume:delete"),)
STATE_DISPLAY = (
    (core.READY, pgettext_lazy("State of an archived desktop", "Ready")),
    (core.PENDING, pgettext_lazy("State of an archived desktop", "Being made")),
    (core.FAILED, pgettext_lazy("State of an archived desktop", "Error")),
)
KIND_DISPLAY = (
    (core.RESOURCE_VOLUME, pgettext_lazy("Where an archive is kept", "Volume")),
    (core.RESOURCE_BACKUP, pgettext_lazy("Where an archive is kept", "Backup")),
)


class RestoreArchive(tables.LinkAction, PolicyOncePerRequest):
    """A restore is a launch: the Launch form with the archive (quota-checked)."""

    name = "restore"
    verbose_name = _("Restore")
    classes = ("ajax-modal", "btn-launch")
    icon = "repeat"
    policy_rules = RESTORE_RULES

    def get_link_url(self, datum):
        return (reverse("horizon:project:desktops:launch") + "?"
                + urlencode({"archive": datum.id}))

    def allowed(self, request, datum=None):
        return datum is not None and datum.state == core.READY


class DeleteArchive(tables.DeleteAction, PolicyOncePerRequest):
    """Owner only: the service re-reads the archive and checks its signed owner."""

    name = "delete_archive"
    policy_rules = DELETE_RULES
    help_text = _("The archived desktop's disk is deleted for good.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Delete Archive", "Delete Archives", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Deleted Archive", "Deleted Archives", count)

    def allowed(self, request, datum=None):
        return datum is None or datum.state != core.PENDING

    def delete(self, request, obj_id):
        try:
            archives.delete_archive(api.context.for_request(request), obj_id)
        except archives.ArchiveNotFound:
            exceptions.handle(request, _("That archive is not one of yours, or it is "
                                         "gone."), escalate=True, details="")
        except archives.ArchiveNotReady:
            exceptions.handle(request, _("That archive is still being made or restored; "
                                         "delete it once it is Ready."), escalate=True,
                              details="")


def utc_text(moment):
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


class _Posted:
    """An archive id posted by hand that the list does not show."""

    state = ""

    def __init__(self, archive_id):
        self.id = self.name = archive_id


class ArchivesTable(tables.DataTable):
    name = tables.WrappingColumn("name", verbose_name=_("Name"))
    profile = tables.Column("profile", verbose_name=_("Profile"), empty_value="—")
    image = tables.Column("image_name", verbose_name=_("Image"), empty_value="—")
    archived = tables.Column("archived_at", verbose_name=_("Archived at"),
                             filters=(utc_text,))
    size = tables.Column("size_gb", verbose_name=_("Size (GB)"))
    kind = tables.Column("resource", verbose_name=_("Kept as"), display_choices=KIND_DISPLAY)
    expires = tables.Column("expires_at", verbose_name=_("Expires"), filters=(utc_text,))
    state = tables.Column("state", verbose_name=_("State"), display_choices=STATE_DISPLAY)

    def get_object_id(self, datum):
        return datum.id

    def get_object_by_id(self, lookup):
        """A posted id not in the list is not dropped silently (Horizon's default
        redirects without its message): the service reads it again and refuses it."""
        for datum in self.data or ():
            if self.get_object_id(datum) == lookup:
                return datum
        return _Posted(lookup)

    def get_object_display(self, datum):
        return datum.name

    class Meta:
        name = "archives"
        verbose_name = _("Archived Desktops")
        table_actions = (DeleteArchive,)
        row_actions = (RestoreArchive, DeleteArchive)
