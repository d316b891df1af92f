"""Admin › GPU Capacity: one services/capacity.board call per page (and per refresh)."""

from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import messages
from horizon import tables
from horizon.utils import memoized

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.dashboards.admin.gpu_capacity import charts
from heps_desktop_dashboard.dashboards.admin.gpu_capacity import tables as capacity_tables
from heps_desktop_dashboard.services import capacity

REFRESH_SECONDS = 30
MISSING = {
    capacity.DESKTOPS: _("Desktops are unavailable (compute service): GPU holders are "
                         "shown by consumer id only."),
    capacity.NAMES: _("Project and user names are unavailable (identity service): ids "
                      "are shown."),
}


class IndexView(tables.MultiTableView):
    table_classes = (capacity_tables.ProvidersTable, capacity_tables.HoldersTable)
    template_name = "heps_desktops/admin/gpu_capacity/index.html"
    page_title = _("GPU Capacity")

    @memoized.memoized_method
    def board(self):
        try:
            found = capacity.board(api.context.for_request(self.request))
        except Exception:
            exceptions.handle(self.request, _("Unable to read GPU capacity from placement."))
            return None
        for missing in sorted(found.missing):
            messages.warning(self.request, MISSING[missing])
        return found

    def get_providers_data(self):
        board = self.board()
        return board.providers if board else []

    def get_holders_data(self):
        board = self.board()
        if not board:
            return []
        return [capacity_tables.HolderRow(holder, board.projects, board.users)
                for holder in board.holders]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        board = self.board()
        context.update({
            "unavailable": board is None,
            "classes": [(gpu_class, charts.bar(gpu_class))
                        for gpu_class in (board.classes if board else [])],
            "legend": charts.legend(),
            "idle": sum(1 for holder in (board.holders if board else []) if holder.idle),
            "updated": desktops.format_expiry(desktops.utcnow()),
            "refresh_seconds": REFRESH_SECONDS,
        })
        return context
