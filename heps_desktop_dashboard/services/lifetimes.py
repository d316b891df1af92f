"""Lifetimes: extend a desktop (a user's POST) and enforce expiries (the reconciler).

The expiry believed is the signed one (core/desktops.effective_expiry); editing
``heps:expires_at`` changes nothing. At ``expiry_warning_hours`` before it the desktop
is marked warned (and its owner e-mailed where Django's e-mail is configured); at the
expiry its data access is revoked and it is shelved, deleted or archived
(``expired_action``; a persistent desktop's root volume is kept by delete and archive).
"""

import dataclasses
import logging

from django.conf import settings
from django.core import mail

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.core import signing
from heps_desktop_dashboard.services import archives
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import network_policy
from heps_desktop_dashboard.services import revocation

LOG = logging.getLogger(__name__)
SHELVED = ("shelved", "shelved_offloaded")
GONE = ("deleted", "soft_deleted")


def extend(ctx, desktop_id, hours, max_hours=None, now=None):
    """Extend the URL's desktop by ``hours``, never past ``max_hours`` (default: the
    setting) from now. Writes a new signed expiry; returns it."""
    policy = conf.lifetime_policy()
    with audit.outcome(ctx, audit.DESKTOP_EXTEND, desktop_id, hours=hours,
                       refusals=(api.nova.NotFound, ValueError)) as pending:
        server = api.nova.desktop_get(ctx, desktop_id)
        pending.target_name = server.name
        pending.details["project_id"] = server.tenant_id
        info = desktops.read_desktop(server, policy, now)
        new = desktops.extended_expiry(info.expires_at, hours,
                                       max_hours or policy.max_hours, now)
        pending.details["expires_before"] = desktops.format_expiry(info.expires_at)
        pending.details["expires_at"] = desktops.format_expiry(new)
        write_expiry(ctx, server, new, policy)
    return new


def write_expiry(ctx, server, moment, policy=None):
    policy = policy or conf.lifetime_policy()
    api.nova.server_set_metadata(ctx, server.id, desktops.expiry_metadata(
        policy, moment, desktops.subject_of(server), signing.SCOPE_SERVER))


@dataclasses.dataclass
class Decision:
    """What a pass does about one desktop's lifetime (``action`` "" for nothing)."""

    action: str
    why: str
    expires_at: object = None


def decide(server, policy, now, expired_action):
    status = (getattr(server, "status", "") or "").lower()
    task = getattr(server, "OS-EXT-STS:task_state", None)
    if status in GONE or task == "deleting":
        return Decision("", "")
    info = desktops.read_desktop(server, policy, now)
    metadata = getattr(server, "metadata", None) or {}
    expiry_text = desktops.format_expiry(info.expires_at)
    if info.is_expired(now):
        if expired_action == "shelve" and status in SHELVED:
            return Decision("", "")
        if task:
            return Decision("", "")
        return Decision(expired_action, f"expired at {expiry_text}", info.expires_at)
    if status in SHELVED:
        # nova refuses metadata changes on a shelved server (409): nothing to sign or
        # warn about until it is unshelved.
        return Decision("", "")
    if task or status == "build":
        return Decision("", "")  # nova refuses metadata updates now; next pass
    if info.expiry_problem:
        return Decision("sign", f"expiry {info.expiry_problem} (claimed "
                        f"{info.claimed_expiry or 'nothing'}); treated as {expiry_text}",
                        info.expires_at)
    if (desktops.within_warning(info, policy.warning_hours, now)
            and metadata.get(names.META_WARNED_AT) != expiry_text):
        return Decision("warn", f"expires at {expiry_text}", info.expires_at)
    return Decision("", "")


def apply(ctx, server, decision, policy):
    """Carry out a Decision; raises on failure (the pass reports it)."""
    if decision.action == "sign":
        write_expiry(ctx, server, decision.expires_at, policy)
    elif decision.action == "warn":
        expiry_text = desktops.format_expiry(decision.expires_at)
        api.nova.server_set_metadata(ctx, server.id, {names.META_WARNED_AT: expiry_text})
        notify_owner(ctx, server, expiry_text)
    elif decision.action in ("shelve", "delete", "archive"):
        archived = None
        if decision.action != "shelve":
            # A persistent desktop's root volume is kept: its archive record first.
            archived = archives.mark_archived(ctx, server, decision.why)
            revocation.mark_revoking(ctx, server)
        report = revocation.revoke(ctx, server)
        if not report.ok:
            raise revocation.RevocationFailed(server, report)
        if decision.action != "shelve":
            with audit.outcome(ctx, audit.DESKTOP_DELETE, server.id, server.name,
                               project_id=server.tenant_id, why=decision.why,
                               archived_volume=archived):
                api.nova.server_delete(ctx, server.id)
            if names.META_PUBLIC_IP in (getattr(server, "metadata", None) or {}):
                network_policy.release_public_ips(ctx, server.id, server.name,
                                                  server.tenant_id)
        else:
            _forget_data(ctx, server)
            api.nova.server_shelve(ctx, server.id)


def _forget_data(ctx, server):
    # Access is gone: the desktop no longer claims mounts (re-attach after unshelve).
    keys = mounts.data_metadata_keys(getattr(server, "metadata", None))
    if keys:
        api.nova.server_delete_metadata(ctx, server.id, keys)


def notify_owner(ctx, server, expiry_text):
    """E-mail the owner (keystone e-mail of nova's user_id) when Django can send mail."""
    if not getattr(settings, "EMAIL_HOST", "") or not getattr(settings, "DEFAULT_FROM_EMAIL",
                                                              ""):
        return False
    try:
        address = api.keystone.user_email(ctx, server.user_id)
        if not address:
            return False
        mail.send_mail(
            f"Your desktop {server.name} expires at {expiry_text}",
            f"Your HEPS experiment desktop {server.name} ({server.id}) expires at "
            f"{expiry_text} UTC. Extend it in the dashboard to keep it; at expiry it is "
            f"{conf.expired_action()}d and loses access to experiment data.",
            settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
    except Exception:
        LOG.warning("desktop %s: could not e-mail the expiry warning", server.id,
                    exc_info=True)
        return False
    return True
