"""The plugin's audit events of one desktop, on its Action Log tab beside nova's
instance actions (read from ``audit_log_file``; shown to the desktop's owner)."""

import logging

from django.utils.translation import gettext_lazy as _
from horizon import tables

from heps_desktop_dashboard.services import audit_log

LOG = logging.getLogger(__name__)


class DesktopEvent:
    def __init__(self, index, event):
        self.id = str(index)
        self.time = event.get("time", "")
        self.action = event.get("action", "")
        self.result = event.get("result", "")
        self.who = event.get("user") or event.get("user_id") or ""
        if event.get("actor") == "operator":
            self.who = _("%s (reconciler)") % self.who
        self.source_ip = event.get("source_ip", "")
        self.details = audit_log.details_of(event)


class DesktopEventsTable(tables.DataTable):
    time = tables.Column("time", verbose_name=_("Time (UTC)"))
    action = tables.Column("action", verbose_name=_("Action"))
    result = tables.Column("result", verbose_name=_("Result"))
    who = tables.Column("who", verbose_name=_("By"))
    source_ip = tables.Column("source_ip", verbose_name=_("Source IP"))
    details = tables.Column("details", verbose_name=_("Details"), truncate=160)

    class Meta:
        name = "desktop_events"
        verbose_name = _("Dashboard audit events")
        multi_select = False


def events_of(request, desktop):
    """``(rows, note)``: the desktop's events for its owner, else a note saying why
    there are none (never raises)."""
    if desktop.owner_id != request.user.id:
        return [], _("The dashboard's audit events of a desktop are shown to its owner.")
    try:
        found = audit_log.for_desktop(desktop.id, request.user.tenant_id)
    except audit_log.NotConfigured:
        return [], _("The dashboard's audit trail is not kept in a file here "
                     "(HEPS_DESKTOPS[\"audit_log_file\"]).")
    except OSError as exc:
        LOG.warning("audit file not readable: %s", exc)
        return [], _("The dashboard's audit events cannot be read right now.")
    return [DesktopEvent(i, e) for i, e in enumerate(found)], ""
