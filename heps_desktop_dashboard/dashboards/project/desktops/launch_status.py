"""Launch and connect: the Console tab's boot progress and its JSON status endpoint.

Until a desktop's console answers, the Console tab shows the boot phases
(core/launch_phases.py) and static/heps_desktops/js/launch_progress.js polls
``GET <desktop>/status/``; when the status says the console answers (nova: the desktop
runs), the script loads the Console tab again through Horizon's ajax tab loading and
the console connects. The endpoint only reads (one nova GET), is never cached and asks
for no console itself: no console URL is in it or in its log lines.
"""

import logging

from django import http
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import generic
from django.views.decorators.cache import never_cache

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import launch_phases as phases
from heps_desktop_dashboard.dashboards.project.desktops import choices
from heps_desktop_dashboard.dashboards.project.desktops import console
from heps_desktop_dashboard.dashboards.project.desktops.policy import check_once
from heps_desktop_dashboard.services import access

LOG = logging.getLogger(__name__)

TEMPLATE = "heps_desktops/desktops/_console_progress.html"
# The script asks every POLL_MS milliseconds, at most MAX_POLLS times (about 15 min);
# a running desktop whose console service does not answer yet is tried again every
# RETRY_MS, at most MAX_RETRIES times.
POLL_MS = 500
MAX_POLLS = 1800
RETRY_MS = 2000
MAX_RETRIES = 90
POLICY_RULES = (("compute", "os_compute_api:os-remote-consoles"),)

PHASE_LABELS = {
    phases.SCHEDULED: _("Scheduled"),
    phases.GPU_ALLOCATED: _("GPU allocated"),
    phases.BOOTING: _("Booting"),
    phases.DATA_ATTACHING: _("Data attaching"),
    phases.READY: _("Ready"),
}
STATE_LABELS = {
    phases.DONE: _("done"),
    phases.ACTIVE: _("in progress"),
    phases.WAITING: _("waiting"),
    phases.FAILED: _("failed"),
}
CONNECTING = _("Connecting to the console…")
FAILED = _("The desktop failed to start (status Error). Delete it and launch another.")


def _headline(server, progress):
    if progress.failed:
        return FAILED
    if progress.running:
        return CONNECTING
    task = getattr(server, "OS-EXT-STS:task_state", None)
    status = str(getattr(server, "status", "") or "").lower()
    words = dict(choices.TASK_DISPLAY_CHOICES).get(task) if task else None
    return words or dict(choices.STATUS_DISPLAY_CHOICES).get(status, status)


def phase_rows(progress):
    return [{"phase": phase, "label": str(PHASE_LABELS[phase]), "state": state,
             "state_label": str(STATE_LABELS[state])} for phase, state in progress.phases]


def _context(desktop, progress, headline, poll_ms, retry=False, reason=None):
    detail_url = reverse("horizon:project:desktops:detail", args=[desktop.id])
    return {
        "desktop": desktop,
        "console_url": None,
        "phases": phase_rows(progress),
        "headline": headline,
        "status_url": reverse("horizon:project:desktops:status", args=[desktop.id]),
        "reload_url": f"{detail_url}?tab={console.TAB_PARAM}",
        "poll_ms": poll_ms,
        "max_polls": MAX_POLLS,
        "retry": retry,
        "max_retries": MAX_RETRIES,
        "reason": reason,
    }


def progress_context(request, desktop):
    """The Console tab's context while ``desktop`` is on its way to a console, or None
    (then the tab shows the console, or why there is none). A user the console is
    refused to (support without a reason) gets None too: the tab says why."""
    progress = phases.progress(desktop.server)
    if not progress.coming_up:
        return None
    try:
        access.console_mode(api.context.for_request(request), desktop.server)
    except access.AccessDenied:
        return None
    return _context(desktop, progress, _headline(desktop.server, progress), POLL_MS)


def retry_context(desktop, console_context):
    """The progress again, trying every RETRY_MS, when nova says the desktop runs but
    its console was not obtained (the console service not answering yet); None when
    the tab has a console or a reason of its own (access, not running)."""
    if console_context.get("console_url") or console_context.get("mode") is None:
        return None
    progress = phases.progress(desktop.server)
    if not progress.running:
        return None
    return _context(desktop, progress, CONNECTING, RETRY_MS, retry=True,
                    reason=console_context.get("reason"))


def status(server):
    """The status document of ``server`` (a dict for JSON). Once nova says the desktop
    runs (ACTIVE, power on, no task, no data step) its console answers: the hypervisor's
    display is up with the guest. The Console tab, loaded again, asks for it (and keeps
    showing the progress while the console service does not answer)."""
    progress = phases.progress(server, console_answers=True)
    return {
        "phases": phase_rows(progress),
        "headline": str(_headline(server, progress)),
        "console": progress.running,
        "failed": progress.failed,
        # Load the Console tab again: the console answers, or the desktop is no longer
        # on its way (stopped, failed, shelved): the tab then says so.
        "reload": progress.running or not progress.coming_up,
    }


def _error(message, code):
    return http.JsonResponse({"error": str(message), "reload": False}, status=code)


@method_decorator(never_cache, name="dispatch")
class StatusView(generic.View):
    """``GET <desktop>/status/``: the boot progress as JSON (read-only, never cached)."""

    def get(self, request, desktop_id):
        if not check_once(request, POLICY_RULES):
            return _error(_("You are not allowed to do that."), 403)
        ctx = api.context.for_request(request)
        try:
            body = status(access.require(ctx, desktop_id, access.CONSOLE))
        except access.AccessDenied as exc:
            return _error(exc.message, 403)
        except api.nova.NotFound:
            return _error(_("The desktop no longer exists."), 404)
        except Exception as exc:
            LOG.info("Desktop status of %s unavailable: %s", desktop_id, type(exc).__name__)
            return _error(_("The compute service did not answer; retrying."), 503)
        return http.JsonResponse(body)
