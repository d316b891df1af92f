import pytest

pytest.importorskip('neutron_lib')

from heps_devcloud.ml2 import HepsFakeMechanismDriver  # noqa: E402


class FakePortContext:
    def __init__(self, vnic_type='normal'):
        self.current = {'id': 'p1', 'binding:vnic_type': vnic_type}
        self.segments_to_bind = [{'id': 'seg-1', 'network_type': 'vxlan'},
                                 {'id': 'seg-2', 'network_type': 'flat'}]
        self.bound = []

    def set_binding(self, segment_id, vif_type, vif_details, status=None):
        self.bound.append((segment_id, vif_type, vif_details, status))


def test_binds_normal_ports_to_first_segment_active():
    ctx = FakePortContext()
    HepsFakeMechanismDriver().bind_port(ctx)
    assert len(ctx.bound) == 1
    segment, vif_type, details, status = ctx.bound[0]
    assert (segment, vif_type, status) == ('seg-1', 'ovs', 'ACTIVE')
    assert details['port_filter'] is True


def test_leaves_other_vnic_types_alone():
    ctx = FakePortContext('direct')
    HepsFakeMechanismDriver().bind_port(ctx)
    assert ctx.bound == []


def test_registered_as_entry_point():
    from importlib.metadata import entry_points
    eps = entry_points(group='neutron.ml2.mechanism_drivers')
    ep = [e for e in eps if e.name == 'heps_fake']
    assert ep and ep[0].load() is HepsFakeMechanismDriver
