"""Network policy of desktops: an experiment's desktops share the security group
``heps-exp-<experiment>`` made from the settings' template (default: no ingress at all),
every desktop sits on the desktop network only, and a public address exists only where
the profile allows it and the user asked."""

import datetime
import logging

from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import audit

LOG = logging.getLogger(__name__)
GROUP_DESCRIPTION = ("HEPS experiment desktops (made by the dashboard from its "
                     "security_group_rules template; kept in step at every launch)")
# The reconciler leaves a group alone while it was made or used (a launch marks it) less
# than GROUP_GRACE ago: a launch reads the group, then nova makes the desktop's port with
# it seconds later; a group deleted in between fails the desktop (SecurityGroupNotFound).
GROUP_GRACE = datetime.timedelta(minutes=10)
DIRECTIONS = ("ingress", "egress")
ETHERTYPES = ("IPv4", "IPv6")
ANY_PREFIXES = ("0.0.0.0/0", "::/0")
SELF = "self"

EXTERNAL_NETWORK = _("Desktops are never attached to an external network; they get the "
                     "desktop network only.")
OTHER_NETWORK = _("Desktops are attached to the desktop network only; that network "
                  "cannot be chosen.")
OTHER_PORT = _("That port is not one of this project's; desktops get a new port on the "
               "desktop network.")
OWN_PORT = _("Desktops get a new port on the desktop network; an existing port cannot "
             "be used.")
PUBLIC_IP_NOT_ALLOWED = _("This desktop profile does not allow a public address.")


class NetworkRefused(exceptions.DesktopError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def group_name(experiment_id):
    return f"{names.SECURITY_GROUP_PREFIX}{experiment_id}"


def is_experiment_group(name):
    return str(name or "").startswith(names.SECURITY_GROUP_PREFIX)


# --- the template --------------------------------------------------------------------------

def template_rules():
    """The configured rules, checked: a list of neutron rule dicts."""
    rules = []
    for raw in conf.get("security_group_rules") or ():
        rule = {key: raw.get(key) for key in api.neutron.RULE_FIELDS if key in raw}
        rule.setdefault("ethertype", "IPv4")
        if rule.get("direction") not in DIRECTIONS or rule["ethertype"] not in ETHERTYPES:
            raise ValueError(f"security_group_rules: bad direction/ethertype in {raw!r}")
        rules.append(rule)
    return rules


def rule_key(rule, group_id):
    """What makes two rules the same, whatever neutron normalized."""
    remote_group = rule.get("remote_group_id")
    prefix = rule.get("remote_ip_prefix") or None
    protocol = rule.get("protocol")
    return (rule.get("direction"), rule.get("ethertype") or "IPv4",
            None if protocol in (None, "", "any") else str(protocol).lower(),
            _port(rule.get("port_range_min")), _port(rule.get("port_range_max")),
            None if prefix in ANY_PREFIXES else prefix,
            group_id if remote_group == SELF else (remote_group or None))


def _port(value):
    return None if value in (None, "") else int(value)


def _wanted(group_id):
    rules = {}
    for rule in template_rules():
        wanted = dict(rule)
        if wanted.get("remote_group_id") == SELF:
            wanted["remote_group_id"] = group_id
        rules[rule_key(wanted, group_id)] = wanted
    return rules


def _sync_rules(ctx, group):
    """Make the group's rules the template's; returns (added, removed)."""
    wanted = _wanted(group["id"])
    have = {}
    removed = 0
    for rule in group.get("security_group_rules") or ():
        key = rule_key(rule, group["id"])
        if key in wanted and key not in have:
            have[key] = rule
            continue
        try:
            api.neutron.security_group_rule_delete(ctx, rule["id"])
            removed += 1
        except api.neutron.NotFound:
            continue
    added = 0
    for key, rule in wanted.items():
        if key in have:
            continue
        try:
            api.neutron.security_group_rule_create(ctx, group["id"], rule)
            added += 1
        except api.neutron.Conflict:
            continue  # made by a launch racing with this one
    return added, removed


# --- at launch -----------------------------------------------------------------------------

def _oldest(groups):
    return min(groups, key=lambda g: (g.get("created_at") or "", g["id"]), default=None)


def ensure_group(ctx, experiment_id, project_id=None):
    """The experiment's security group in the project, made on first use; its rules are
    set back to the template whenever it is used."""
    name = group_name(experiment_id)
    project_id = project_id or ctx.project_id
    found = _oldest(api.neutron.security_groups(ctx, name=name, project_id=project_id))
    if found is not None:
        _mark_used(ctx, found)
        added, removed = _sync_rules(ctx, found)
        if added or removed:
            audit.event(ctx, audit.NETWORK_GROUP_SYNC, found["id"], name,
                        project_id=project_id, added=added, removed=removed)
        return found
    with audit.outcome(ctx, audit.NETWORK_GROUP_CREATE, target_name=name,
                       project_id=project_id, experiment=experiment_id) as pending:
        created = api.neutron.security_group_create(
            ctx, name, GROUP_DESCRIPTION, project_id=project_id if ctx.operator else None)
        pending.target_id = created["id"]
        pending.details["added"], pending.details["removed"] = _sync_rules(ctx, created)
    # Two launches at once may both have made one: everyone uses the oldest.
    found = _oldest(api.neutron.security_groups(ctx, name=name, project_id=project_id))
    if found is not None and found["id"] != created["id"]:
        try:
            api.neutron.security_group_delete(ctx, created["id"])
        except Exception:
            LOG.info("security group %s: duplicate left to the reconciler", created["id"])
        return found
    return created


def last_change(group):
    """When neutron last changed the group (made, described, ...), or None."""
    times = []
    for key in ("updated_at", "created_at"):
        try:
            times.append(desktops.parse_expiry(group.get(key) or ""))
        except ValueError:
            continue
    return max(times, default=None)


def in_grace(group, now):
    changed = last_change(group)
    return changed is None or now - changed < GROUP_GRACE


def _mark_used(ctx, group, now=None):
    """A launch uses the group: move its ``updated_at`` (a new description), so the
    reconciler's sweep waits GROUP_GRACE again. Only once per half grace (one write)."""
    now = now or datetime.datetime.now(datetime.UTC)
    changed = last_change(group)
    if changed is not None and now - changed < GROUP_GRACE / 2:
        return
    try:
        api.neutron.security_group_describe(
            ctx, group["id"], f"{GROUP_DESCRIPTION}; last launch {now:%Y-%m-%dT%H:%M:%SZ}")
    except Exception as exc:  # the sweep's own checks still protect a group in use
        LOG.info("security group %s: not marked used (%s)", group["id"],
                 type(exc).__name__)


def desktop_groups(ctx, experiment_id=""):
    """The security groups (ids or names, as nova takes them) of a new desktop."""
    if experiment_id:
        return [ensure_group(ctx, experiment_id)["id"]]
    configured = conf.get("security_group")
    return [configured] if configured else None


def _values(value):
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value).strip()] if value and str(value).strip() else []


