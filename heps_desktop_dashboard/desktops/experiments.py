"""Experiment data on desktops: apply and revoke share-mount plans (core/mounts.py)
against nova and Manila, and export results.

How long steps are run (stop → attach → start takes tens of seconds to minutes on a
real cloud, and a fresh desktop first has to boot): never by sleeping inside a web
request. The plan is recorded on the server (``heps:data_state`` plus one
``heps:mount:<kind>`` per share) and ``advance()`` moves it on by ONE idempotent step
each time it is called: from the launch/attach request itself, from Horizon's ajax
row update of the Desktops table (the row shows the task "Attaching experiment data"
and keeps polling until the data is attached), and from the detail page's
"Experiment data" tab, which polls too. Nothing lives in a web process between
requests, so it works behind several Horizon processes and survives restarts; a
desktop nobody looks at simply waits for the next page view.

Safety rules:
* only shares of the user's own project with ``heps:experiment``/``heps:kind``
  metadata are ever granted, re-checked on Manila right before every grant (server
  metadata is user-editable, so it is never trusted for the share, its kind or the
  access level: raw data is read-only whatever a request or the metadata say);
* an experiment is granted whole or not at all: a plan is refused before anything is
  created if any share is in the wrong project, state or protocol, and a failure
  half way removes what was granted;
* every access rule the plugin creates carries ``heps:desktop=<server id>``; deleting
  a desktop removes those rules first (with retries) and only then deletes the
  server; what could not be removed is reported and the server is kept.
"""

import dataclasses
import datetime
import logging
import time

from django.utils.translation import gettext_lazy as _
from horizon import exceptions as horizon_exceptions
from novaclient import exceptions as nova_exceptions

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts

LOG = logging.getLogger(__name__)

MountRefused = mounts.MountRefused
ShareServiceUnavailable = manila.ShareServiceUnavailable

# Revocation: attempts per rule and the pause before each retry (seconds).
REVOKE_ATTEMPTS = 3
REVOKE_BACKOFF = (0.5, 1.5)
# How long revoke() waits for Manila to finish denying before it reports "pending".
REVOKE_SETTLE_SECONDS = 10

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
    return template % {"share": share, "detail": exc.detail, "mode": mount_mode()}


MANILA_DOWN = _("The shared file systems service (Manila) is not answering; "
                "nothing was changed. Try again later.")


def mount_mode():
    return mounts.check_mode(conf.get("share_mount_mode"))


# --- experiments of the project -------------------------------------------------------

def experiment_list(request, with_exports=False):
    return mounts.group_experiments(
        manila.experiment_shares(request, with_exports=with_exports),
        request.user.tenant_id)


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
        experiments = experiment_list(request)
    except Exception:
        horizon_exceptions.handle(request, _("Unable to retrieve the project's experiments "
                                             "from Manila."))
        return choices
    return choices + [(exp.id, experiment_label(exp)) for exp in experiments]


def get_experiment(request, experiment_id, with_exports=False):
    """One of the project's experiments (one share list; with ``with_exports``, one
    export-location call per share of that experiment only)."""
    for experiment in experiment_list(request):
        if experiment.id == experiment_id:
            if with_exports:
                experiment = _with_exports(request, experiment)
            return experiment
    raise MountRefused(mounts.UNKNOWN_EXPERIMENT, detail=experiment_id)


def _with_exports(request, experiment):
    def load(share):
        if share is None or share.status != mounts.MOUNTABLE_STATUS:
            return share
        paths = mounts.export_paths(manila.export_locations(request, share.id))
        return dataclasses.replace(share, exports=paths)
    return dataclasses.replace(experiment, raw=load(experiment.raw),
                               results=load(experiment.results))


def plan_for(request, experiment_id, levels=None, mode=None):
    """The checked mount plan of one of the project's experiments (Manila reads only)."""
    mode = mounts.check_mode(mode or mount_mode())
    experiment = get_experiment(request, experiment_id,
                                with_exports=mode == mounts.MODE_ACCESS_RULE)
    return mounts.plan(mode, experiment, project_id=request.user.tenant_id, levels=levels)


