"""Networking: the network desktops are attached to (never a public address)."""

from heps_desktop_dashboard import exceptions

NoDesktopNetwork = exceptions.NoDesktopNetwork


def _networks(ctx):
    neutron = ctx.cached("neutron", lambda: ctx.adapter("network"))
    return neutron.get("/v2.0/networks").json().get("networks", [])


def desktop_network(ctx, configured=None):
    """The network (a dict) for a new desktop: the configured name/id, else the
    project's only one. External (public) networks are never chosen."""
    networks = [net for net in _networks(ctx) if not net.get("router:external")]
    if configured:
        for net in networks:
            if configured in (net.get("id"), net.get("name")):
                return net
        raise NoDesktopNetwork(f"network {configured!r} is not available to this project")
    own = [net for net in networks
           if (net.get("project_id") or net.get("tenant_id")) == ctx.project_id]
    if len(own) == 1:
        return own[0]
    raise NoDesktopNetwork("no single project network to attach desktops to")