def check_request(ctx, networks=(), ports=()):
    """The desktop network, after refusing what a hand-made request asks for instead:
    another network (an external one above all) or an existing port."""
    desktop = api.neutron.desktop_network(ctx, conf.get("network"))
    for network in _values(networks):
        if network in (desktop.get("id"), desktop.get("name")):
            continue
        match = [net for net in api.neutron.networks(ctx)
                 if network in (net.get("id"), net.get("name"))]
        if any(net.get("router:external") for net in match):
            raise NetworkRefused(EXTERNAL_NETWORK)
        raise NetworkRefused(OTHER_NETWORK)
    for port_id in _values(ports):
        port = api.neutron.port_find(ctx, port_id)
        if port is None or port.get("project_id", port.get("tenant_id")) != ctx.project_id:
            raise NetworkRefused(OTHER_PORT)
        raise NetworkRefused(OWN_PORT)
    return desktop


def check_public_ip(profile, asked):
    if asked and not getattr(profile, "public_ip", False):
        raise NetworkRefused(PUBLIC_IP_NOT_ALLOWED)


def public_ip_description(server_id):
    return f"{names.FLOATING_IP_PREFIX}{server_id}"


def server_of_floating_ip(floating_ip):
    """The desktop a floating IP was allocated for (its description), or ""."""
    description = str(floating_ip.get("description") or "")
    if not description.startswith(names.FLOATING_IP_PREFIX):
        return ""
    return description[len(names.FLOATING_IP_PREFIX):]


