"""Experiment data on a desktop: record the wanted state (a POST), then move it on one
idempotent step at a time (the POST takes the first, the reconciler the rest).

Nothing here sleeps or waits for nova or Manila, and nothing runs on a GET: the
Desktops table and the Experiment data tab only show the recorded state and poll.
"""

import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import mount_steps
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import revocation

LOG = logging.getLogger(__name__)
MountRefused = mounts.MountRefused


def status_of(server):
    return (getattr(server, "status", "") or "").lower()


def task_of(server):
    return getattr(server, "OS-EXT-STS:task_state", None)


def metadata_of(server):
    metadata = getattr(server, "metadata", None)
    return metadata if isinstance(metadata, dict) else {}


def data_of(server):
    return mounts.read_data_state(metadata_of(server))


def _check_idle(server, data):
    if names.META_REVOKING in metadata_of(server) or task_of(server) == "deleting":
        raise MountRefused(mounts.BUSY, detail="deleting")
    if data.transitional:
        raise MountRefused(mounts.BUSY, detail=data.state)


REFUSALS = (MountRefused, api.nova.NotFound)


def attach(ctx, desktop_id, experiment_id, levels=None, plan=None):
    """Attach one of the project's experiments to an existing desktop: refused before
    anything is granted when the desktop has data, is busy (a second attach while one
    runs included), or a share cannot be mounted. Takes the first step only."""
    with audit.outcome(ctx, audit.DATA_ATTACH, desktop_id, refusals=REFUSALS,
                       experiment=experiment_id, mode=experiments.mount_mode()) as pending:
        server = api.nova.desktop_get(ctx, desktop_id)
        pending.target_name = server.name
        pending.details["project_id"] = server.tenant_id
        data = data_of(server)
        _check_idle(server, data)
        if data.mounts or data.state == mounts.STATE_ATTACHED:
            raise MountRefused(mounts.ALREADY_ATTACHED)
        if task_of(server) or status_of(server) not in ("active", "shutoff"):
            raise MountRefused(mounts.BUSY, detail=task_of(server) or status_of(server))
        plan = plan or experiments.plan_for(ctx, experiment_id, levels,
                                            project_id=server.tenant_id)
        if data.error:
            api.nova.server_delete_metadata(ctx, desktop_id, [names.META_DATA_ERROR])
        api.nova.server_set_metadata(ctx, desktop_id, experiments.plan_metadata(plan))
    return first_step(ctx, desktop_id)


def detach(ctx, desktop_id):
    """Detach the desktop's experiment data (stop/start in virtiofs mode); first step."""
    with audit.outcome(ctx, audit.DATA_DETACH, desktop_id, refusals=REFUSALS,
                       mode=experiments.mount_mode()) as pending:
        server = api.nova.desktop_get(ctx, desktop_id)
        pending.target_name = server.name
        pending.details["project_id"] = server.tenant_id
        data = data_of(server)
        pending.details["experiment"] = metadata_of(server).get(names.META_EXPERIMENT)
        _check_idle(server, data)
        if data.empty:
            raise MountRefused(mounts.NOTHING_ATTACHED)
        # nova refuses metadata updates on a server in error: nothing to record there.
        if task_of(server) or status_of(server) not in ("active", "shutoff"):
            raise MountRefused(mounts.BUSY, detail=task_of(server) or status_of(server))
        # The configured mode, never the metadata's: the metadata is user-editable.
        api.nova.server_set_metadata(ctx, desktop_id, {
            names.META_DATA_STATE: mounts.STATE_DETACHING,
            names.META_DATA_MODE: experiments.mount_mode()})
    return first_step(ctx, desktop_id)


