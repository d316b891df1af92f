import os

import pytest
from devcloud_helpers import free_display_base
from devcloud_helpers import free_port_block


@pytest.fixture
def nova_conf(tmp_path):
    """nova's global CONF with a per-test [heps_fake] state_dir."""
    nova_conf = pytest.importorskip('nova.conf')
    import nova.virt.node
    from heps_devcloud import conf as heps_conf
    from nova import objects

    objects.register_all()
    conf = nova_conf.CONF
    if not hasattr(conf, 'heps_fake'):
        heps_conf.register(conf)
    conf([], project='nova', default_config_files=[])
    state = tmp_path / 'state'
    overrides = {
        ('host', None): 'heps-gpu-01',
        ('state_path', None): str(tmp_path / 'nova'),
        ('state_dir', 'heps_fake'): str(state),
        ('vnc_port_base', 'heps_fake'): free_port_block(8),
        ('spice_port_base', 'heps_fake'): free_port_block(8) + 200,
        ('display_base', 'heps_fake'): free_display_base(8),
        ('display_slots', 'heps_fake'): 8,
        ('max_displays', 'heps_fake'): 2,
    }
    os.makedirs(tmp_path / 'nova')
    for (name, group), value in overrides.items():
        conf.set_override(name, value, group=group)
    nova.virt.node.LOCAL_NODE_UUID = None
    yield conf
    for name, group in overrides:
        conf.clear_override(name, group=group)
    nova.virt.node.LOCAL_NODE_UUID = None