def user_data_for(request, experiment_id, mode=None, plan=None):
    """cloud-init user-data for a new desktop (built BEFORE the server is created).

    access-rule: mounts of the experiment's NFS exports (None without an experiment).
    virtiofs: mounts of the fixed tags ``heps-raw``/``heps-results``, with or without an
    experiment, so that data attached later is mounted at the next boot.
    """
    mode = mounts.check_mode(mode or mount_mode())
    if mode == mounts.MODE_VIRTIOFS:
        return mounts.build_user_data(mode, mounts.virtiofs_placeholder_grants(),
                                      experiment_id or "")
    if not experiment_id:
        return None
    plan = plan or plan_for(request, experiment_id, mode=mode)
    return plan.user_data()


# --- small nova helpers ----------------------------------------------------------------

def _set_metadata(request, desktop_id, metadata):
    api.nova.compute_request(request, "POST", f"/servers/{desktop_id}/metadata",
                             "server_tags", body={"metadata": metadata})


def _delete_metadata(request, desktop_id, keys):
    for key in keys:
        try:
            api.nova.compute_request(request, "DELETE",
                                     f"/servers/{desktop_id}/metadata/{key}", "server_tags")
        except nova_exceptions.NotFound:
            pass


def attachments(request, desktop_id):
    """{share_id: status} of the server's share attachments (nova 2.97)."""
    found = api.nova.compute_request(request, "GET", f"/servers/{desktop_id}/shares",
                                     "share_attachments")
    return {item["share_id"]: item.get("status", "") for item in (found or {}).get("shares", [])}


def attachment_details(request, desktop_id):
    found = api.nova.compute_request(request, "GET", f"/servers/{desktop_id}/shares",
                                     "share_attachments")
    return (found or {}).get("shares", [])


def _ignore_conflict(call, *args):
    try:
        call(*args)
    except nova_exceptions.Conflict as exc:
        LOG.info("nova answered 409 (already done?): %s", exc)


def _status(server):
    return (getattr(server, "status", "") or "").lower()


def _task(server):
    return getattr(server, "OS-EXT-STS:task_state", None)


def _verified_share(request, mount):
    """The Manila share behind a recorded mount, re-checked: this project's, of the
    recorded kind, mountable, at an allowed level. Raises MountRefused."""
    try:
        share = manila.share_with_exports(request, mount.share_id)
    except manila.NotFound as exc:
        # Another project's private share, or a deleted one: same answer.
        raise MountRefused(mounts.UNKNOWN_EXPERIMENT, detail=mount.share_id) from exc
    if share.project_id != request.user.tenant_id:
        raise MountRefused(mounts.OTHER_PROJECT, share)
    if share.kind != mount.kind:
        raise MountRefused(mounts.UNKNOWN_EXPERIMENT, share, share.kind)
    mounts.check_level(share.kind, mount.level)
    return share


# --- applying a plan -------------------------------------------------------------------

def launch_metadata(request, experiment_id, plan=None, mode=None):
    """Server metadata to create a desktop with when it is launched with an experiment.

    It must be given at creation: nova refuses metadata updates while a server is
    building. It records the plan (``heps:data_*``, ``heps:mount:*``) with the state
    "attaching" and the experiment id; ``apply_on_launch`` then takes it from there.
    """
    plan = plan or plan_for(request, experiment_id, mode=mode)
    metadata = plan.server_metadata(mounts.STATE_ATTACHING)
    metadata[desktops.META_EXPERIMENT] = plan.experiment_id
    return metadata


def apply_on_launch(request, server, experiment_id, plan=None, mode=None):
    """Take the first step of attaching the experiment to a just-created desktop.

    The desktop must have been created with ``launch_metadata()`` (and, in access-rule
    mode, ``user_data_for()``). virtiofs: once nova reports it ACTIVE the desktop is
    stopped, the shares attached (2.97) and the desktop started again, one step per
    ``advance()`` (the Desktops table shows "Attaching experiment data" meanwhile).
    access-rule: the rules are created as soon as nova reports its fixed address.
    Returns the step taken (usually WAIT: the desktop is still building).
    """
    server = api.nova.desktop_get(request, server.id)
    data = mounts.read_data_state(getattr(server, "metadata", None))
    if data.empty:
        # Created without launch_metadata(): only possible once nova is done building.
        metadata = launch_metadata(request, experiment_id, plan=plan, mode=mode)
        try:
            _set_metadata(request, server.id, metadata)
        except nova_exceptions.Conflict as exc:
            raise MountRefused(mounts.BUSY, detail=_status(server)) from exc
        server = api.nova.desktop_get(request, server.id)
    return advance(request, server)


