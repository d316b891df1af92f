"""In-browser consoles: Horizon's own console resolution (CONSOLE_TYPE), on demand."""

import logging

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from openstack_dashboard.dashboards.project.instances import console as horizon_console

from heps_desktop_dashboard import conf

LOG = logging.getLogger(__name__)


def console_type():
    preferred = conf.get("console_type")
    if preferred and preferred != "AUTO":
        return preferred
    return getattr(settings, "CONSOLE_TYPE", "AUTO") or "AUTO"


def console_context(request, desktop):
    """Template context of the Console tab. The URL is never logged or cached."""
    context = {"desktop": desktop, "console_url": None, "console_type": None, "reason": None}
    if desktop.status != "active" or desktop.task_state:
        context["reason"] = _("The desktop is not running: start it to open its console.")
        return context
    try:
        context["console_type"], context["console_url"] = horizon_console.get_console(
            request, console_type(), desktop.server)
    except exceptions.NotAvailable:
        context["reason"] = _("No console is available for this desktop right now; the "
                              "console service may be off. Try again in a minute.")
    return context
