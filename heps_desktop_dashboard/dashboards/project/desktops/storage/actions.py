"""Detail-page actions of My storage and Boost (listed in actions.DETAIL_ACTIONS), and
the table's Create My Storage. Each calls one service function, which re-reads the
desktop and checks that the user owns it."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import exceptions
from horizon import tables

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import boost as boost_rules
from heps_desktop_dashboard.dashboards.project.desktops.action_base import DesktopModalAction
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.dashboards.project.desktops.storage import texts
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import boost
from heps_desktop_dashboard.services import home_storage

RESIZE_RULES = (("compute", "os_compute_api:servers:resize"),)
ATTACH_RULES = (("compute", "os_compute_api:os-volumes-attachments:create"),)


def _running(datum):
    return datum is not None and datum.status == "active" and not datum.task_state


def _call(request, service_call, *args):
    """A refusal, a failure or block storage down become the action's error message."""
    try:
        return service_call(api.context.for_request(request), *args)
    except access.AccessDenied as exc:
        message = exc.message
    except (home_storage.HomeRefused, boost.BoostRefused) as exc:
        message = texts.refusal(exc)
    except home_storage.Unavailable:
        message = texts.UNAVAILABLE[home_storage.DOWN]
    except boost.BoostFailed as exc:
        message = _("The compute service refused the resize: %s. Nothing was changed.") % exc
    try:
        # A recoverable Horizon error: exceptions.handle shows our message (once) and
        # the batch action counts the desktop as failed.
        raise exceptions.NotAvailable(str(message))
    except exceptions.NotAvailable:
        exceptions.handle(request, message, escalate=True, details="")


class MoveStorageHere(tables.BatchAction, PolicyOncePerRequest):
    name = "move_storage"
    detail_only = True
    classes = ("btn-confirm",)
    policy_rules = ATTACH_RULES
    help_text = _("Your storage is detached from the desktop it is on and attached to this "
                  "one; neither desktop is stopped. Close the files you have open on it "
                  "first.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Move My Storage here", "Move My Storage here", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Moving your storage to", "Moving your storage to", count)

    def allowed(self, request, datum=None):
        return (_running(datum) and datum.allows(access.MANAGE)
                and api.cinder.in_catalog(api.context.for_request(request)))

    def action(self, request, obj_id):
        _call(request, home_storage.move_here, obj_id)


class BoostDesktop(DesktopModalAction):
    name = "boost"
    verbose_name = _("Boost")
    url = "horizon:project:desktops:boost"
    detail_only = True
    icon = "rocket"
    policy_rules = RESIZE_RULES

    def allowed(self, request, datum=None):
        return _running(datum) and texts.boost_record(datum) is None


class ReturnFromBoost(tables.BatchAction, PolicyOncePerRequest):
    name = "unboost"
    detail_only = True
    action_type = "danger"
    policy_rules = RESIZE_RULES
    help_text = _("The desktop is resized back to its own profile now (it restarts; "
                  "unsaved work in the session is lost).")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("End Boost", "End Boosts", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Returning to its own profile:", "Returning to their own "
                             "profiles:", count)

    def allowed(self, request, datum=None):
        record = texts.boost_record(datum) if datum is not None else None
        return (_running(datum) and datum.allows(access.MANAGE) and record is not None
                and record.state == boost_rules.BOOSTED)

    def action(self, request, obj_id):
        _call(request, boost.return_now, obj_id)


class CreateMyStorage(tables.LinkAction, PolicyOncePerRequest):
    name = "create_storage"
    verbose_name = _("Create My Storage")
    url = "horizon:project:desktops:create_storage"
    classes = ("ajax-modal",)
    icon = "hdd-o"
    policy_rules = (("volume", "volume:create"),)

    def allowed(self, request, datum=None):
        return api.cinder.in_catalog(api.context.for_request(request))
