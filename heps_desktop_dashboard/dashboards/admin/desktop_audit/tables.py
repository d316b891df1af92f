from urllib import parse

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tables

from heps_desktop_dashboard.services import audit_log


class AuditEvent:
    """One event as a table row (the table wants an ``id``)."""

    def __init__(self, index, event):
        self.id = str(index)
        self.event = event
        for field in audit_log.FIELDS:
            setattr(self, field, event.get(field, ""))
        self.details = audit_log.details_of(event)
        self.target = (f"{self.target_name} ({self.target_id})"
                       if self.target_name and self.target_id
                       else self.target_name or self.target_id)
        self.who = self.user or self.user_id
        if self.actor == "operator":
            self.who = _("%s (reconciler)") % self.who


class ExportCsv(tables.LinkAction):
    name = "csv"
    verbose_name = _("Export CSV")
    icon = "download"

    def get_link_url(self, datum=None):
        query = {key: value for key, value in self.table.request.GET.items()
                 if key in audit_log.FILTERS and value}
        url = reverse("horizon:admin:desktop_audit:csv")
        return f"{url}?{parse.urlencode(query)}" if query else url


RESULT_CHOICES = (("ok", True), ("failed", False), ("refused", False))


class AuditEventsTable(tables.DataTable):
    time = tables.Column("time", verbose_name=_("Time (UTC)"))
    who = tables.Column("who", verbose_name=_("User"))
    project_id = tables.Column("project_id", verbose_name=_("Project"))
    action = tables.Column("action", verbose_name=_("Action"))
    target = tables.Column("target", verbose_name=_("Target"))
    result = tables.Column("result", verbose_name=_("Result"), status=True,
                           status_choices=RESULT_CHOICES)
    source_ip = tables.Column("source_ip", verbose_name=_("Source IP"))
    request_id = tables.Column("request_id", verbose_name=_("Request ID"), hidden=True)
    details = tables.Column("details", verbose_name=_("Details"), truncate=200)

    class Meta:
        name = "desktop_audit"
        verbose_name = _("Audit events")
        table_actions = (ExportCsv,)
        multi_select = False
