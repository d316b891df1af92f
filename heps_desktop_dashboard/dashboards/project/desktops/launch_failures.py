"""What the Launch form says when nova (or the launch after it) failed: one sentence per
kind of failure, nova's own words in it."""

from django.utils.translation import gettext_lazy as _
from novaclient import exceptions as nova_exceptions

from heps_desktop_dashboard import api
from heps_desktop_dashboard.api import unavailable
from heps_desktop_dashboard.core import quota


def nova_message(exc):
    return str(getattr(exc, "message", None) or exc)


def status(exc):
    return getattr(exc, "code", None) or getattr(exc, "http_status", None)


def failure_text(exc, message, name, created, left_over, quota_label):
    """The form error of a launch that failed (nova's message in ``message``); never raises
    for a known failure. ``quota_label`` names a quota resource as the form shows it."""
    if left_over:
        return _('Desktop "%(name)s" failed right after it was created (%(detail)s) '
                 "and the half-launched server %(id)s could not be deleted; delete it "
                 "from the list.") % {"name": name, "detail": message, "id": left_over}
    if isinstance(exc, nova_exceptions.Forbidden | nova_exceptions.OverLimit) \
            and quota.is_quota_error(message):
        resources = ", ".join(str(quota_label(r))
                              for r in quota.quota_error_resources(message))
        return _("Quota exceeded for %(resources)s: the compute service refused the "
                 "launch (%(detail)s).") % {"resources": resources or _("the project"),
                                             "detail": message}
    if isinstance(exc, nova_exceptions.BadRequest | nova_exceptions.NotFound) \
            and not created:
        lowered = message.lower()
        if "image" in lowered:
            return _("The golden image is no longer available (it may have been "
                     "deleted). Choose another one. (%s)") % message
        if "flavor" in lowered:
            return _("The desktop profile is no longer available (it may have been "
                     "deleted). Choose another one. (%s)") % message
        return _("The compute service rejected the launch: %s") % message
    if isinstance(exc, nova_exceptions.Forbidden):
        return _("You are not allowed to launch desktops in this project: %s") % message
    if isinstance(exc, nova_exceptions.Conflict):
        return _("The compute service cannot launch the desktop right now: %s") % message
    if isinstance(exc, api.nova.FeatureNotAvailable):
        return _("This cloud's compute service is too old for desktops (it cannot tag "
                 "servers).")
    if isinstance(exc, unavailable.CONNECT_FAILED):
        return _("The compute service cannot be reached; try again later.")
    if created:
        return _('Desktop "%(name)s" failed right after it was created and was '
                 "deleted: %(detail)s") % {"name": name, "detail": message}
    return _('Unable to launch desktop "%(name)s": the compute service failed '
             "(%(detail)s). Try again later.") % {"name": name, "detail": message}
