"""Row, table and detail-page actions on desktops.

Each action names its nova policy rule and is shown only in the states where nova
would accept it, and only to users whose level on the desktop allows it
(services/access.py). Each calls one services.desktop_actions function, which re-reads
the desktop (tag, project) and checks the level again: an id posted by hand can never
reach a server outside the user's desktops, nor someone else's desktop.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import exceptions
from horizon import messages
from horizon import tables

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops.action_base import DesktopModalAction
from heps_desktop_dashboard.dashboards.project.desktops.experiments import (
    actions as experiment_actions,
)
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.dashboards.project.desktops.storage import actions as storage_actions
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import desktop_actions
from heps_desktop_dashboard.services import revocation

ACTIVE = "active"
SHUTOFF = "shutoff"
SHELVED = ("shelved", "shelved_offloaded")


def _idle(datum, *statuses):
    return datum is None or (datum.status in statuses and not datum.task_state)


def _may(datum, what):
    """The user's level on the row's desktop allows ``what`` (no row: a table button)."""
    return datum is None or datum.allows(what)


def _call(request, service_call, *args, **kwargs):
    """Run a services.desktop_actions function with the user's context; a refusal
    becomes the action's error message (Horizon names the desktop)."""
    try:
        return service_call(api.context.for_request(request), *args, **kwargs)
    except access.AccessDenied as exc:
        exceptions.handle(request, exc.message, escalate=True, details="")


class _DesktopBatch(tables.BatchAction, PolicyOncePerRequest):
    """A batch action on each selected desktop: ``action`` calls one
    services.desktop_actions function (desktop re-read, the user's level checked)."""

    # What the user's level on the desktop must allow (services/access.py).
    needs = access.POWER

    def _allowed(self, request, datum):
        return _may(datum, self.needs) and super()._allowed(request, datum)