def attach(request, desktop_id, experiment_id, levels=None, plan=None):
    """Attach one of the project's experiments to an existing desktop.

    Refused (MountRefused) before anything is granted when the desktop already has data,
    is busy, or a share cannot be mounted.
    """
    server = api.nova.desktop_get(request, desktop_id)
    data = mounts.read_data_state(getattr(server, "metadata", None))
    if data.transitional:
        raise MountRefused(mounts.BUSY, detail=str(STATE_DISPLAY[data.state]))
    if data.mounts or data.state == mounts.STATE_ATTACHED:
        raise MountRefused(mounts.ALREADY_ATTACHED)
    if _task(server) or _status(server) not in ("active", "shutoff"):
        raise MountRefused(mounts.BUSY, detail=_task(server) or _status(server))
    plan = plan or plan_for(request, experiment_id, levels=levels)
    metadata = plan.server_metadata(mounts.STATE_ATTACHING)
    metadata[desktops.META_EXPERIMENT] = plan.experiment_id
    _delete_metadata(request, desktop_id, [mounts.META_DATA_ERROR] if data.error else [])
    _set_metadata(request, desktop_id, metadata)
    return advance_by_id(request, desktop_id)


def detach(request, desktop_id):
    """Detach the desktop's experiment data (stopping/starting it in virtiofs mode)."""
    server = api.nova.desktop_get(request, desktop_id)
    data = mounts.read_data_state(getattr(server, "metadata", None))
    if data.transitional:
        raise MountRefused(mounts.BUSY, detail=str(STATE_DISPLAY[data.state]))
    if not data.mounts and not data.state:
        raise MountRefused(mounts.NOTHING_ATTACHED)
    if _task(server) or _status(server) not in ("active", "shutoff", "error"):
        raise MountRefused(mounts.BUSY, detail=_task(server) or _status(server))
    mode = data.mode if data.mode in mounts.MODES else mount_mode()
    _set_metadata(request, desktop_id, {mounts.META_DATA_STATE: mounts.STATE_DETACHING,
                                        mounts.META_DATA_MODE: mode})
    return advance_by_id(request, desktop_id)


def advance_by_id(request, desktop_id):
    return advance(request, api.nova.desktop_get(request, desktop_id))


def _rule_states(request, desktop_id, share_ids):
    found = {}
    for share_id in dict.fromkeys(share_ids):
        try:
            rules = manila.desktop_rules(request, share_id, desktop_id)
        except (manila.NotFound, manila.BadRequest):
            # Not a share this project sees (Manila answers 400 to the rule list of an
            # unknown share): it has no rules of ours, and granting it is refused later.
            rules = []
        found[share_id] = [rule.get("state") or mounts.RULE_ACTIVE for rule in rules]
    return found


def advance(request, server):
    """Take the next step of the server's experiment-data transition, if it has one.

    Returns the ``mounts.Step`` taken (``DONE`` when there was nothing to do). Each
    step makes a few quick API calls and never waits for nova or Manila.
    """
    data = mounts.read_data_state(getattr(server, "metadata", None))
    if not data.transitional:
        return mounts.Step(mounts.DONE)
    desktop_id = server.id
    status, task = _status(server), _task(server)
    found_attachments, rules, address = None, None, ""
    if data.mode == mounts.MODE_VIRTIOFS and not task and status in ("active", "shutoff"):
        found_attachments = attachments(request, desktop_id)
    elif data.mode == mounts.MODE_ACCESS_RULE:
        rules = _rule_states(request, desktop_id, data.share_ids)
        address = mounts.fixed_address(getattr(server, "addresses", None))
    step = mounts.next_step(data, status=status, task_state=task,
                            attachments=found_attachments, rules=rules, address=address)
    LOG.debug("desktop %s: experiment data %s -> %s", desktop_id, data.state, step)
    try:
        _run_step(request, server, data, step, address)
    except MountRefused as exc:
        LOG.warning("desktop %s: experiment data refused: %s", desktop_id, exc)
        _fail(request, server, data, "refused")
        return mounts.Step(mounts.FAIL, reason="refused")
    return step


