"""Admin actions on any project's desktop. Each needs compute's admin rule (decided once
per request) and calls one services/fleet.py function, which re-reads the desktop (tag
checked) and records an audit event."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import exceptions
from horizon import messages
from horizon import tables

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.services import fleet
from heps_desktop_dashboard.services import revocation

ADMIN_RULES = (("compute", "context_is_admin"),)
ACTIVE = "active"
SHUTOFF = "shutoff"
SHELVABLE = (ACTIVE, SHUTOFF, "paused", "suspended")
SHELVED = ("shelved", "shelved_offloaded")


def _idle(datum, *statuses):
    return datum is None or (datum.status in statuses and not datum.task_state)


def _ctx(request):
    return api.context.for_request(request)


class _AdminBatch(tables.BatchAction, PolicyOncePerRequest):
    policy_rules = ADMIN_RULES
    # "danger": rendered red and confirmed in a dialog (Horizon keys both on it; the
    # ``classes`` attribute alone does neither).
    danger = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.danger:
            self.action_type = "danger"


class StartDesktop(_AdminBatch):
    name = "start"
    classes = ("btn-confirm",)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Start Desktop", "Start Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Started Desktop", "Started Desktops", count)

    def action(self, request, obj_id):
        fleet.start(_ctx(request), obj_id)

    def allowed(self, request, datum=None):
        return _idle(datum, SHUTOFF)


class StopDesktop(_AdminBatch):
    danger = True
    name = "stop"
    help_text = _("Unsaved work in the desktop's session is lost; the desktop keeps its "
                  "GPU. Shelve it to give the GPU back.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Stop Desktop", "Stop Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Stopping Desktop", "Stopping Desktops", count)

    def action(self, request, obj_id):
        fleet.stop(_ctx(request), obj_id)

    def allowed(self, request, datum=None):
        return _idle(datum, ACTIVE)


class ShelveDesktop(_AdminBatch):
    danger = True
    name = "shelve"
    help_text = _("The desktop stops and its GPU goes back to the facility. Its owner "
                  "can unshelve it later when a GPU of its profile is free.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Shelve Desktop (release GPU)",
                             "Shelve Desktops (release GPUs)", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Shelving Desktop — GPU released",
                             "Shelving Desktops — GPUs released", count)

    def action(self, request, obj_id):
        fleet.shelve(_ctx(request), obj_id)

    def allowed(self, request, datum=None):
        return _idle(datum, *SHELVABLE)


class UnshelveDesktop(_AdminBatch):
    name = "unshelve"
    classes = ("btn-confirm",)

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Unshelve Desktop", "Unshelve Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Unshelving Desktop", "Unshelving Desktops", count)

    def action(self, request, obj_id):
        fleet.unshelve(_ctx(request), obj_id)

    def allowed(self, request, datum=None):
        return _idle(datum, *SHELVED)


class SoftRebootDesktop(_AdminBatch):
    danger = True
    name = "soft_reboot"
    detail_only = True

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Reboot Desktop", "Reboot Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Rebooting Desktop", "Rebooting Desktops", count)

    def action(self, request, obj_id):
        fleet.reboot(_ctx(request), obj_id)

    def allowed(self, request, datum=None):
        return _idle(datum, ACTIVE)


class HardRebootDesktop(_AdminBatch):
    danger = True
    name = "hard_reboot"
    detail_only = True

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Hard Reboot Desktop", "Hard Reboot Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Hard Rebooting Desktop", "Hard Rebooting Desktops", count)

    def action(self, request, obj_id):
        fleet.reboot(_ctx(request), obj_id, hard=True)

    def allowed(self, request, datum=None):
        return datum is None or (datum.status in (ACTIVE, SHUTOFF, "error")
                                 and datum.task_state != "deleting")


class DeleteDesktop(tables.DeleteAction, PolicyOncePerRequest):
    name = "delete"
    policy_rules = ADMIN_RULES
    help_text = _("The desktop and its local disk are deleted; its access to experiment "
                  "data is revoked first. Data on shares is not affected.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Delete Desktop", "Delete Desktops", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Scheduled deletion of Desktop",
                             "Scheduled deletion of Desktops", count)

    def allowed(self, request, datum=None):
        return datum is None or datum.task_state != "deleting"

    def delete(self, request, obj_id):
        try:
            report = fleet.delete(_ctx(request), obj_id)
        except revocation.RevocationFailed as exc:
            exceptions.handle(request, texts.revocation_message(exc), escalate=True,
                              details="")
        else:
            if report.manila_down:
                messages.warning(request, texts.MANILA_DOWN_ON_DELETE)


class ExtendDesktop(tables.LinkAction, PolicyOncePerRequest):
    name = "extend"
    verbose_name = _("Extend (admin)")
    url = "horizon:admin:desktops:extend"
    classes = ("ajax-modal",)
    icon = "clock-o"
    policy_rules = ADMIN_RULES

    def get_link_url(self, datum):
        return reverse(self.url, args=[datum.id])

    def allowed(self, request, datum=None):
        return datum is None or datum.task_state != "deleting"


class OpenConsole(tables.LinkAction, PolicyOncePerRequest):
    """Horizon's own Admin › Instances console (any project's server)."""

    name = "console"
    verbose_name = _("Open Console")
    icon = "desktop"
    policy_rules = ADMIN_RULES

    def get_link_url(self, datum):
        return reverse("horizon:admin:instances:detail", args=[datum.id]) + \
            "?tab=instance_details__console"

    def allowed(self, request, datum=None):
        return datum is not None and datum.status == ACTIVE and not datum.task_state


ROW_ACTIONS = (ExtendDesktop, OpenConsole, StartDesktop, StopDesktop, ShelveDesktop,
               UnshelveDesktop, SoftRebootDesktop, HardRebootDesktop, DeleteDesktop)
TABLE_ACTIONS = (StartDesktop, StopDesktop, ShelveDesktop, DeleteDesktop)
