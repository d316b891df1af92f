"""Who may do what on a desktop: the level a context has on a server.

A desktop belongs to nova's ``user_id`` (``owner``). Other members of the project get
``control`` or ``view`` through a signed grant of the owner (core/grants.py), support
staff ``support`` (the ``support_role`` setting), everyone else ``none``. Admins of the
project are not owners. The operator's context (the reconciler) acts on every desktop.

Every view and action of the panel asks ``require``/``check`` before it reads or does
anything about one desktop; hiding buttons is only the user interface.
"""

import dataclasses
import datetime
import logging

from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import grants
from heps_desktop_dashboard.services import audit

LOG = logging.getLogger(__name__)

OWNER = "owner"
CONTROL = grants.CONTROL
VIEW = grants.VIEW
SUPPORT = "support"
NONE = "none"

# What a level allows.
DETAIL = "detail"                   # the desktop's page: overview, action log
CONSOLE = "console"                 # the in-browser console (view-only for VIEW)
NATIVE_CONSOLE = "native_console"   # the .vv file: full input, no view-only possible
LOG_OUTPUT = "log"                  # the boot/console log
POWER = "power"                     # start, stop, reboot
MANAGE = "manage"                   # extend, rename, shelve, unshelve, experiment data,
#                                     save as image, results export, delete
SHARE = "share"                     # grant and revoke

ALLOWED = {
    OWNER: frozenset({DETAIL, CONSOLE, NATIVE_CONSOLE, LOG_OUTPUT, POWER, MANAGE, SHARE}),
    CONTROL: frozenset({DETAIL, CONSOLE, NATIVE_CONSOLE, LOG_OUTPUT, POWER}),
    VIEW: frozenset({DETAIL, CONSOLE}),
    SUPPORT: frozenset({DETAIL, CONSOLE}),
    NONE: frozenset(),
}

# Console modes (the audit event says which).
MODE_CONTROL = "control"
MODE_VIEW = "view"
MODE_SUPPORT = "support"

# How long a support user's reason opens the console for.
SUPPORT_WINDOW = datetime.timedelta(hours=1)

LEVEL_DISPLAY = {
    OWNER: _("Owner"),
    CONTROL: _("Shared with you: full console, start and stop"),
    VIEW: _("Shared with you: view only"),
    SUPPORT: _("Support access"),
    NONE: _("Someone else's desktop"),
}


class AccessDenied(Exception):
    """The context's level on the desktop does not allow ``what``."""

    def __init__(self, server, level, what):
        super().__init__(f"{level} may not {what} on {getattr(server, 'id', server)}")
        self.server = server
        self.level = level
        self.what = what

    @property
    def message(self):
        name = getattr(self.server, "name", "") or getattr(self.server, "id", "")
        if self.level == NONE:
            return _('Desktop "%s" is someone else\'s: only its owner, or members it is '
                     'shared with, may open or change it. Nothing was changed.') % name
        if self.level == SUPPORT and self.what == CONSOLE:
            return _('Give a reason to open the console of desktop "%s" as support.') % name
        return _('You may not do that on desktop "%(name)s" (%(level)s). Nothing was '
                 'changed.') % {"name": name, "level": LEVEL_DISPLAY.get(self.level,
                                                                         self.level)}


class ReasonNeeded(AccessDenied):
    """A support user has given no (recent) reason for opening this console."""


def is_support(ctx):
    role = conf.get("support_role")
    return bool(role) and role in getattr(ctx, "roles", ())


def level(ctx, server, key=None):
    """The level ``ctx`` has on ``server`` (reads nothing: the server is at hand)."""
    if ctx.operator:
        return OWNER
    if getattr(server, "tenant_id", None) != ctx.project_id:
        return NONE
    owner = str(getattr(server, "user_id", "") or "")
    if owner and owner == ctx.user_id:
        return OWNER
    granted = grants.granted_level(key or conf.signing_key(), server.id,
                                   getattr(server, "metadata", None), ctx.user_id)
    if granted:
        return granted
    return SUPPORT if is_support(ctx) else NONE


def allows(level_, what):
    return what in ALLOWED.get(level_, ())


