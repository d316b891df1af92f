"""Admin › Desktops: every project's desktops, marker-paged with the filters kept."""

from urllib import parse

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from horizon import tables
from horizon.utils import filters

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.admin.desktops import actions
from heps_desktop_dashboard.dashboards.admin.desktops import rows
from heps_desktop_dashboard.dashboards.admin.desktops import storage
from heps_desktop_dashboard.dashboards.project.desktops import choices


def expiry_text(row):
    if row.expires_at is None:
        return _("Never")
    if row.info.expiry_problem:
        return format_html('<span class="label label-danger" title="{}">{}</span>',
                           _("The expiry was changed outside the dashboard or is missing: "
                             "the desktop expires at this time."), row.time_left)
    if row.expiring:
        return format_html('<span class="label label-warning">{}</span>', row.time_left)
    return row.time_left


class UpdateRow(tables.Row):
    """Polled while a row is in transition: one nova GET; names from the index page."""

    ajax = True

    def get_data(self, request, desktop_id):
        server = api.nova_admin.desktop_get_any_project(api.context.for_request(request),
                                                        desktop_id)
        projects, users = rows.remembered_names()
        return rows.FleetRow(server, projects, users)


class FleetTable(tables.DataTable):
    name = tables.WrappingColumn("name", verbose_name=_("Name"),
                                 link="horizon:admin:desktops:detail")
    project = tables.Column("project_name", verbose_name=_("Project"))
    owner = tables.Column("owner_name", verbose_name=_("Owner"))
    profile = tables.Column("profile", verbose_name=_("Profile"))
    gpu = tables.Column("gpu_text", verbose_name=_("GPU"))
    image = tables.Column("image_name", verbose_name=_("Image"), empty_value="—")
    experiment = tables.Column("experiment", verbose_name=_("Experiment"), empty_value="—")
    status = tables.Column("status", verbose_name=_("Status"), status=True,
                           status_choices=choices.STATUS_CHOICES,
                           display_choices=choices.STATUS_DISPLAY_CHOICES)
    task = tables.Column("task_state", verbose_name=_("Task"), empty_value="—",
                         status=True, status_choices=choices.TASK_STATUS_CHOICES,
                         display_choices=choices.TASK_DISPLAY_CHOICES)
    created = tables.Column("created", verbose_name=_("Created"),
                            filters=(filters.parse_isotime, filters.timesince_sortable),
                            attrs={"data-type": "timesince"})
    expires = tables.Column(expiry_text, verbose_name=_("Expires in"))
    host = tables.Column("host", verbose_name=_("Host"), empty_value="—")

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Set by the view: the filters' query string and the first/last server nova
        # returned (rows filtered out on the page must not move the markers back).
        self.filter_query = ""
        self.fetched = ("", "")

    def get_object_by_id(self, lookup):
        """A posted id: from this page, else read from nova (any project, tag checked)."""
        for datum in self.data or ():
            if self.get_object_id(datum) == lookup:
                # A posted action (from the detail page too): every action applies.
                datum.detail = True
                return datum
        try:
            server = api.nova_admin.desktop_get_any_project(
                api.context.for_request(self.request), lookup)
        except Exception:
            return rows.MissingDesktop(lookup)
        return rows.FleetRow(server, detail=True)

    def get_object_display(self, datum):
        return datum.name

    def get_marker(self):
        return parse.quote_plus(self.fetched[1]) if self.fetched[1] else super().get_marker()

    def get_prev_marker(self):
        return parse.quote_plus(self.fetched[0]) if self.fetched[0] \
            else super().get_prev_marker()

    def _with_filters(self, text):
        return f"{text}&{self.filter_query}" if self.filter_query else text

    def get_pagination_string(self):
        return self._with_filters(super().get_pagination_string())

    def get_prev_pagination_string(self):
        return self._with_filters(super().get_prev_pagination_string())

    def get_empty_message(self):
        return _("No desktop matches.")

    class Meta:
        name = "fleet"
        verbose_name = _("Desktops of every project")
        status_columns = ("status", "task")
        row_class = UpdateRow
        table_actions = actions.TABLE_ACTIONS + (storage.ArchivesLink,)
        row_actions = actions.ROW_ACTIONS