class StartDesktop(_DesktopBatch):
    name = "start"
    classes = ("btn-confirm",)
    policy_rules = (("compute", "os_compute_api:servers:start"),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Start Desktop", "Start Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Started Desktop", "Started Desktops", count)

    def action(self, request, obj_id):
        _call(request, desktop_actions.start, obj_id)

    def allowed(self, request, datum=None):
        return _idle(datum, SHUTOFF)


class StopDesktop(_DesktopBatch):
    name = "stop"
    action_type = "danger"
    policy_rules = (("compute", "os_compute_api:servers:stop"),)
    help_text = _("Unsaved work in the desktop's session is lost. Its GPU stays reserved "
                  "for you; shelve the desktop to give the GPU back.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Stop Desktop", "Stop Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Stopping Desktop", "Stopping Desktops", count)

    def action(self, request, obj_id):
        _call(request, desktop_actions.stop, obj_id)

    def allowed(self, request, datum=None):
        return _idle(datum, ACTIVE)


class SoftRebootDesktop(_DesktopBatch):
    name = "soft_reboot"
    action_type = "danger"
    policy_rules = (("compute", "os_compute_api:servers:reboot"),)
    detail_only = True
    help_text = _("Unsaved work in the desktop's session is lost.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Reboot Desktop", "Reboot Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Rebooting Desktop", "Rebooting Desktops", count)

    def action(self, request, obj_id):
        _call(request, desktop_actions.reboot, obj_id)

    def allowed(self, request, datum=None):
        return _idle(datum, ACTIVE)


class HardRebootDesktop(SoftRebootDesktop):
    name = "hard_reboot"
    detail_only = True

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Hard Reboot Desktop", "Hard Reboot Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Hard Rebooting Desktop", "Hard Rebooting Desktops", count)

    def action(self, request, obj_id):
        _call(request, desktop_actions.reboot, obj_id, hard=True)

    def allowed(self, request, datum=None):
        return datum is None or (datum.status in (ACTIVE, SHUTOFF, "error")
                                 and datum.task_state != "deleting")


class ShelveDesktop(_DesktopBatch):
    name = "shelve"
    action_type = "danger"
    policy_rules = (("compute", "os_compute_api:os-shelve:shelve"),)
    needs = access.MANAGE
    help_text = _("Shelving stops the desktop and gives its GPU back to the facility. "
                  "Unshelving later needs a free GPU of the same profile.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Shelve Desktop (release GPU)",
                             "Shelve Desktops (release GPUs)", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Shelving Desktop — GPU released",
                             "Shelving Desktops — GPUs released", count)

    def action(self, request, obj_id):
        _call(request, desktop_actions.shelve, obj_id)

    def allowed(self, request, datum=None):
        return _idle(datum, ACTIVE, SHUTOFF)


class UnshelveDesktop(_DesktopBatch):
    name = "unshelve"
    classes = ("btn-confirm",)
    policy_rules = (("compute", "os_compute_api:os-shelve:unshelve"),)
    needs = access.MANAGE

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Unshelve Desktop", "Unshelve Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Unshelving Desktop", "Unshelving Desktops", count)

    def action(self, request, obj_id):
        _call(request, desktop_actions.unshelve, obj_id)

    def allowed(self, request, datum=None):
        return _idle(datum, *SHELVED)


class DeleteDesktop(tables.DeleteAction, PolicyOncePerRequest):
    name = "delete"
    policy_rules = (("compute", "os_compute_api:servers:delete"),)
    help_text = _("The desktop and everything on its local disk are deleted. "
                  "Experiment data on shares is not affected.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Delete Desktop", "Delete Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Scheduled deletion of Desktop",
                             "Scheduled deletion of Desktops", count)

    def allowed(self, request, datum=None):
        return _may(datum, access.MANAGE) and (datum is None
                                               or datum.task_state != "deleting")

    def delete(self, request, obj_id):
        # Data access goes first; a rule Manila refuses to remove keeps the desktop.
        try:
            report = _call(request, desktop_actions.delete, obj_id)
        except revocation.RevocationFailed as exc:
            exceptions.handle(request, texts.revocation_message(exc), escalate=True,
                              details="")
        else:
            if report.manila_down:
                messages.warning(request, texts.MANILA_DOWN_ON_DELETE)


class ExtendDesktop(DesktopModalAction):
    name = "extend"
    verbose_name = _("Extend Lifetime")
    url = "horizon:project:desktops:extend"
    icon = "clock-o"
    policy_rules = (("compute", "os_compute_api:server-metadata:update"),)


class RenameDesktop(DesktopModalAction):
    name = "rename"
    verbose_name = _("Rename Desktop")
    url = "horizon:project:desktops:rename"
    detail_only = True
    icon = "pencil"
    policy_rules = (("compute", "os_compute_api:servers:update"),)


class ShareDesktop(DesktopModalAction):
    name = "share"
    verbose_name = _("Share Desktop")
    url = "horizon:project:desktops:share"
    detail_only = True
    icon = "share-alt"
    needs = access.SHARE
    policy_rules = (("compute", "os_compute_api:server-metadata:update"),)


class SupportConsole(DesktopModalAction):
    """Support staff (the support_role setting) open someone else's console after
    typing a reason."""

    name = "support_console"
    verbose_name = _("Open Console as Support")
    url = "horizon:project:desktops:support_console"
    detail_only = True
    icon = "life-ring"
    needs = access.CONSOLE
    policy_rules = (("compute", "os_compute_api:os-remote-consoles"),)

    def allowed(self, request, datum=None):
        return (datum is not None and datum.access == access.SUPPORT
                and datum.status == ACTIVE and not datum.task_state)


class OpenConsole(tables.LinkAction, PolicyOncePerRequest):
    name = "console"
    verbose_name = _("Open Console")
    icon = "desktop"
    policy_rules = (("compute", "os_compute_api:os-remote-consoles"),)

    def get_link_url(self, datum):
        return reverse("horizon:project:desktops:detail", args=[datum.id]) + \
            "?tab=desktop_details__console"

    def allowed(self, request, datum=None):
        return (datum is not None and datum.status == ACTIVE and not datum.task_state
                and datum.access != access.SUPPORT and _may(datum, access.CONSOLE))


# Every action is declared on the table (a POST from the detail page is handled there);
# list rows render only those without ``detail_only``.
DETAIL_ACTIONS = (OpenConsole, SupportConsole, ExtendDesktop, StartDesktop, StopDesktop,
                  ShelveDesktop, UnshelveDesktop, SoftRebootDesktop, HardRebootDesktop,
                  RenameDesktop, ShareDesktop,
                  experiment_actions.AttachExperiment, experiment_actions.DetachExperiment,
                  experiment_actions.SaveDesktopImage, storage_actions.MoveStorageHere,
                  storage_actions.BoostDesktop, storage_actions.ReturnFromBoost,
                  DeleteDesktop)
TABLE_ACTIONS = (StartDesktop, StopDesktop, ShelveDesktop, DeleteDesktop)
