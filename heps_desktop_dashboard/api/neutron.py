"""Networking: the network desktops are attached to (never a public address)."""

from openstack_dashboard.api import neutron as horizon_neutron

from heps_desktop_dashboard import exceptions

NoDesktopNetwork = exceptions.NoDesktopNetwork


def desktop_network(request, configured=None):
    """The network for a new desktop: the configured name/id, else the project's only one.

    External (public) networks are never chosen: desktops get no public address.
    """
    networks = [
        net for net in horizon_neutron.network_list_for_tenant(request, request.user.tenant_id)
        if not getattr(net, "router:external", False)
    ]
    if configured:
        for net in networks:
            if configured in (net.id, net.name):
                return net
        raise NoDesktopNetwork(f"network {configured!r} is not available to this project")
    own = [net for net in networks if net.tenant_id == request.user.tenant_id]
    if len(own) == 1:
        return own[0]
    raise NoDesktopNetwork("no single project network to attach desktops to")
