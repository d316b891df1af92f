"""Boost: the owner resizes a running desktop to a bigger profile (nova resize, then
confirm), and the reconciler resizes it back after ``boost_hours``.

The POST checks the quota and the free GPUs like a launch, records the boost on the
server (signed, core/boost.py) and asks nova for the resize; the reconciler confirms it,
marks the boost, and returns the desktop to its own profile when the boost ends. Data
access and My storage stay as they are: a resize keeps the server, its address, its
volumes and its metadata.
"""

import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import boost as rules
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import quota
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import audit

LOG = logging.getLogger(__name__)

# Refusal codes (BoostRefused.code): the panel words them in the user's language.
NOT_RUNNING = "not_running"
ALREADY = "already"
NOT_BOOSTED = "not_boosted"
UNKNOWN_PROFILE = "unknown_profile"
NOT_BIGGER = "not_bigger"
QUOTA = "quota"
NO_GPU = "no_gpu"


class BoostRefused(Exception):
    """Nothing was changed: ``code`` says why, ``params`` the details."""

    def __init__(self, code, message, **params):
        super().__init__(message)
        self.code = code
        self.params = params


class BoostFailed(Exception):
    """nova refused or failed the resize; the boost record was taken back."""


def record_of(server):
    record, _present = rules.read(conf.signing_key(), server.id,
                                  getattr(server, "metadata", None))
    return record


def _idle(server):
    return (str(getattr(server, "status", "")).upper() == "ACTIVE"
            and not getattr(server, "OS-EXT-STS:task_state", None))


def _flavor(server):
    flavor = getattr(server, "flavor", None)
    return flavor if isinstance(flavor, dict) else {}


def current_needs(server):
    """What the desktop's flavor holds now, per quota line (embedded flavor, 2.47+)."""
    flavor = _flavor(server)
    needs = {quota.CORES: int(flavor.get("vcpus") or 0), quota.RAM: int(flavor.get("ram") or 0)}
    for rclass, amount in profiles.gpu_resources(flavor.get("extra_specs") or {}).items():
        if not rclass.startswith("pci:"):
            needs[quota.gpu_resource_name(rclass)] = amount
    return needs


def bigger(server, profile):
    """Whether ``profile`` is a boost of the desktop: another profile with at least its
    vCPUs, RAM, disk and GPUs, and more of one of them."""
    flavor = _flavor(server)
    current = (int(flavor.get("vcpus") or 0), int(flavor.get("ram") or 0),
               int(flavor.get("disk") or 0),
               sum(profiles.gpu_resources(flavor.get("extra_specs") or {}).values()))
    target = (profile.vcpus, profile.ram_mb, profile.disk_gb, profile.gpu_count)
    return (profile.name != desktops.flavor_name(server)
            and all(t >= c for t, c in zip(target, current, strict=True)) and target != current)


def choices(ctx, server):
    """``[(Profile, specs)]`` the desktop may be boosted to (one flavor list call)."""
    return [(profile, specs) for profile, specs in
            api.nova_flavors.profile_list_with_specs(ctx) if bigger(server, profile)]


def _quota_lines(ctx, classes):
    lines = quota.nova_lines(api.nova_flavors.absolute_limits(ctx))
    if classes:
        limits = api.keystone.compute_limits(ctx, [quota.gpu_resource_name(rc)
                                                   for rc in classes])
        try:
            usages = api.placement.project_usages(ctx)
        except Exception:
            usages = api.nova_flavors.gpu_usage_from_servers(ctx)
        lines.update(quota.gpu_lines(classes, limits, usages))
    return lines


def check_quota(ctx, server, profile, specs):
    """BoostRefused when the project's quota or the free GPUs do not allow the resize.

    Only the difference counts: the desktop's own profile is already in the usage. A
    quota that cannot be read does not block (nova still enforces it)."""
    held = current_needs(server)
    delta = {resource: amount - held.get(resource, 0)
             for resource, amount in quota.launch_needs(profile).items()
             if resource != quota.INSTANCES}
    over = quota.exceeded(_quota_lines(ctx, quota.placement_classes(profile)), delta)
    if over:
        raise BoostRefused(QUOTA, "quota exceeded: " + ", ".join(o.resource for o in over),
                           resources=[o.resource for o in over])
    try:
        free = api.placement.gpu_free(ctx, quota.gpu_requests(specs))
    except Exception as exc:
        LOG.info("GPU capacity unreadable for a boost: %s", exc)
        free = None
    empty = [req.resource_class for req, count in (free or {}).items() if count < req.amount]
    if empty:
        raise BoostRefused(NO_GPU, "no free GPU of " + ", ".join(empty), classes=empty)


