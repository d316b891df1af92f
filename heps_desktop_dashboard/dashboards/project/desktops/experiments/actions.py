"""Detail-page actions for experiment data: attach, detach, save as image.

Listed in actions.DETAIL_ACTIONS (the detail page only: list rows stay light); like the
other desktop actions, each decides its policy rule once per request.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import exceptions
from horizon import tables

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.dashboards.project.desktops.action_base import DesktopModalAction
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import desktop_actions


def _data(datum):
    return mounts.read_data_state(getattr(getattr(datum, "server", None), "metadata", None))


def _idle(datum, *statuses):
    return datum is not None and datum.status in statuses and not datum.task_state


class AttachExperiment(DesktopModalAction):
    name = "attach_experiment"
    verbose_name = _("Attach Experiment Data")
    url = "horizon:project:desktops:attach_experiment"
    icon = "database"
    detail_only = True
    policy_rules = (("compute", "os_compute_api:server-metadata:update"),)

    def allowed(self, request, datum=None):
        return _idle(datum, "active", "shutoff") and _data(datum).empty


class DetachExperiment(tables.BatchAction, PolicyOncePerRequest):
    name = "detach_experiment"
    detail_only = True
    action_type = "danger"
    policy_rules = (("compute", "os_compute_api:server-metadata:update"),)
    help_text = _("The desktop loses access to its experiment's shares. Over virtiofs a "
                  "running desktop is stopped and started again for it.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Detach Experiment Data", "Detach Experiment Data", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Detaching Experiment Data from", "Detaching Experiment Data from",
                             count)

    def allowed(self, request, datum=None):
        if datum is None or not datum.allows(access.MANAGE):
            return False
        data = _data(datum)
        return (not data.empty and not data.transitional
                and _idle(datum, "active", "shutoff"))

    def action(self, request, obj_id):
        try:
            desktop_actions.detach_data(api.context.for_request(request), obj_id)
        except mounts.MountRefused as exc:
            exceptions.handle(request, texts.refusal_message(exc), escalate=True,
                              details="")
        except access.AccessDenied as exc:
            exceptions.handle(request, exc.message, escalate=True, details="")


class SaveDesktopImage(DesktopModalAction):
    name = "save_image"
    verbose_name = _("Save as Image")
    url = "horizon:project:desktops:save_image"
    icon = "camera"
    detail_only = True
    policy_rules = (("compute", "os_compute_api:servers:create_image"),)

    def allowed(self, request, datum=None):
        return _idle(datum, "active", "shutoff")