def first_step(ctx, desktop_id):
    """The first step after recording the wanted state; if Manila or nova fail now, the
    state is recorded and the reconciler carries on (WAIT is returned)."""
    try:
        return advance(ctx, api.nova.desktop_get(ctx, desktop_id))
    except MountRefused:
        raise
    except Exception as exc:
        LOG.warning("desktop %s: first experiment-data step deferred to the reconciler "
                    "(%s)", desktop_id, type(exc).__name__)
        return mount_steps.Step(mount_steps.WAIT, reason="deferred")


def _rule_states(ctx, desktop_id, share_ids):
    found = {}
    for share_id in dict.fromkeys(share_ids):
        try:
            rules = api.manila.desktop_rules(ctx, share_id, desktop_id)
        except (api.manila.NotFound, api.manila.BadRequest):
            # A share this context cannot see: it has no rules of ours, and granting
            # it is refused by verified_share().
            rules = []
        found[share_id] = [rule.get("state") or mounts.RULE_ACTIVE for rule in rules]
    return found


def decide(ctx, server):
    """The next step of the server's transition (reads only)."""
    data = data_of(server)
    if not data.transitional:
        return mount_steps.Step(mount_steps.DONE), data, ""
    if names.META_REVOKING in metadata_of(server):
        return mount_steps.Step(mount_steps.WAIT, reason="revoking"), data, ""
    status, task = status_of(server), task_of(server)
    mode = experiments.mount_mode()
    attachments, rules, address = None, None, ""
    if mode == mounts.MODE_VIRTIOFS and not task and status in ("active", "shutoff"):
        attachments = {a["share_id"]: a.get("status", "")
                       for a in api.nova.share_attachments(ctx, server.id)}
    elif mode == mounts.MODE_ACCESS_RULE:
        rules = _rule_states(ctx, server.id, data.share_ids)
        address = mounts.fixed_address(getattr(server, "addresses", None))
    data = mounts.DataState(mode=mode, state=data.state, mounts=data.mounts,
                            error=data.error, problems=data.problems)
    step = mount_steps.next_step(data, status=status, task_state=task,
                                 attachments=attachments, rules=rules, address=address)
    return step, data, address


def advance(ctx, server):
    """Take the next step of the server's experiment-data transition, if any. Returns
    the ``mount_steps.Step`` taken (DONE when there was nothing to do)."""
    step, data, address = decide(ctx, server)
    if step.action in (mount_steps.DONE, mount_steps.WAIT) and not data.transitional:
        return step
    LOG.debug("desktop %s: experiment data %s -> %s", server.id, data.state, step)
    try:
        _run_step(ctx, server, data, step, address)
    except MountRefused as exc:
        LOG.warning("desktop %s: experiment data refused: %s", server.id, exc)
        _fail(ctx, server, data, "refused")
        return mount_steps.Step(mount_steps.FAIL, reason="refused")
    return step


def _run_step(ctx, server, data, step, address):
    action = step.action
    attaching = data.state in mounts.ATTACHING_STATES
    if action == mount_steps.STOP:
        restart = (mounts.STATE_ATTACHING_RESTART if attaching
                   else mounts.STATE_DETACHING_RESTART)
        api.nova.server_set_metadata(ctx, server.id, {names.META_DATA_STATE: restart})
        _ignore_conflict(api.nova.server_stop, ctx, server.id)
    elif action == mount_steps.START:
        _ignore_conflict(api.nova.server_start, ctx, server.id)
    elif action == mount_steps.ATTACH:
        for mount, share in _verified(ctx, server, data, step):
            with _data_event(ctx, audit.DATA_GRANT, server, share.id, share.name,
                             kind=share.kind, level=mount.level, tag=mount.tag):
                _ignore_conflict(api.nova.share_attach, ctx, server.id, share.id,
                                 mount.tag or share.id)
    elif action == mount_steps.DETACH:
        for share_id in step.share_ids:
            with _data_event(ctx, audit.DATA_REVOKE, server, share_id):
                _ignore_conflict(api.nova.share_detach, ctx, server.id, share_id)
    elif action == mount_steps.ALLOW:
        _allow(ctx, server, data, step, address)
    elif action == mount_steps.DENY:
        for share_id in step.share_ids:
            revocation.deny_desktop_rules(ctx, share_id, server.id, server=server)
    elif action == mount_steps.DONE:
        _finish(ctx, server, data, attaching)
    elif action == mount_steps.FAIL:
        _fail(ctx, server, data, step.reason)


