"""ML2 mechanism driver that binds ports without any dataplane.

Registered as entry point ``heps_fake`` in ``neutron.ml2.mechanism_drivers``.
Normal (vnic_type ``normal``) ports on any host are bound to the first
segment as an OVS port and set ACTIVE, so servers of the fake compute
driver get real neutron ports, fixed IPs and security groups.
"""

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class HepsFakeMechanismDriver(api.MechanismDriver):
    VIF_DETAILS = {
        portbindings.CAP_PORT_FILTER: True,
        portbindings.OVS_HYBRID_PLUG: False,
        portbindings.VIF_DETAILS_CONNECTIVITY: portbindings.CONNECTIVITY_L2,
    }

    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        vnic_type = context.current.get(portbindings.VNIC_TYPE,
                                        portbindings.VNIC_NORMAL)
        if vnic_type != portbindings.VNIC_NORMAL:
            return
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OVS,
                                dict(self.VIF_DETAILS),
                                status=constants.PORT_STATUS_ACTIVE)
            return