def _run_step(request, server, data, step, address):
    desktop_id = server.id
    attaching = data.state in mounts.ATTACHING_STATES
    if step.action == mounts.STOP:
        restart = (mounts.STATE_ATTACHING_RESTART if attaching
                   else mounts.STATE_DETACHING_RESTART)
        _set_metadata(request, desktop_id, {mounts.META_DATA_STATE: restart})
        _ignore_conflict(api.nova.desktop_stop, request, desktop_id)
    elif step.action == mounts.START:
        _ignore_conflict(api.nova.desktop_start, request, desktop_id)
    elif step.action == mounts.ATTACH:
        # Every share is checked before the first is attached: all or nothing.
        for mount, share in _verified(request, data, step, mounts.MODE_VIRTIOFS):
            body = {"share": {"share_id": share.id, "tag": mount.tag or share.id}}
            _ignore_conflict(api.nova.compute_request, request, "POST",
                             f"/servers/{desktop_id}/shares", "share_attachments", body)
    elif step.action == mounts.DETACH:
        for share_id in step.share_ids:
            try:
                api.nova.compute_request(request, "DELETE",
                                         f"/servers/{desktop_id}/shares/{share_id}",
                                         "share_attachments")
            except (nova_exceptions.NotFound, nova_exceptions.Conflict) as exc:
                LOG.info("detach %s from %s: %s", share_id, desktop_id, exc)
    elif step.action == mounts.ALLOW:
        for mount, share in _verified(request, data, step, mounts.MODE_ACCESS_RULE):
            manila.access_allow(request, share.id, address, mount.level, {
                mounts.RULE_META_DESKTOP: desktop_id, mounts.RULE_META_KIND: share.kind,
                mounts.RULE_META_EXPERIMENT: share.experiment})
    elif step.action == mounts.DENY:
        for share_id in step.share_ids:
            for rule in manila.desktop_rules(request, share_id, desktop_id):
                if rule.get("state") not in mounts.RULE_GOING:
                    _deny_quietly(request, share_id, rule["id"])
    elif step.action == mounts.DONE:
        if attaching:
            _set_metadata(request, desktop_id, {mounts.META_DATA_STATE: mounts.STATE_ATTACHED})
            _delete_metadata(request, desktop_id,
                             [mounts.META_DATA_ERROR] if data.error else [])
        else:
            _delete_metadata(request, desktop_id,
                             mounts.data_metadata_keys(getattr(server, "metadata", None)))
    elif step.action == mounts.FAIL:
        _fail(request, server, data, step.reason)


def _verified(request, data, step, mode):
    """(mount, share) for every share of a step, all checked before any is acted on."""
    checked = []
    for share_id in step.share_ids:
        mount = next(m for m in data.mounts if m.share_id == share_id)
        share = _verified_share(request, mount)
        mounts.check_share(share, project_id=request.user.tenant_id, mode=mode)
        checked.append((mount, share))
    return checked


def _deny_quietly(request, share_id, rule_id):
    try:
        manila.access_deny(request, share_id, rule_id)
    except manila.NotFound:
        pass


def _fail(request, server, data, reason):
    """Record an error and take back what an attach granted (nothing half-granted)."""
    desktop_id = server.id
    if data.state in mounts.ATTACHING_STATES:
        try:
            revoke(request, desktop_id, server=server, settle=0)
        except Exception:
            LOG.exception("desktop %s: could not take back a failed attach", desktop_id)
    try:
        _set_metadata(request, desktop_id, {mounts.META_DATA_STATE: mounts.STATE_ERROR,
                                            mounts.META_DATA_ERROR: reason[:64]})
    except nova_exceptions.Conflict:
        # nova keeps the metadata of a server in error or shelved as it is; the row stops
        # polling (mounts.pseudo_task_state) and the tab shows the server's state.
        LOG.info("desktop %s: cannot record the data error (%s)", desktop_id, reason)
    # A desktop the plugin stopped stays stopped: starting it while nova is still
    # detaching a share would put it into error (nova checks share states at power on).


