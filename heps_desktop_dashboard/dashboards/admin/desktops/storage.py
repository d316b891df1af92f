"""Admin › Desktops › Archives and storage: archived desktops and personal storage of
every project (services/storage_board.py), two read-only tables."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import messages
from horizon import tables
from horizon.utils import memoized

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.admin.desktops.actions import ADMIN_RULES
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.services import storage_board


class ArchivesLink(tables.LinkAction, PolicyOncePerRequest):
    name = "archives"
    verbose_name = _("Archives and Storage")
    url = "horizon:admin:desktops:storage"
    icon = "archive"
    policy_rules = ADMIN_RULES

    def get_link_url(self, datum=None):
        return reverse(self.url)


class _Row:
    def __init__(self, item, board):
        self.item = item
        self.id = getattr(item, "id", "")
        self.project = board.projects.get(item.project_id, item.project_id)
        owner = getattr(item, "owner_id", None) or getattr(item, "user_id", "")
        self.owner = board.users.get(owner, owner or "—")


class ArchiveRow(_Row):
    def __init__(self, item, board):
        super().__init__(item, board)
        self.name = item.name
        self.profile = item.profile
        self.archived_at = item.record.archived_at
        self.size = item.size_gb
        self.kept_as = item.resource
        self.state = item.state
        self.expires = item.expires_at


class HomeRow(_Row):
    def __init__(self, item, board):
        super().__init__(item, board)
        self.name = item.name
        self.size = item.size
        self.status = item.status
        self.attached = ", ".join(item.attached_to) or "—"


class ArchivesTable(tables.DataTable):
    name = tables.Column("name", verbose_name=_("Desktop"))
    project = tables.Column("project", verbose_name=_("Project"))
    owner = tables.Column("owner", verbose_name=_("Owner"))
    profile = tables.Column("profile", verbose_name=_("Profile"))
    archived_at = tables.Column("archived_at", verbose_name=_("Archived at"))
    kept_as = tables.Column("kept_as", verbose_name=_("Kept as"))
    size = tables.Column("size", verbose_name=_("Size (GB)"))
    state = tables.Column("state", verbose_name=_("State"))
    expires = tables.Column("expires", verbose_name=_("Deleted after"), empty_value="—")

    class Meta:
        name = "archives"
        verbose_name = _("Archived desktops")


class StorageTable(tables.DataTable):
    name = tables.Column("name", verbose_name=_("Volume"))
    project = tables.Column("project", verbose_name=_("Project"))
    owner = tables.Column("owner", verbose_name=_("Owner"))
    size = tables.Column("size", verbose_name=_("Size (GB)"))
    status = tables.Column("status", verbose_name=_("Status"))
    attached = tables.Column("attached", verbose_name=_("Attached to"))

    class Meta:
        name = "storage"
        verbose_name = _("Personal storage (My storage)")


class StorageView(tables.MultiTableView):
    table_classes = (ArchivesTable, StorageTable)
    template_name = "heps_desktops/admin/desktops/storage.html"
    page_title = _("Archives and Storage")

    @memoized.memoized_method
    def board(self):
        try:
            found = storage_board.board(api.context.for_request(self.request))
        except Exception:
            exceptions.handle(self.request, _("Unable to read archives and storage."))
            return storage_board.Board(available=False)
        if not found.available:
            messages.warning(self.request, _("Block storage (Cinder) is absent or does not "
                                             "answer: no archives or storage to show."))
        elif found.names_missing:
            messages.warning(self.request, _("Keystone did not answer: ids instead of "
                                             "names."))
        return found

    def get_archives_data(self):
        board = self.board()
        return [ArchiveRow(item, board) for item in board.archives]

    def get_storage_data(self):
        board = self.board()
        return [HomeRow(item, board) for item in board.homes]