def check(ctx, server, what):
    """The context's level on ``server`` if it allows ``what``; else AccessDenied (and
    a ``refused`` audit event)."""
    found = level(ctx, server)
    if not allows(found, what):
        audit.event(ctx, audit.DESKTOP_ACCESS, server.id, getattr(server, "name", ""),
                    audit.REFUSED, level=found, wanted=what,
                    owner_id=getattr(server, "user_id", ""))
        raise AccessDenied(server, found, what)
    return found


def require(ctx, desktop_id, what):
    """The desktop ``desktop_id`` (one nova GET: tag and project checked) when the
    context may do ``what`` on it. api.nova.NotFound, AccessDenied."""
    server = api.nova.desktop_get(ctx, desktop_id)
    check(ctx, server, what)
    return server


# --- consoles ----------------------------------------------------------------------------

def support_session(ctx, server, now=None):
    """The context's valid support record on ``server`` younger than SUPPORT_WINDOW."""
    record = grants.support_record(conf.signing_key(), server.id,
                                   getattr(server, "metadata", None), ctx.user_id)
    now = now or desktops.utcnow()
    if record is None or not (now - SUPPORT_WINDOW <= record.when <= now
                              + datetime.timedelta(minutes=5)):
        return None
    return record


def console_mode(ctx, server, now=None):
    """How the context may open the console: MODE_CONTROL (owner, control grant),
    MODE_VIEW (view grant: no input), MODE_SUPPORT (support, with a recent reason).
    AccessDenied / ReasonNeeded otherwise. Reads nothing."""
    found = check(ctx, server, CONSOLE)
    if found in (OWNER, CONTROL):
        return MODE_CONTROL
    if found == VIEW:
        return MODE_VIEW
    if support_session(ctx, server, now) is None:
        raise ReasonNeeded(server, found, CONSOLE)
    return MODE_SUPPORT


def console_opened(ctx, server, mode, protocol):
    """The audit event of a console URL handed to the browser (who, which, how)."""
    audit.event(ctx, audit.CONSOLE_OPEN, server.id, getattr(server, "name", ""),
                mode=mode, protocol=protocol, owner_id=getattr(server, "user_id", ""))


def open_as_support(ctx, desktop_id, reason, now=None):
    """A support user's reason for opening a desktop's console, recorded signed on the
    server (what its owner is shown) and as an audit event. Returns the record."""
    server = api.nova.desktop_get(ctx, desktop_id)
    found = level(ctx, server)
    if found != SUPPORT:
        audit.event(ctx, audit.CONSOLE_SUPPORT, server.id, server.name, audit.REFUSED,
                    level=found)
        raise AccessDenied(server, found, "support")
    now = now or desktops.utcnow()
    reason = grants.clean_reason(reason)
    value = grants.support_value(conf.signing_key(), server.id, ctx.user_id, now, reason)
    with audit.outcome(ctx, audit.CONSOLE_SUPPORT, server.id, server.name, reason=reason,
                       owner_id=getattr(server, "user_id", "")):
        api.nova.server_set_metadata(ctx, server.id, {grants.support_key(ctx.user_id): value})
    return grants.SupportRecord(ctx.user_id, desktops.parse_expiry(
        desktops.format_expiry(now)), reason, True)


def support_records(server):
    """Support opens recorded on the server (valid and forged), newest first."""
    return grants.read_support(conf.signing_key(), server.id,
                               getattr(server, "metadata", None))


# --- the project's members ---------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Members:
    """``names``: {user id: name} of the project's members; ``known`` False when
    keystone would not tell (then names is empty)."""

    known: bool
    names: dict


def _operator_configured():
    return bool(conf.get("operator_cloud") or conf.get("operator_credential"))


def project_members(ctx):
    """The members of the context's project: with the user's token where keystone
    allows it (admins, readers of the domain), else with the operator's credential when
    this Horizon has one configured, else unknown. Once per context."""
    def lookup():
        try:
            return Members(True, api.keystone.project_members(ctx))
        except api.keystone.Forbidden:
            pass
        except Exception as exc:
            LOG.warning("cannot list the members of project %s: %s", ctx.project_id,
                        type(exc).__name__)
            return Members(False, {})
        if not _operator_configured():
            return Members(False, {})
        try:
            return Members(True, api.keystone.project_members(api.context.for_operator(),
                                                              ctx.project_id))
        except Exception as exc:
            LOG.warning("the operator cannot list the members of project %s: %s",
                        ctx.project_id, type(exc).__name__)
            return Members(False, {})

    return ctx.cached("heps-project-members", lookup)