def progress(request, server):
    """For the Desktops table's ajax row update: advance a desktop whose experiment data
    is in transition and return the (re-read) server. Costs nothing for other desktops;
    never raises (the row must render whatever Manila or nova say)."""
    data = mounts.read_data_state(getattr(server, "metadata", None))
    if not data.transitional:
        return server
    try:
        step = advance(request, server)
    except Exception:
        LOG.warning("desktop %s: experiment data step failed; retried on the next poll",
                    server.id, exc_info=True)
        return server
    if step.action == mounts.WAIT:
        return server
    try:
        return api.nova.desktop_get(request, server.id)
    except Exception:
        return server


# --- revocation ------------------------------------------------------------------------

@dataclasses.dataclass
class RevokeReport:
    denied: list = dataclasses.field(default_factory=list)       # (share id, name, rule id)
    detached: list = dataclasses.field(default_factory=list)     # share ids
    left_to_nova: list = dataclasses.field(default_factory=list)  # share ids
    failed: list = dataclasses.field(default_factory=list)        # (share name, reason)
    pending: list = dataclasses.field(default_factory=list)       # rule ids still denying

    @property
    def ok(self):
        return not self.failed


class RevocationFailed(exceptions.DesktopError):
    def __init__(self, desktop_id, report, name=""):
        super().__init__(f"could not revoke the data access of desktop {desktop_id}: "
                         f"{report.failed}")
        self.desktop_id = desktop_id
        self.name = name or desktop_id
        self.report = report


def _with_retries(call, *args):
    last = None
    for attempt in range(REVOKE_ATTEMPTS):
        try:
            return call(*args)
        except (manila.NotFound, nova_exceptions.NotFound):
            return None
        except Exception as exc:  # retried, then reported
            last = exc
            if attempt < len(REVOKE_BACKOFF):
                time.sleep(REVOKE_BACKOFF[attempt])
    raise last


def revoke(request, desktop_id, server=None, settle=REVOKE_SETTLE_SECONDS):
    """Remove every access this desktop has to experiment data. Returns a RevokeReport.

    * access rules tagged ``heps:desktop=<id>`` on every experiment share of the project
      (not only those recorded on the server: a half-finished attach is covered too),
      each denied with retries, then re-listed until Manila has dropped them (up to
      ``settle`` seconds; longer-running denials are reported as pending);
    * share attachments: detached when the server is stopped or in error (nova refuses
      otherwise); on a running desktop nova's own delete unmounts and denies them.
    """
    report = RevokeReport()
    if server is None:
        server = api.nova.desktop_get(request, desktop_id)
    data = mounts.read_data_state(getattr(server, "metadata", None))
    try:
        shares = {s.id: s.display_name for s in manila.experiment_shares(request)}
    except Exception as exc:
        report.failed.append(("", str(exc)))
        return report
    for mount in data.mounts:
        shares.setdefault(mount.share_id, mount.share_id)
    for share_id, name in shares.items():
        try:
            rules = _with_retries(manila.desktop_rules, request, share_id, desktop_id) or []
        except Exception as exc:
            report.failed.append((name, str(exc)))
            continue
        for rule in rules:
            if rule.get("state") not in mounts.RULE_GOING:
                try:
                    _with_retries(manila.access_deny, request, share_id, rule["id"])
                except Exception as exc:
                    report.failed.append((name, str(exc)))
                    continue
            report.denied.append((share_id, name, rule["id"]))
    if api.nova.supports(request, "share_attachments"):
        _revoke_attachments(request, server, report)
    if report.denied and settle:
        report.pending = _wait_denied(request, desktop_id, report, settle)
    return report


def _revoke_attachments(request, server, report):
    try:
        attached = attachments(request, server.id)
    except nova_exceptions.NotFound:
        return
    except Exception as exc:
        report.failed.append(("", str(exc)))
        return
    for share_id in attached:
        if _status(server) not in ("shutoff", "error"):
            report.left_to_nova.append(share_id)
            continue
        try:
            _with_retries(api.nova.compute_request, request, "DELETE",
                          f"/servers/{server.id}/shares/{share_id}", "share_attachments")
            report.detached.append(share_id)
        except Exception as exc:
            report.failed.append((share_id, str(exc)))


def _wait_denied(request, desktop_id, report, settle):
    """Rule ids Manila still lists after ``settle`` seconds (denials are asynchronous)."""
    deadline = time.monotonic() + settle
    share_ids = {share_id for share_id, _name, _rule in report.denied}
    while True:
        left = []
        for share_id in share_ids:
            try:
                left += [r["id"] for r in manila.desktop_rules(request, share_id, desktop_id)]
            except Exception:
                LOG.debug("re-listing rules of %s failed", share_id, exc_info=True)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.5)


