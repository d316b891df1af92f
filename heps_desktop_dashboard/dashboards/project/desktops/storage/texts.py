"""My storage and Boost in the user's language: refusals (the services' codes), why
block storage is off, and the list's "Boosted until …"."""

from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import boost as boost_rules
from heps_desktop_dashboard.services import boost
from heps_desktop_dashboard.services import home_storage

UNAVAILABLE = {
    home_storage.ABSENT: _("My storage is not available: this cloud has no block storage "
                           "service."),
    home_storage.DOWN: _("My storage is not available right now: the block storage "
                         "service does not answer. Your desktops are not affected."),
}
RESOURCES = {"volumes": _("volumes"), "gigabytes": _("volume gigabytes")}

HOME_REFUSALS = {
    home_storage.NO_STORAGE: _("You have no storage in this project yet: create it "
                               "first."),
    home_storage.QUOTA: _("The project's %(resource)s quota is used up (%(used)s of "
                          "%(limit)s in use, %(adds)s more needed). Nothing was created."),
    home_storage.NOT_READY: _("Your storage cannot be moved now (it is %(status)s)."),
    home_storage.DESKTOP_STATE: _("Storage can only be moved to a running desktop."),
}
BOOST_REFUSALS = {
    boost.NOT_RUNNING: _("Only a running desktop can be boosted or returned."),
    boost.ALREADY: _("The desktop is boosted already."),
    boost.NOT_BOOSTED: _("The desktop is not boosted."),
    boost.UNKNOWN_PROFILE: _("That is not a desktop profile you can use."),
    boost.NOT_BIGGER: _("Boost to a bigger profile than the desktop has."),
    boost.QUOTA: _("The project's quota does not allow it: %(resources)s."),
    boost.NO_GPU: _("No GPU of that profile is free right now."),
}


def _params(params):
    shown = dict(params)
    if "resource" in shown:
        shown["resource"] = RESOURCES.get(shown["resource"], shown["resource"])
    if isinstance(shown.get("resources"), list):
        shown["resources"] = ", ".join(
            str(r).removeprefix("class:") for r in shown["resources"])
    return shown


def refusal(exc):
    """Why a HomeRefused or BoostRefused changed nothing, in the user's language."""
    texts = HOME_REFUSALS if isinstance(exc, home_storage.HomeRefused) else BOOST_REFUSALS
    text = texts.get(getattr(exc, "code", None))
    if text is None:
        return str(exc)
    try:
        return text % _params(exc.params)
    except (KeyError, TypeError, ValueError):
        return str(text).split("%(")[0].strip()


def boost_record(row):
    server = getattr(row, "server", None)
    if server is None:
        return None
    record, _present = boost_rules.read(conf.signing_key(), server.id,
                                        getattr(server, "metadata", None))
    return record


def profile_html(row):
    """The profile column: the profile, and "Boosted until …" (the signed record) while
    a desktop is boosted."""
    until = boost_rules.boosted_until(boost_record(row))
    if until is None:
        return row.profile
    return format_html('{} <span class="label label-info heps-boosted" title="{}">{}</span>',
                       row.profile, _("Returns to its own profile then"),
                       _("Boosted until %s") % formats.date_format(until,
                                                                   "SHORT_DATETIME_FORMAT"))
