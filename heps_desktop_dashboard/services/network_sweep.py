"""The reconciler's network steps (operator context): point a desktop's requested public
address at its port, release public addresses of deleted desktops (and of desktops whose
profile does not allow one), and delete ``heps-exp-*`` security groups no desktop uses.

``steps()`` only reads; every step it yields is one idempotent write.
"""

import dataclasses
import datetime
import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import network_policy

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Step:
    what: str          # associate, release, disassociate, delete-group
    target: object     # the desktop (a nova server), or a label
    project_id: str
    why: str
    call: object
    args: tuple = ()


def public_ip_allowed(server):
    """From the flavor nova embeds in the server (2.47+): users cannot edit it."""
    flavor = getattr(server, "flavor", None) or {}
    return profiles.public_ip_allowed(flavor.get("extra_specs") if isinstance(flavor, dict)
                                      else None)


def _is_desktop(ctx, server_id):
    """Whether a desktop the scan did not list exists after all (launched meanwhile)."""
    server = api.nova.server_find(ctx, server_id)
    return server is not None and desktops.is_desktop(getattr(server, "tags", None))


def steps(ctx, desktops_by_id, now):
    yield from floating_ip_steps(ctx, desktops_by_id)
    yield from group_steps(ctx, desktops_by_id, now)


def floating_ip_steps(ctx, desktops_by_id):
    for fip in api.neutron.floating_ips(ctx):
        server_id = network_policy.server_of_floating_ip(fip)
        attached_to = (fip.get("port_details") or {}).get("device_id") or ""
        server = desktops_by_id.get(server_id or attached_to)
        address = fip.get("floating_ip_address")
        if server_id and server is None:
            if not _is_desktop(ctx, server_id):
                yield Step("release", server_id, fip.get("project_id"),
                           f"public address {address}: desktop gone",
                           network_policy.release, (ctx, fip, server_id))
        elif server is not None and not public_ip_allowed(server):
            if server_id:
                yield Step("release", server, server.tenant_id,
                           f"public address {address}: profile does not allow one",
                           network_policy.release, (ctx, fip, server.id, server.name))
            elif fip.get("port_id"):
                yield Step("disassociate", server, server.tenant_id,
                           f"public address {address}: profile does not allow one",
                           disassociate, (ctx, fip, server))
        elif server is not None and server_id and not fip.get("port_id"):
            port = _desktop_port(ctx, server)
            if port is not None:
                yield Step("associate", server, server.tenant_id,
                           f"public address {address} -> {port['id']}",
                           associate, (ctx, fip, server, port))


def _desktop_port(ctx, server):
    ports = [p for p in api.neutron.server_ports(ctx, server.id) if p.get("fixed_ips")]
    return min(ports, key=lambda p: p.get("created_at") or "", default=None)


def associate(ctx, fip, server, port):
    with audit.outcome(ctx, audit.PUBLIC_IP_ASSOCIATE, server.id, server.name,
                       project_id=server.tenant_id, port_id=port["id"],
                       floating_ip=fip.get("floating_ip_address")):
        api.neutron.floating_ip_associate(ctx, fip["id"], port["id"])


def disassociate(ctx, fip, server):
    with audit.outcome(ctx, audit.PUBLIC_IP_DISASSOCIATE, server.id, server.name,
                       project_id=server.tenant_id,
                       floating_ip=fip.get("floating_ip_address")):
        api.neutron.floating_ip_associate(ctx, fip["id"], None)


def group_steps(ctx, desktops_by_id, now):
    used = {(server.tenant_id, group.get("name"))
            for server in desktops_by_id.values()
            for group in getattr(server, "security_groups", None) or ()
            if isinstance(group, dict)}
    for group in api.neutron.security_groups(ctx):
        name = group.get("name") or ""
        if not network_policy.is_experiment_group(name):
            continue
        if (group.get("project_id"), name) in used or group["id"] in {g for _p, g in used}:
            continue
        if network_policy.in_grace(group, now):
            continue
        if api.neutron.ports_with_group(ctx, group["id"]):
            continue
        yield Step("delete-group", name, group.get("project_id"),
                   f"security group {name} ({group['id']}): no desktop uses it",
                   delete_group, (ctx, group, now))


def delete_group(ctx, group, now=None):
    """Delete an unused group, looking again first: a launch may have used it since the
    scan (it marks the group), and its desktop's port may exist by now."""
    now = now or datetime.datetime.now(datetime.UTC)
    current = api.neutron.security_group_get(ctx, group["id"])
    if current is None or network_policy.in_grace(current, now) \
            or api.neutron.ports_with_group(ctx, group["id"]):
        LOG.info("security group %s: in use again, kept", group["id"])
        return
    with audit.outcome(ctx, audit.NETWORK_GROUP_DELETE, group["id"], group.get("name"),
                       project_id=group.get("project_id")):
        try:
            api.neutron.security_group_delete(ctx, group["id"])
        except api.neutron.NotFound:
            pass