def revoke_then_delete(request, desktop_id):
    """Revoke the desktop's data access, then delete it (the panel's Delete action).

    Nothing is deleted when a rule cannot be removed after retries: RevocationFailed
    says which, and the desktop stays so the user can retry (no rule is ever left
    pointing at an address nova may give to another server).
    """
    server = api.nova.desktop_get(request, desktop_id)
    report = revoke(request, desktop_id, server=server)
    if not report.ok:
        raise RevocationFailed(desktop_id, report, getattr(server, "name", ""))
    keys = mounts.data_metadata_keys(getattr(server, "metadata", None))
    if keys:
        try:
            _delete_metadata(request, desktop_id, keys)
        except Exception:
            LOG.info("desktop %s: could not clear data metadata before delete", desktop_id)
    api.nova.desktop_delete(request, desktop_id)
    return report


def delete_desktop(request, desktop_id):
    """The panel's Delete action: revoke_then_delete, reporting a failed revocation as
    its own message (the batch action then lists the desktop as not deleted)."""
    try:
        return revoke_then_delete(request, desktop_id)
    except RevocationFailed as exc:
        LOG.warning("desktop %s kept: %s", desktop_id, exc)
        horizon_exceptions.handle(request, revocation_message(exc.name, exc.report),
                                  escalate=True, details="")


def revocation_message(name, report):
    shares = ", ".join(sorted({share for share, _reason in report.failed if share}))
    shares = shares or _("Manila did not answer")
    return _('Desktop "%(name)s" was not deleted: its access to experiment data '
             '(%(shares)s) could not be revoked. Nothing was deleted; try again, or ask the '
             'facility if it keeps failing.') % {"name": name, "shares": shares}


# --- what the "Experiment data" tab shows --------------------------------------------

@dataclasses.dataclass
class MountRow:
    kind: str
    kind_display: str
    share_id: str
    share_name: str
    level: str
    level_display: str
    path: str
    source: str
    tag: str
    state: str
    command: str


def data_context(request, desktop):
    """Everything the tab shows; Manila/nova failures become messages, not errors."""
    server = desktop.server
    data = mounts.read_data_state(getattr(server, "metadata", None))
    if data.transitional:
        try:
            step = advance(request, server)
            if step.action != mounts.WAIT:
                server = api.nova.desktop_get(request, server.id)
                data = mounts.read_data_state(getattr(server, "metadata", None))
        except Exception:
            LOG.warning("desktop %s: experiment data step failed", server.id, exc_info=True)
    mode = data.mode or mount_mode()
    context = {
        "desktop": desktop, "data": data, "mode": mode,
        "mode_display": MODE_DISPLAY.get(mode, mode),
        "state_display": STATE_DISPLAY.get(data.state, data.state),
        "error_display": ERROR_DISPLAY.get(data.error, data.error),
        "transitional": data.transitional and _status(server) not in
        mounts.STUCK_SERVER_STATES,
        "rows": [], "snapshots": [], "quota": None,
        "results_share": None, "manila_error": False,
    }
    states = {}
    try:
        if mode == mounts.MODE_VIRTIOFS and data.mounts:
            states = {sid: st for sid, st in attachments(request, server.id).items()}
        elif data.mounts:
            rule_states = _rule_states(request, server.id, data.share_ids)
            states = {sid: ", ".join(st) for sid, st in rule_states.items()}
    except Exception:
        horizon_exceptions.handle(request, _("Unable to read the state of the experiment "
                                             "data."), ignore=True)
    names = {}
    try:
        for share in manila.experiment_shares(request):
            names[share.id] = share.display_name
            if share.kind == mounts.KIND_RESULTS and share.experiment == desktop.experiment:
                context["results_share"] = share
    except Exception:
        context["manila_error"] = True
    for mount in data.mounts:
        context["rows"].append(MountRow(
            kind=mount.kind, kind_display=KIND_DISPLAY.get(mount.kind, mount.kind),
            share_id=mount.share_id, share_name=names.get(mount.share_id, mount.share_id),
            level=mount.level, level_display=LEVEL_DISPLAY.get(mount.level, mount.level),
            path=mount.path, source=mount.source, tag=mount.tag,
            state=states.get(mount.share_id) or _("none"), command=mount.mount_command()))
    results = context["results_share"]
    if results is not None and not context["manila_error"]:
        try:
            context["snapshots"] = snapshots_of(request, results.id)
            context["quota"] = results_quota(request, results)
        except Exception:
            horizon_exceptions.handle(request, _("Unable to retrieve the results share's "
                                                 "snapshots."), ignore=True)
    return context