def _target(ctx, server, profile_id):
    for profile, specs in api.nova_flavors.profile_list_with_specs(ctx):
        if profile.id == str(profile_id):
            if not bigger(server, profile):
                raise BoostRefused(NOT_BIGGER, f"{profile.name} is not bigger",
                                   profile=profile.name)
            return profile, specs
    raise BoostRefused(UNKNOWN_PROFILE, "not a desktop profile", profile=str(profile_id))


def boost(ctx, desktop_id, profile_id, now=None):
    """Boost the owner's running desktop to ``profile_id`` for ``boost_hours``.
    Returns the record. AccessDenied, BoostRefused, BoostFailed."""
    server = access.require(ctx, desktop_id, access.MANAGE)
    with audit.outcome(ctx, audit.DESKTOP_BOOST, server.id, server.name,
                       refusals=(BoostRefused,), profile_id=str(profile_id),
                       from_profile=desktops.flavor_name(server)) as pending:
        if not _idle(server):
            raise BoostRefused(NOT_RUNNING, "the desktop is not running",
                               status=getattr(server, "status", ""))
        if record_of(server) is not None:
            raise BoostRefused(ALREADY, "the desktop is boosted already")
        profile, specs = _target(ctx, server, profile_id)
        check_quota(ctx, server, profile, specs)
        record = rules.new_record(desktops.flavor_name(server), profile.name,
                                  now or desktops.utcnow(), int(conf.get("boost_hours")))
        pending.details.update(to_profile=profile.name,
                               until=desktops.format_expiry(record.until))
        _resize(ctx, server, record, profile.id, previous=None)
    return record


def _resize(ctx, server, record, flavor_id, previous):
    """Record, then resize; on a refusal put the record back as it was."""
    api.nova.server_set_metadata(ctx, server.id, rules.metadata(
        conf.signing_key(), server.id, record))
    try:
        api.nova_volumes.server_resize(ctx, server.id, flavor_id)
    except Exception as exc:
        try:
            if previous is None:
                api.nova.server_delete_metadata(ctx, server.id, [rules.names.META_BOOST])
            else:
                api.nova.server_set_metadata(ctx, server.id, rules.metadata(
                    conf.signing_key(), server.id, previous))
        except Exception:
            LOG.exception("desktop %s: boost record not taken back", server.id)
        raise BoostFailed(str(exc)) from exc


def flavor_id_of(ctx, name):
    """The id of the flavor named ``name`` (retired profiles too)."""
    for flavor, _specs in api.nova_flavors.flavors_with_specs(ctx):
        if flavor.name == name:
            return flavor.id
    raise BoostRefused(UNKNOWN_PROFILE, f"flavor {name} is gone", profile=name)


def return_now(ctx, desktop_id, now=None):
    """End the owner's boost now: resize back to the desktop's own profile."""
    server = access.require(ctx, desktop_id, access.MANAGE)
    with audit.outcome(ctx, audit.DESKTOP_BOOST_RETURN, server.id, server.name,
                       refusals=(BoostRefused,)):
        record = record_of(server)
        if record is None or record.state != rules.BOOSTED:
            raise BoostRefused(NOT_BOOSTED, "the desktop is not boosted")
        if not _idle(server):
            raise BoostRefused(NOT_RUNNING, "the desktop is not running",
                               status=getattr(server, "status", ""))
        return return_to_own_profile(ctx, server, record, now)


def return_to_own_profile(ctx, server, record, now=None):
    """Resize back to the profile the boost came from (the reconciler, or Return)."""
    back = record.with_state(rules.RETURNING, (now or desktops.utcnow()).replace(
        microsecond=0))
    _resize(ctx, server, back, flavor_id_of(ctx, record.from_profile), previous=record)
    return back