def allocate_public_ip(ctx, server):
    """A floating IP from the external network for a new desktop; the reconciler points
    it at the desktop's port once nova has made it."""
    with audit.outcome(ctx, audit.PUBLIC_IP_ALLOCATE, server.id, server.name,
                       project_id=getattr(server, "tenant_id", None)) as pending:
        network = api.neutron.external_network(ctx, conf.get("floating_ip_network"))
        floating_ip = api.neutron.floating_ip_create(
            ctx, network["id"], public_ip_description(server.id),
            project_id=getattr(server, "tenant_id", None) if ctx.operator else None)
        pending.details["floating_ip"] = floating_ip.get("floating_ip_address")
        pending.details["floating_ip_id"] = floating_ip.get("id")
    return floating_ip


def release_public_ips(ctx, server_id, name="", project_id=None):
    """Release the floating IPs allocated for a desktop (after its delete); returns the
    number left (the reconciler releases them)."""
    try:
        found = api.neutron.floating_ips(ctx, description=public_ip_description(server_id))
    except Exception:
        LOG.warning("desktop %s: floating IPs not listed; left to the reconciler",
                    server_id, exc_info=True)
        return 1
    left = 0
    for floating_ip in found:
        if server_of_floating_ip(floating_ip) != server_id:
            continue
        try:
            release(ctx, floating_ip, server_id, name, project_id)
        except Exception:
            left += 1
    return left


def release(ctx, floating_ip, server_id, name="", project_id=None):
    with audit.outcome(ctx, audit.PUBLIC_IP_RELEASE, server_id, name,
                       project_id=project_id or floating_ip.get("project_id"),
                       floating_ip=floating_ip.get("floating_ip_address"),
                       floating_ip_id=floating_ip["id"]):
        try:
            api.neutron.floating_ip_delete(ctx, floating_ip["id"])
        except api.neutron.NotFound:
            pass


# --- what the detail page shows ------------------------------------------------------------

def rule_text(rule, group_names=None):
    """One rule in words, in the user's language: ``ingress IPv4 tcp port 22 from
    10.0.0.0/8``."""
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    what = [str(rule.get("protocol") or _("any protocol"))]
    if low not in (None, ""):
        what.append(_("port %(port)s") % {"port": low} if low == high
                    else _("ports %(low)s-%(high)s") % {"low": low, "high": high})
    remote = rule.get("remote_ip_prefix") or _("anywhere")
    if rule.get("remote_group_id"):
        remote = _("group %s") % (group_names or {}).get(rule["remote_group_id"],
                                                         rule["remote_group_id"])
    values = {"ethertype": rule.get("ethertype") or "IPv4", "what": " ".join(what),
              "remote": remote}
    if rule.get("direction") == "ingress":
        return _("ingress %(ethertype)s %(what)s from %(remote)s") % values
    return _("egress %(ethertype)s %(what)s to %(remote)s") % values


def effective(ctx, server_id):
    """The desktop's ports, the security groups on them with their rules, and its public
    addresses (reads only): ``{"ports", "groups", "public"}``."""
    ports = api.neutron.server_ports(ctx, server_id)
    group_ids = sorted({g for port in ports for g in port.get("security_groups") or ()})
    groups = api.neutron.security_groups(ctx, ids=group_ids)
    group_names = {g["id"]: g.get("name") or g["id"] for g in groups}
    public = {fip["id"]: fip for fip in api.neutron.floating_ips(
        ctx, description=public_ip_description(server_id))}
    for port in ports:
        public.update({fip["id"]: fip for fip in api.neutron.floating_ips(
            ctx, port_id=port["id"])})
    return {
        "ports": [{"id": port["id"], "network_id": port.get("network_id"),
                   "addresses": [ip.get("ip_address") for ip in port.get("fixed_ips") or ()]}
                  for port in ports],
        "groups": [{"id": g["id"], "name": g.get("name") or g["id"],
                    "experiment": is_experiment_group(g.get("name")),
                    "ingress": any(r.get("direction") == "ingress"
                                   for r in g.get("security_group_rules") or ()),
                    "rules": sorted(rule_text(r, group_names)
                                    for r in g.get("security_group_rules") or ())}
                   for g in sorted(groups, key=lambda g: g.get("name") or "")],
        "public": [{"address": fip.get("floating_ip_address"),
                    "pending": not fip.get("port_id"),
                    "ours": server_of_floating_ip(fip) == server_id}
                   for fip in public.values()],
    }
