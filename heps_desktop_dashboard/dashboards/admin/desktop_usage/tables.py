"""The usage table: one row per project, experiment or user of the period."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tables


class DownloadCsv(tables.LinkAction):
    """The table's lines as CSV, for the period and grouping on the page."""

    name = "csv"
    verbose_name = _("Download CSV")
    icon = "download"
    url = "horizon:admin:desktop_usage:csv"

    def get_link_url(self, datum=None):
        query = getattr(self.table, "query_string", "")
        return reverse(self.url) + (f"?{query}" if query else "")


class UsageTable(tables.DataTable):
    name = tables.Column("name", verbose_name=_("Name"))
    project = tables.Column("project", verbose_name=_("Project"), empty_value="—")
    desktops = tables.Column("desktops", verbose_name=_("Desktops"))
    desktop_hours = tables.Column("desktop_hours", verbose_name=_("Desktop-hours"))
    gpu_hours = tables.Column("gpu_hours", verbose_name=_("GPU-hours"))
    gpu_classes = tables.Column("gpu_classes", verbose_name=_("GPU-hours per GPU class"))

    def __init__(self, request, data=None, needs_form_wrapper=None, **kwargs):
        super().__init__(request, data, needs_form_wrapper, **kwargs)
        self.query_string = ""

    def get_object_id(self, datum):
        return datum.id

    class Meta:
        name = "usage"
        verbose_name = _("Usage")
        table_actions = (DownloadCsv,)
        multi_select = False


class ProjectCsv(DownloadCsv):
    url = "horizon:project:desktops:usage_csv"


class ProjectUsageTable(UsageTable):
    class Meta:
        name = "usage"
        verbose_name = _("Usage of the project's desktops")
        table_actions = (ProjectCsv,)
        multi_select = False
        columns = ("name", "desktops", "desktop_hours", "gpu_hours", "gpu_classes")
