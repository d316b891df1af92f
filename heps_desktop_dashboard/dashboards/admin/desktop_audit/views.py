"""The audit trail's recent events (read from ``audit_log_file``), filtered; CSV."""

import csv
import logging

from django import forms
from django import http
from django.utils.translation import gettext_lazy as _
from django.views import generic
from horizon import messages
from horizon import tables

from heps_desktop_dashboard.dashboards.admin.desktop_audit import tables as audit_tables
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import audit_log

LOG = logging.getLogger(__name__)
SHOWN = 500


class FilterForm(forms.Form):
    user = forms.CharField(label=_("User"), required=False, max_length=255)
    project = forms.CharField(label=_("Project ID"), required=False, max_length=64)
    action = forms.ChoiceField(label=_("Action"), required=False)
    desktop = forms.CharField(label=_("Desktop (name or ID)"), required=False,
                              max_length=255)
    result = forms.ChoiceField(label=_("Result"), required=False, choices=(
        ("", _("Any")), (audit.OK, _("ok")), (audit.FAILED, _("failed")),
        (audit.REFUSED, _("refused"))))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        actions = sorted(audit.ACTIONS)
        groups = sorted({a.split(".")[0] + "." for a in actions} | {audit.RECONCILE_PREFIX})
        # An action, or every action of a group ("data." matches data.grant, ...).
        self.fields["action"].choices = (
            [("", _("Any"))] + [(g, g + "*") for g in groups] + [(a, a) for a in actions])

    def filters(self):
        if not self.is_bound or not self.is_valid():
            return {}
        return {key: value.strip() for key, value in self.cleaned_data.items()
                if value and value.strip()}


def _events(request, filters, quiet=False):
    """(events, found or None): never raises; problems become messages."""
    try:
        found = audit_log.read()
    except audit_log.NotConfigured:
        return [], None
    except OSError as exc:
        LOG.warning("audit file not readable: %s", exc)
        if not quiet:
            messages.error(request, _("The audit file %(path)s cannot be read: "
                                      "%(error)s") % {"path": audit_log.configured_path(),
                                                      "error": exc.strerror or exc})
        return [], None
    if found.malformed and not quiet:
        messages.warning(request, _("%d line(s) of the audit file are not audit events "
                                    "and were skipped.") % found.malformed)
    return audit_log.select(found.events, **filters), found


class IndexView(tables.DataTableView):
    table_class = audit_tables.AuditEventsTable
    template_name = "heps_desktops/admin/desktop_audit/index.html"
    page_title = _("Desktop Audit")

    def _form(self):
        if not hasattr(self, "_filter_form"):
            self._filter_form = FilterForm(self.request.GET or None)
        return self._filter_form

    def get_data(self):
        events, found = _events(self.request, self._form().filters())
        self.found = found
        self.total = len(events)
        return [audit_tables.AuditEvent(i, e) for i, e in enumerate(events[:SHOWN])]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            path = audit_log.configured_path()
        except audit_log.NotConfigured:
            path = ""
        context.update(filter_form=self._form(), audit_path=path, shown=SHOWN,
                       total=getattr(self, "total", 0),
                       truncated=bool(getattr(self, "found", None)
                                      and self.found.truncated),
                       tail_mb=audit_log.TAIL_BYTES // (1024 * 1024))
        return context


class CsvView(generic.View):
    """Every event matching the filters (within what is read), as CSV."""

    def get(self, request, *args, **kwargs):
        events, _found = _events(request, FilterForm(request.GET or None).filters(),
                                 quiet=True)
        response = http.HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="desktop-audit.csv"'
        response["Cache-Control"] = "no-store"
        writer = csv.writer(response)
        writer.writerow(audit_log.CSV_FIELDS)
        for event in events:
            writer.writerow(audit_log.csv_row(event))
        return response
