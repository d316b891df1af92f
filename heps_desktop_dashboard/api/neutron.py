"""Networking: the desktop network, experiment security groups, public addresses.

Raw REST on the context's ``network`` endpoint (one adapter per context); errors raise
keystoneauth's HTTP exceptions (``NotFound``, ``Conflict`` below).
"""

from keystoneauth1.exceptions import http as ks_http

from heps_desktop_dashboard import exceptions

NoDesktopNetwork = exceptions.NoDesktopNetwork
NotFound = ks_http.NotFound
Conflict = ks_http.Conflict
# Fields of a security group rule the plugin writes (the settings template's keys).
RULE_FIELDS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max",
               "remote_ip_prefix", "remote_group_id", "description")


def _neutron(ctx):
    return ctx.cached("neutron", lambda: ctx.adapter("network"))


def _list(ctx, collection, params=None):
    response = _neutron(ctx).get(f"/v2.0/{collection}", params=params or {})
    return response.json().get(collection.replace("-", "_"), [])


def _post(ctx, collection, key, body):
    response = _neutron(ctx).post(f"/v2.0/{collection}", json={key: body})
    return response.json()[key]


def _networks(ctx):
    return _list(ctx, "networks")


def networks(ctx):
    """Every network the context can see (its own, shared and external ones)."""
    return _networks(ctx)


def desktop_network(ctx, configured=None):
    """The network (a dict) for a new desktop: the configured name/id, else the
    project's only one. External (public) networks are never chosen."""
    networks_ = [net for net in _networks(ctx) if not net.get("router:external")]
    if configured:
        for net in networks_:
            if configured in (net.get("id"), net.get("name")):
                return net
        raise NoDesktopNetwork(f"network {configured!r} is not available to this project")
    own = [net for net in networks_
           if (net.get("project_id") or net.get("tenant_id")) == ctx.project_id]
    if len(own) == 1:
        return own[0]
    raise NoDesktopNetwork("no single project network to attach desktops to")


def external_network(ctx, configured=None):
    """The external network public addresses come from: the configured one, else the
    only one the context sees."""
    external = [net for net in _networks(ctx) if net.get("router:external")]
    if configured:
        external = [net for net in external if configured in (net.get("id"),
                                                               net.get("name"))]
    if len(external) == 1:
        return external[0]
    raise NoDesktopNetwork("no single external network for public addresses")


# --- ports ---------------------------------------------------------------------------------

def port_find(ctx, port_id):
    """A port by id, or None when neutron does not show it to this context."""
    try:
        return _neutron(ctx).get(f"/v2.0/ports/{port_id}").json()["port"]
    except NotFound:
        return None


def server_ports(ctx, server_id, network_id=None):
    params = {"device_id": server_id}
    if network_id:
        params["network_id"] = network_id
    return _list(ctx, "ports", params)


# --- security groups -----------------------------------------------------------------------

def security_groups(ctx, name=None, project_id=None, ids=None):
    """Security groups (with their ``security_group_rules``) by name and/or project, or
    by ids; an operator context sees every project's."""
    params = {}
    if name:
        params["name"] = name
    if project_id:
        params["project_id"] = project_id
    if ids is not None:
        if not ids:
            return []
        params["id"] = list(ids)
    return _list(ctx, "security-groups", params)


def security_group_create(ctx, name, description, project_id=None):
    body = {"name": name, "description": description}
    if project_id:
        body["project_id"] = project_id
    return _post(ctx, "security-groups", "security_group", body)


def security_group_get(ctx, group_id):
    """One security group, or None when it is gone."""
    found = _list(ctx, "security-groups", {"id": group_id})
    return found[0] if found else None


def security_group_describe(ctx, group_id, description):
    """Set a group's description (neutron moves its ``updated_at`` with it)."""
    _neutron(ctx).put(f"/v2.0/security-groups/{group_id}",
                      json={"security_group": {"description": description}})


def security_group_delete(ctx, group_id):
    _neutron(ctx).delete(f"/v2.0/security-groups/{group_id}")


def security_group_rule_create(ctx, group_id, rule):
    body = {key: value for key, value in rule.items()
            if key in RULE_FIELDS and value not in (None, "")}
    body["security_group_id"] = group_id
    return _post(ctx, "security-group-rules", "security_group_rule", body)


def security_group_rule_delete(ctx, rule_id):
    _neutron(ctx).delete(f"/v2.0/security-group-rules/{rule_id}")


def ports_with_group(ctx, group_id):
    """Ids of the ports that use a security group (one call)."""
    return [port["id"] for port in _list(ctx, "ports", {"security_groups": group_id,
                                                       "fields": "id"})]


# --- floating IPs --------------------------------------------------------------------------

def floating_ips(ctx, description=None, port_id=None, project_id=None):
    params = {}
    if description:
        params["description"] = description
    if port_id:
        params["port_id"] = port_id
    if project_id:
        params["project_id"] = project_id
    return _list(ctx, "floatingips", params)


def floating_ip_create(ctx, network_id, description, project_id=None, port_id=None):
    body = {"floating_network_id": network_id, "description": description}
    if project_id:
        body["project_id"] = project_id
    if port_id:
        body["port_id"] = port_id
    return _post(ctx, "floatingips", "floatingip", body)


def floating_ip_associate(ctx, floating_ip_id, port_id):
    """Point a floating IP at a port (``None``: disassociate)."""
    response = _neutron(ctx).put(f"/v2.0/floatingips/{floating_ip_id}",
                                 json={"floatingip": {"port_id": port_id}})
    return response.json()["floatingip"]


def floating_ip_delete(ctx, floating_ip_id):
    _neutron(ctx).delete(f"/v2.0/floatingips/{floating_ip_id}")