# --- results export ---------------------------------------------------------------------

def _project_share(request, share_id, kind=None):
    share = manila.share_with_exports(request, share_id)
    if share.project_id != request.user.tenant_id:
        raise MountRefused(mounts.OTHER_PROJECT, share)
    if kind and share.kind != kind:
        raise MountRefused(mounts.UNKNOWN_EXPERIMENT, share, share.kind)
    return share


def results_share(request, experiment_id):
    experiment = get_experiment(request, experiment_id)
    if experiment.results is None:
        raise MountRefused(mounts.UNKNOWN_EXPERIMENT, detail=experiment_id)
    return experiment.results


class ExportRefused(exceptions.DesktopError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def default_snapshot_name(experiment_id, now=None):
    now = now or datetime.datetime.now(datetime.UTC)
    return f"{experiment_id}-results-{now:%Y%m%d-%H%M%S}"


def snapshot_results(request, share_id, name, description=""):
    """Snapshot one of the project's results shares."""
    share = _project_share(request, share_id, mounts.KIND_RESULTS)
    if not share.snapshot_support:
        raise ExportRefused(_('Share "%s" cannot be snapshotted: its share type has no '
                              'snapshot support.') % share.display_name)
    if share.status != mounts.MOUNTABLE_STATUS:
        raise ExportRefused(_('Share "%(name)s" is %(status)s; snapshots need an available '
                              'share.') % {"name": share.display_name, "status": share.status})
    return manila.snapshot_create(request, share.id, name, description)


def snapshots_of(request, share_id):
    """Snapshots of a share, newest first, with name, time, size and status."""
    found = manila.snapshot_list(request, share_id)
    return sorted(found, key=lambda s: s.get("created_at") or "", reverse=True)


def share_from_snapshot(request, snapshot_id, name, description=""):
    """A new share from a snapshot of one of the project's results shares.

    The new share is tagged with where it came from, not with ``heps:experiment``:
    the experiment keeps exactly one results share.
    """
    snapshot = manila.snapshot_get(request, snapshot_id)
    source = _project_share(request, snapshot["share_id"], mounts.KIND_RESULTS)
    if snapshot.get("status") != "available":
        raise ExportRefused(_('Snapshot "%(name)s" is %(status)s; wait until it is '
                              'available.') % {"name": snapshot.get("name") or snapshot_id,
                                               "status": snapshot.get("status")})
    if not source.create_from_snapshot_support:
        raise ExportRefused(_('Shares cannot be created from snapshots of "%s": its share '
                              'type does not support it.') % source.display_name)
    metadata = {"heps:source_snapshot": snapshot["id"],
                "heps:source_experiment": source.experiment}
    return manila.share_create_from_snapshot(request, snapshot, name, description, metadata)


def results_quota(request, share):
    """Project share-storage usage next to the results share's size (GiB)."""
    usage = manila.quota_usage(request).get("gigabytes") or {}
    return {"share_size": share.size, "used": usage.get("in_use"),
            "limit": usage.get("limit"), "reserved": usage.get("reserved")}


def save_as_image(request, desktop_id, name):
    """Save a desktop as a private image, tagged with where it came from.

    nova copies the source image's properties into a snapshot; ``heps_golden`` is
    overridden so a saved desktop never shows up as a golden image.
    """
    server = api.nova.desktop_get(request, desktop_id)
    info = desktops.read_metadata(getattr(server, "metadata", None))
    image = getattr(server, "image", None)
    metadata = {"heps_golden": "false", "heps_source_desktop": server.id,
                "heps_source_experiment": info.experiment or "",
                "heps_source_image": image.get("id", "") if isinstance(image, dict) else ""}
    client = api.nova.client_for(request, "server_tags")
    return client.servers.create_image(server.id, name, metadata)
