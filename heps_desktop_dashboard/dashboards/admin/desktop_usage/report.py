"""What the admin and project usage pages share: rows and labels of a services/usage
Report, the chart context, and the CSV download."""

import csv
import datetime

from django import http
from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.core import usage as core_usage
from heps_desktop_dashboard.dashboards.admin.desktop_usage import charts
from heps_desktop_dashboard.dashboards.admin.desktop_usage import forms as usage_forms

UNKNOWN = _("Unknown (deleted desktops)")
NO_EXPERIMENT = _("No experiment")
OTHER = _("Other")
# Spreadsheets run a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def experiment_text(experiment):
    if experiment is None:
        return UNKNOWN
    return experiment or NO_EXPERIMENT


class Labels:
    """Names of a Report's projects, experiments and users, ids when unknown."""

    def __init__(self, report):
        self.report = report

    def project(self, project_id):
        return self.report.projects.get(project_id) or project_id or UNKNOWN

    def user(self, user_id):
        return self.report.users.get(user_id) or user_id or UNKNOWN

    def of_key(self, key, by):
        if by == core_usage.BY_EXPERIMENT:
            return experiment_text(key[1])
        if by == core_usage.BY_USER:
            return self.user(key[0])
        return self.project(key[0])


def gpu_text(by_class):
    return ", ".join(f"{core_usage.class_label(key)} {hours:.2f}"
                     for key, hours in sorted(by_class.items()) if hours) or "—"


class UsageRow:
    """A core.usage.Line with its names, as the table shows it."""

    def __init__(self, line, by, labels):
        self.line = line
        self.id = "|".join(str(part) if part is not None else "~" for part in line.key)
        self.name = labels.of_key(line.key, by)
        self.project = labels.project(line.project_id) if line.project_id else ""
        self.desktops = line.desktops
        self.desktop_hours = round(line.desktop_hours, 2)
        self.gpu_hours = round(line.gpu_hours, 2)
        self.gpu_classes = gpu_text(line.gpu_by_class)


def chart(report, by, metric):
    """The chart context: SVG and legend of ``metric`` per day stacked by ``by``."""
    labels = Labels(report)
    dates, series = report.per_day(by, metric)
    named = charts.top_series([(labels.of_key(key, by), values)
                               for key, values in series.items()], OTHER)
    unit = usage_forms.METRIC_LABELS[metric]
    return {"chart": charts.stacked_bars(dates, named, unit), "legend": charts.legend(named),
            "unit": unit}


def _cell(value):
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _hours(value):
    return f"{value:.6f}"


def _moment(value):
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def csv_response(report, by, filename):
    """The report's lines per ``by`` as a CSV download (one row per line, the period and
    every GPU class's hours on each)."""
    labels = Labels(report)
    lines = report.lines(by)
    classes = sorted({key for line in lines for key in line.gpu_by_class})
    response = http.HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(["period_start", "period_end", "group", "project_id", "project",
                     "experiment", "user_id", "user", "desktops", "desktop_hours",
                     "gpu_hours"] + [f"gpu_hours {core_usage.class_label(key)}"
                                     for key in classes])
    start, stop = _moment(report.start), _moment(report.stop)
    for line in lines:
        experiment = experiment_text(line.experiment) if by == core_usage.BY_EXPERIMENT \
            else ""
        user = labels.user(line.user_id) if by == core_usage.BY_USER else ""
        writer.writerow([_cell(value) for value in (
            start, stop, by, line.project_id,
            labels.project(line.project_id) if line.project_id else "", experiment,
            line.user_id, user, line.desktops, _hours(line.desktop_hours),
            _hours(line.gpu_hours))] + [_hours(line.gpu_by_class.get(key, 0.0))
                                        for key in classes])
    return response
