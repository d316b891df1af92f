"""Desktops › Usage: desktop-hours and GPU-hours of the user's own project, per
experiment and per user, with the admin Usage page's chart and CSV (nova's
``os-simple-tenant-usage:show`` policy: the project's readers)."""

from django.utils.translation import gettext_lazy as _
from horizon import tables

from heps_desktop_dashboard.core import usage as core_usage
from heps_desktop_dashboard.dashboards.admin.desktop_usage import tables as usage_tables
from heps_desktop_dashboard.dashboards.admin.desktop_usage import views as usage_views
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyRequired
from heps_desktop_dashboard.dashboards.project.desktops.usage import links
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import usage


def member_names(ctx):
    """The project's members' names where keystone (or the operator) tells them."""
    return dict(access.project_members(ctx).names)


class ProjectReportMixin(PolicyRequired, usage_views.ReportMixin):
    policy_rules = links.RULES
    groups = (core_usage.BY_EXPERIMENT, core_usage.BY_USER)
    csv_prefix = "project-desktop-usage"
    index_url = "horizon:project:desktops:usage"

    def load(self, ctx, start, end):
        return usage.project_report(
            ctx, start, end, project_name=getattr(self.request.user, "project_name", ""),
            member_names=member_names)


class UsageView(ProjectReportMixin, tables.DataTableView):
    table_class = usage_tables.ProjectUsageTable
    template_name = "heps_desktops/desktops/usage.html"
    page_title = _("Desktop Usage")

    def get_data(self):
        return self.usage_rows()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.report_context())
        return context


class CsvView(ProjectReportMixin, usage_views.CsvDownload):
    """The page's lines as CSV."""
