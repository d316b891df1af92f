"""GPU Capacity tables: placement's GPU inventory per provider, and who holds each GPU."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables
from horizon.utils import filters

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.admin.desktops import rows
from heps_desktop_dashboard.dashboards.admin.desktops.actions import ADMIN_RULES
from heps_desktop_dashboard.dashboards.admin.desktops.actions import SHELVABLE
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.services import fleet


class ProvidersTable(tables.DataTable):
    gpu_class = tables.Column("label", verbose_name=_("GPU class"))
    host = tables.Column("host", verbose_name=_("Host"))
    provider = tables.Column("name", verbose_name=_("Resource provider"))
    total = tables.Column("total", verbose_name=_("Total"))
    reserved = tables.Column("reserved", verbose_name=_("Reserved"))
    used = tables.Column("used", verbose_name=_("Used"))
    free = tables.Column("free", verbose_name=_("Free"))

    def get_object_id(self, datum):
        return f"{datum.uuid}:{datum.resource_class}"

    class Meta:
        name = "providers"
        verbose_name = _("Per resource provider")


class HolderRow:
    """A core.gpu_capacity.Holder with names, as the table shows it."""

    def __init__(self, holder, projects, users):
        self.holder = holder
        self.id = holder.consumer_id
        server = holder.server
        self.is_desktop = server is not None
        self.name = getattr(server, "name", "") if server is not None else ""
        self.project_id = str(getattr(server, "tenant_id", "") or "")
        self.user_id = str(getattr(server, "user_id", "") or "")
        self.project_name = projects.get(self.project_id) or self.project_id
        self.owner_name = users.get(self.user_id) or self.user_id
        self.since = (getattr(server, "OS-SRV-USG:launched_at", None)
                      or getattr(server, "created", None)) if server is not None else None
        self.status = holder.status.lower()
        self.task_state = holder.task_state
        self.idle = holder.idle
        self.label = holder.label
        self.amount = holder.amount
        self.host = holder.host
        self.provider = holder.provider


def consumer_text(row):
    if row.is_desktop:
        return format_html('<a href="{}">{}</a>',
                           reverse("horizon:admin:desktops:detail", args=[row.id]),
                           row.name or row.id)
    return format_html('{} <small class="text-muted">{}</small>', row.id,
                       _("not a desktop (server or migration)"))


def status_text(row):
    if not row.is_desktop:
        return "—"
    shown = rows.status_display(row.status)
    if row.idle:
        return format_html('{} <span class="label label-warning" title="{}">{}</span>',
                           shown, _("Stopped but still holding its GPU: shelve it to give "
                                    "the GPU back."), _("Idle GPU"))
    return shown


class ShelveHolder(tables.BatchAction, PolicyOncePerRequest):
    name = "shelve"
    policy_rules = ADMIN_RULES
    help_text = _("The desktop stops and its GPU goes back to the facility.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.action_type = "danger"  # red, and confirmed in a dialog

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Shelve Desktop (release GPU)",
                             "Shelve Desktops (release GPUs)", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Shelving Desktop — GPU released",
                             "Shelving Desktops — GPUs released", count)

    def action(self, request, obj_id):
        fleet.shelve(api.context.for_request(request), obj_id)

    def allowed(self, request, datum=None):
        return datum is None or (datum.is_desktop and datum.status in SHELVABLE
                                 and not datum.task_state)


class _HolderRow(tables.Row):
    def load_cells(self, datum=None):
        super().load_cells(datum)
        if getattr(self.datum, "idle", False):
            self.classes.append("heps-idle-holder")


class _Gone:
    """A posted consumer that no longer holds a GPU: no action applies."""

    is_desktop = False
    status = ""
    task_state = None

    def __init__(self, consumer_id):
        self.id = consumer_id
        self.name = consumer_id


class HoldersTable(tables.DataTable):
    consumer = tables.Column(consumer_text, verbose_name=_("Held by"))
    gpu_class = tables.Column("label", verbose_name=_("GPU class"))
    amount = tables.Column("amount", verbose_name=_("GPUs"))
    host = tables.Column("host", verbose_name=_("Host"))
    project = tables.Column("project_name", verbose_name=_("Project"), empty_value="—")
    owner = tables.Column("owner_name", verbose_name=_("User"), empty_value="—")
    since = tables.Column("since", verbose_name=_("Since"), empty_value="—",
                          filters=(filters.parse_isotime, filters.timesince_sortable),
                          attrs={"data-type": "timesince"})
    status = tables.Column(status_text, verbose_name=_("Status"))

    def get_object_by_id(self, lookup):
        for datum in self.data or ():
            if datum.id == lookup:
                return datum
        return _Gone(lookup)

    def get_object_display(self, datum):
        return datum.name or datum.id

    class Meta:
        name = "holders"
        verbose_name = _("Who holds each GPU")
        row_class = _HolderRow
        table_actions = (ShelveHolder,)
        row_actions = (ShelveHolder,)
