"""The words of experiment data: refusals, states, modes, and the experiment choices."""

from django.utils.translation import gettext_lazy as _
from horizon import exceptions as horizon_exceptions

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import experiments as services

REFUSALS = {
    mounts.OTHER_PROJECT: _('Share "%(share)s" does not belong to this project.'),
    mounts.BAD_STATUS: _('Share "%(share)s" is %(detail)s, not available: it cannot be '
                         'mounted now.'),
    mounts.PROTOCOL: _('Share "%(share)s" uses %(detail)s, which the %(mode)s mount mode '
                       'cannot mount.'),
    mounts.NO_EXPORT: _('Share "%(share)s" has no export location to mount.'),
    mounts.NO_RAW: _("Experiment %(detail)s has no raw-data share."),
    mounts.DUPLICATE: _("Experiment %(detail)s has more than one raw-data or results "
                        "share; ask the facility to fix its share metadata."),
    mounts.LEVEL: _("Raw experiment data can only be mounted read-only."),
    mounts.BAD_MODE: _("The share mount mode %(detail)s is not supported; ask the "
                       "facility's cloud team."),
    mounts.UNKNOWN_EXPERIMENT: _("That experiment is not one of this project's "
                                 "experiments."),
    mounts.TOO_LONG: _('The export path of share "%(share)s" cannot be recorded on the '
                       'desktop.'),
    mounts.ALREADY_ATTACHED: _("This desktop already has experiment data; detach it "
                               "first."),
    mounts.BUSY: _("The desktop is busy (%(detail)s); try again when it is running or "
                   "stopped."),
    mounts.NOTHING_ATTACHED: _("This desktop has no experiment data attached."),
}

STATE_DISPLAY = {
    mounts.STATE_ATTACHING: _("Attaching experiment data"),
    mounts.STATE_ATTACHING_RESTART: _("Attaching experiment data"),
    mounts.STATE_ATTACHED: _("Attached"),
    mounts.STATE_DETACHING: _("Detaching experiment data"),
    mounts.STATE_DETACHING_RESTART: _("Detaching experiment data"),
    mounts.STATE_ERROR: _("Error"),
}
MODE_DISPLAY = {
    mounts.MODE_VIRTIOFS: _("virtiofs (nova share attachment)"),
    mounts.MODE_ACCESS_RULE: _("NFS (Manila access rule)"),
}
LEVEL_DISPLAY = {"ro": _("read-only"), "rw": _("read-write")}
KIND_DISPLAY = {mounts.KIND_RAW: _("Raw data"), mounts.KIND_RESULTS: _("Results")}
ERROR_DISPLAY = {
    "server-error": _("the desktop went into error"),
    "attachment-error": _("nova could not attach a share"),
    "rule-error": _("Manila could not apply an access rule"),
    "no-address": _("the desktop has no fixed address"),
    "mode": _("unknown mount mode"),
    "refused": _("a share can no longer be mounted"),
    "server-shelved": _("the desktop was shelved"),
    "server-shelved_offloaded": _("the desktop was shelved"),
    "server-suspended": _("the desktop is suspended"),
    "server-paused": _("the desktop is paused"),
}


def refusal_message(exc):
    share = exc.share.display_name if exc.share is not None else ""
    template = REFUSALS.get(exc.reason, _("The experiment data cannot be mounted."))
    return template % {"share": share, "detail": exc.detail,
                       "mode": services.mount_mode()}


MANILA_DOWN = _("The shared file systems service (Manila) is not answering; "
                "nothing was changed. Try again later.")


def _share_label(share):
    return _("%(kind)s: %(name)s (%(size)s GiB, %(proto)s, %(status)s)") % {
        "kind": KIND_DISPLAY[share.kind], "name": share.display_name, "size": share.size,
        "proto": share.protocol, "status": share.status}


def experiment_label(experiment):
    parts = "; ".join(str(_share_label(share)) for share in experiment.shares)
    return f"{experiment.id} — {parts}" if parts else experiment.id


def experiment_choices(request, include_none=True):
    """Choices for an experiment field: the project's experiments (size, protocol and
    status of each share), plus "None". Manila errors become a Horizon message and
    leave only "None"."""
    choices = [("", _("None"))] if include_none else []
    try:
        experiments = services.experiment_list(api.context.for_request(request))
    except Exception:
        horizon_exceptions.handle(request, _("Unable to retrieve the project's experiments "
                                             "from Manila."))
        return choices
    return choices + [(exp.id, experiment_label(exp)) for exp in experiments]




MANILA_DOWN_ON_DELETE = _("Manila did not answer: the desktop was deleted, and its access "
                          "to experiment data is removed by the desktops reconciler within "
                          "one pass.")


def revocation_message(exc):
    shares = ", ".join(sorted({share for share, _reason in exc.report.failed if share}))
    shares = shares or _("Manila did not answer")
    return _('Desktop "%(name)s" was not deleted: its access to experiment data '
             '(%(shares)s) could not be revoked. Nothing was deleted; try again, or ask the '
             'facility if it keeps failing.') % {
                 "name": getattr(exc.server, "name", "") or exc.server.id, "shares": shares}
