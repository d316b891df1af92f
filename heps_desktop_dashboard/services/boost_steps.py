"""The reconciler's part of Boost: confirm resizes, mark boosts, return desktops to
their own profile when ``boost_hours`` are over, and take back records that describe
nothing (a resize that failed or never started, a record not signed by the plugin)."""

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import boost as rules
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import boost
from heps_desktop_dashboard.services import lifetimes


def _resign_expiry(ctx, server):
    """Sign the expiry the desktop has for the flavor it runs on now: without the boost
    record an expiry signed for the other profile (an Extend during the boost, or the
    launch's) would no longer be believed."""
    policy = conf.lifetime_policy()
    expiry, problem = desktops.effective_expiry(server, policy)
    if not problem:
        lifetimes.write_expiry(ctx, server, expiry, policy)


def _clear(ctx, server):
    _resign_expiry(ctx, server)
    api.nova.server_delete_metadata(ctx, server.id, [names.META_BOOST])


def _forged(ctx, server):
    api.nova.server_delete_metadata(ctx, server.id, [names.META_BOOST])


def _mark(ctx, server, record):
    _resign_expiry(ctx, server)
    api.nova.server_set_metadata(ctx, server.id, rules.metadata(
        conf.signing_key(), server.id, record.with_state(rules.BOOSTED, record.asked)))


def _confirm(ctx, server):
    """Confirm; a 409 means nova has confirmed meanwhile (the scan was older)."""
    try:
        api.nova_volumes.server_confirm_resize(ctx, server.id)
    except api.nova_volumes.Conflict:
        return "confirmed already"
    return None


def step(ctx, server, now=None):
    """``(why, call, args)`` of the one thing to do for ``server`` now, or None."""
    now = now or desktops.utcnow()
    record, present = rules.read(conf.signing_key(), server.id,
                                 getattr(server, "metadata", None))
    if record is None:
        if present:
            return "boost record not signed by the dashboard: removed", _forged, (ctx, server)
        return None
    found = rules.next_step(record, getattr(server, "status", ""),
                            getattr(server, "OS-EXT-STS:task_state", None),
                            desktops.flavor_name(server), now)
    calls = {
        rules.CONFIRM: (_confirm, (ctx, server)),
        rules.MARK_BOOSTED: (_mark, (ctx, server, record)),
        rules.RETURN: (boost.return_to_own_profile, (ctx, server, record, now)),
        rules.CLEAR: (_clear, (ctx, server)),
    }
    if found.action not in calls:
        return None
    call, args = calls[found.action]
    return f"{found.action}: {found.why}", call, args