def being_deleted(ctx, server_id):
    """The desktop is gone, being deleted, or marked revoking (read from nova now)."""
    current = api.nova.server_find(ctx, server_id)
    if current is None or task_of(current) == "deleting":
        return True
    return (status_of(current) in ("deleted", "soft_deleted")
            or names.META_REVOKING in metadata_of(current))


def _allow(ctx, server, data, step, address):
    # A delete may start between this pass's read of the server and the grant: checked
    # again right before, and after (the delete's own re-scan may already be over).
    if being_deleted(ctx, server.id):
        return
    for mount, share in _verified(ctx, server, data, step):
        with _data_event(ctx, audit.DATA_GRANT, server, share.id, share.name,
                         kind=share.kind, level=mount.level, address=address) as pending:
            rule = api.manila.access_allow(ctx, share.id, address, mount.level, {
                names.RULE_META_DESKTOP: server.id, names.RULE_META_KIND: share.kind,
                names.RULE_META_EXPERIMENT: share.experiment,
                names.RULE_META_PROJECT: server.tenant_id})
            pending.details["rule_id"] = (rule or {}).get("id")
    if being_deleted(ctx, server.id):
        for share_id in step.share_ids:
            revocation.deny_desktop_rules(ctx, share_id, server.id)


def _data_event(ctx, action, server, share_id, share_name="", **details):
    """One event per rule or attachment granted or revoked (the share is the detail,
    the desktop the target)."""
    return audit.outcome(ctx, action, server.id, getattr(server, "name", ""),
                         refusals=(MountRefused,), project_id=server.tenant_id,
                         share_id=share_id, share_name=share_name or None,
                         mode=experiments.mount_mode(), **details)


def _finish(ctx, server, data, attaching):
    if attaching:
        api.nova.server_set_metadata(ctx, server.id,
                                     {names.META_DATA_STATE: mounts.STATE_ATTACHED})
        if data.error:
            api.nova.server_delete_metadata(ctx, server.id, [names.META_DATA_ERROR])
        return
    keys = mounts.data_metadata_keys(metadata_of(server))
    api.nova.server_delete_metadata(ctx, server.id, keys + [names.META_EXPERIMENT])


def _verified(ctx, server, data, step):
    """(mount, share) for every share of a step, all checked before any is acted on."""
    checked = []
    for share_id in step.share_ids:
        mount = next(m for m in data.mounts if m.share_id == share_id)
        share = experiments.verified_share(ctx, mount, server.tenant_id)
        mounts.check_share(share, project_id=server.tenant_id, mode=data.mode)
        checked.append((mount, share))
    return checked


def _ignore_conflict(call, *args):
    try:
        call(*args)
    except (api.nova.Conflict, api.nova.NotFound) as exc:
        LOG.info("nova answered %s (already done?)", type(exc).__name__)


def _fail(ctx, server, data, reason):
    """Record an error and take back what an attach granted (nothing half-granted)."""
    if data.state in mounts.ATTACHING_STATES:
        try:
            revocation.revoke(ctx, server)
        except Exception:
            LOG.exception("desktop %s: could not take back a failed attach", server.id)
    try:
        api.nova.server_set_metadata(ctx, server.id, {
            names.META_DATA_STATE: mounts.STATE_ERROR,
            names.META_DATA_ERROR: reason[:64]})
    except api.nova.Conflict:
        # nova keeps the metadata of a server in error or shelved as it is.
        LOG.info("desktop %s: cannot record the data error (%s)", server.id, reason)
