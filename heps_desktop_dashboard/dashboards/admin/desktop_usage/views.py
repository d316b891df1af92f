"""Admin › Usage: one services/usage report per page (and per CSV download), and the
7-day GPU-hours sparkline of a GPU class (GPU Capacity shows it). The panel's policy
(compute's admin rule) guards every URL."""

import datetime
import logging

from django import http
from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic
from horizon import exceptions
from horizon import messages
from horizon import tables
from horizon.utils import memoized

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import usage as core_usage
from heps_desktop_dashboard.dashboards.admin.desktop_usage import charts
from heps_desktop_dashboard.dashboards.admin.desktop_usage import forms as usage_forms
from heps_desktop_dashboard.dashboards.admin.desktop_usage import report as usage_report
from heps_desktop_dashboard.dashboards.admin.desktop_usage import tables as usage_tables
from heps_desktop_dashboard.services import usage

MISSING = {
    usage.NAMES: _("Project and user names are unavailable (identity service): ids are "
                   "shown."),
    usage.PROFILES: _("Desktop profiles are unavailable (compute flavors): deleted "
                      "desktops are left out."),
}
LOG = logging.getLogger(__name__)
SPARK_DAYS = 7
SPARK_TTL = 600


class ReportMixin:
    """A usage page: the period form, one report, its rows, chart and CSV."""

    groups = core_usage.GROUPS
    csv_prefix = "desktop-usage"
    index_url = "horizon:admin:desktop_usage:index"

    def load(self, ctx, start, end):
        raise NotImplementedError

    @memoized.memoized_method
    def period_form(self):
        return usage_forms.PeriodForm(self.request.GET, groups=self.groups)

    @memoized.memoized_method
    def report(self):
        form = self.period_form()
        if form.is_bound and form.data and not form.is_valid():
            messages.warning(self.request, _("The period is not valid: %s Showing this "
                                             "month.") % " ".join(
                str(error) for errors in form.errors.values() for error in errors))
        _first, _last, (start, end), _group, _metric = form.choice()
        try:
            found = self.load(api.context.for_request(self.request), start, end)
        except Exception:
            exceptions.handle(self.request, _("Unable to read desktop usage from the "
                                              "compute service."))
            return None
        for missing in sorted(found.missing):
            messages.warning(self.request, MISSING[missing])
        return found

    def usage_rows(self):
        """The table's rows; its first column named after the grouping, the project
        column shown for experiments only (an experiment id is per project)."""
        group = self.period_form().choice()[3]
        table = getattr(self, "table", None)
        if table is not None:
            table.query_string = self.period_form().query_string()
            table.columns["name"].verbose_name = usage_forms.GROUP_LABELS[group]
            if group != core_usage.BY_EXPERIMENT and "project" in table.columns:
                column = table.columns["project"]
                column.classes = [*column.classes, "hide"]  # the list is the class's
        found = self.report()
        if found is None:
            return []
        labels = usage_report.Labels(found)
        return [usage_report.UsageRow(line, group, labels) for line in found.lines(group)]

    def report_context(self):
        form = self.period_form()
        first, last, _period, group, metric = form.choice()
        found = self.report()
        context = {"period_form": form, "chosen": form.initial_values(),
                   "group_choices": form.fields["group"].choices,
                   "metric_choices": form.fields["metric"].choices,
                   "unavailable": found is None, "first": first, "last": last}
        if found is not None:
            context.update(usage_report.chart(found, group, metric))
            context["totals"] = found.totals()
            context["stop"] = found.stop
        return context

    def csv_filename(self):
        first, last = self.period_form().choice()[:2]
        return f"{self.csv_prefix}-{first.isoformat()}-{last.isoformat()}.csv"


class AdminReportMixin(ReportMixin):
    def load(self, ctx, start, end):
        return usage.admin_report(ctx, start, end)


class IndexView(AdminReportMixin, tables.DataTableView):
    table_class = usage_tables.UsageTable
    template_name = "heps_desktops/admin/desktop_usage/index.html"
    page_title = _("Usage")

    def get_data(self):
        return self.usage_rows()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.report_context())
        return context


class CsvDownload(generic.View):
    """A ReportMixin view's lines as CSV (mix in after the ReportMixin)."""

    def get(self, request, *args, **kwargs):
        found = self.report()
        if found is None:
            return http.HttpResponseRedirect(reverse(self.index_url))
        return usage_report.csv_response(found, self.period_form().choice()[3],
                                         self.csv_filename())


class CsvView(AdminReportMixin, CsvDownload):
    """Admin › Usage as CSV."""


def week_per_gpu_class(ctx, now=None):
    """``(dates, {(resource class, traits): [GPU-hours per day]})`` of the last
    SPARK_DAYS days, cached SPARK_TTL seconds for every admin of this Horizon."""
    now = now or desktops.utcnow()
    last = now.date()
    first = last - datetime.timedelta(days=SPARK_DAYS - 1)
    key = f"heps-usage-week:{ctx.region}:{first.isoformat()}"
    found = cache.get(key)
    if found is None:
        start, end = core_usage.period_of_dates(first, last)
        found = usage.admin_report(ctx, start, end).per_gpu_class()
        cache.set(key, found, SPARK_TTL)
    return found


class SparklineView(generic.View):
    """``?rc=VGPU&traits=CUSTOM_…``: an SVG of that GPU class's GPU-hours per day over
    the last 7 days (an image: the GPU Capacity page stays as it is)."""

    def get(self, request, *args, **kwargs):
        resource_class = request.GET.get("rc", "")
        traits = [t for t in request.GET.get("traits", "").split(",") if t]
        try:
            dates, series = week_per_gpu_class(api.context.for_request(request))
        except Exception as exc:
            LOG.warning("GPU usage sparkline unavailable: %s", type(exc).__name__)
            dates, series = [], {}
        values = [0.0] * len(dates)
        for key, hours in series.items():
            if core_usage.serves(key, resource_class, traits):
                values = [a + b for a, b in zip(values, hours, strict=True)]
        label = _("GPU-hours per day, last %(days)s days: %(total).2f in all") % {
            "days": SPARK_DAYS, "total": sum(values)}
        response = http.HttpResponse(charts.sparkline(values, label),
                                     content_type="image/svg+xml")
        response["Cache-Control"] = f"private, max-age={SPARK_TTL}"
        return response
