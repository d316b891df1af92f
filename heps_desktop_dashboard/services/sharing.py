"""Share Desktop: the owner grants members of the project ``view`` or ``control``.

Grants live on the server's metadata, signed (core/grants.py): only what the plugin
signed for this desktop, user and level counts.
"""

from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import grants
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import audit


class ShareRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def grants_of(server):
    """Every grant on the server, valid or not (the detail page shows both)."""
    return grants.read_grants(conf.signing_key(), server.id, getattr(server, "metadata", None))


def _refuse(ctx, server, action, grantee_id, message, **details):
    audit.event(ctx, action, server.id, server.name, audit.REFUSED, grantee_id=grantee_id,
                reason=str(message), **details)
    raise ShareRefused(message)


def share(ctx, desktop_id, grantee_id, level, members=None):
    """Grant ``level`` (view or control) on the owner's desktop to ``grantee_id``, a
    member of the project. ``members`` (services.access.Members) is looked up when not
    given: an unknown member list (keystone lets only admins read it) cannot refuse a
    user of another project, but such a grant is inert: nova never shows the desktop to
    a token of another project. Returns the validity-checked Grant."""
    server = access.require(ctx, desktop_id, access.SHARE)
    grantee_id = str(grantee_id or "").strip()
    if level not in grants.LEVELS:
        _refuse(ctx, server, audit.SHARE_GRANT, grantee_id, _("Unknown sharing level."))
    if not grants.USER_ID_RE.fullmatch(grantee_id):
        _refuse(ctx, server, audit.SHARE_GRANT, grantee_id,
                _("That is not a user ID the dashboard can share with."))
    if grantee_id == str(getattr(server, "user_id", "")):
        _refuse(ctx, server, audit.SHARE_GRANT, grantee_id,
                _("The owner of a desktop needs no grant."))
    members = members if members is not None else access.project_members(ctx)
    if members.known and grantee_id not in members.names:
        _refuse(ctx, server, audit.SHARE_GRANT, grantee_id,
                _("User %s is not a member of this project: a desktop can only be "
                  "shared within its project.") % grantee_id)
    value = grants.grant_value(conf.signing_key(), server.id, grantee_id, level)
    with audit.outcome(ctx, audit.SHARE_GRANT, server.id, server.name, grantee_id=grantee_id,
                       level=level, member_checked=members.known):
        api.nova.server_set_metadata(ctx, server.id, {grants.grant_key(grantee_id): value})
    return grants.Grant(grantee_id, level, True)


def unshare(ctx, desktop_id, grantee_id):
    """Remove the grant of ``grantee_id`` (valid or forged) from the owner's desktop."""
    server = access.require(ctx, desktop_id, access.SHARE)
    grantee_id = str(grantee_id or "").strip()
    if not grants.USER_ID_RE.fullmatch(grantee_id):
        _refuse(ctx, server, audit.SHARE_REVOKE, grantee_id,
                _("That is not a user ID the dashboard can share with."))
    key = grants.grant_key(grantee_id)
    if key not in (getattr(server, "metadata", None) or {}):
        _refuse(ctx, server, audit.SHARE_REVOKE, grantee_id,
                _("The desktop is not shared with user %s.") % grantee_id)
    with audit.outcome(ctx, audit.SHARE_REVOKE, server.id, server.name,
                       grantee_id=grantee_id):
        api.nova.server_delete_metadata(ctx, server.id, [key])
