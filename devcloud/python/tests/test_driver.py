import os
import socket

import pytest
from devcloud_helpers import needs_xvnc

pytest.importorskip('nova')


@pytest.fixture
def make_driver(nova_conf):
    from heps_devcloud import virt

    made = []

    def make():
        driver = virt.HepsFakeDriver(virtapi=None)
        driver.init_host('heps-gpu-01')
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.displays.stop_all()


def make_instance(vm_state='active', specs=None, id=1, name='alice-desktop'):
    from nova import objects
    from oslo_utils import uuidutils

    return objects.Instance(
        uuid=uuidutils.generate_uuid(), id=id, display_name=name,
        hostname=name, vm_state=vm_state, host='heps-gpu-01',
        node='heps-gpu-01', launched_at=None,
        flavor=objects.Flavor(vcpus=2, memory_mb=4096, root_gb=10,
                              extra_specs=specs or {}))


def spawn(driver, instance, power_on=True):
    driver.spawn(None, instance, None, [], None, {}, power_on=power_on)


# -- placement inventory ------------------------------------------------------

def test_provider_tree_has_whole_gpus_and_vgpu_child(make_driver):
    import os_traits
    from nova.compute import provider_tree

    driver = make_driver()
    tree = provider_tree.ProviderTree()
    tree.new_root('heps-gpu-01', 'c5a1d7a2-0000-4000-8000-000000000001')
    driver.update_provider_tree(tree, 'heps-gpu-01')

    root = tree.data('heps-gpu-01')
    assert {'VCPU', 'MEMORY_MB', 'DISK_GB'} <= set(root.inventory)
    assert root.inventory['CUSTOM_HEPS_GPU_A100']['total'] == 2
    assert root.inventory['CUSTOM_HEPS_GPU_A100']['max_unit'] == 2

    child = tree.data('heps-gpu-01_pgpu0')
    assert child.parent_uuid == root.uuid
    assert child.inventory == {'VGPU': {
        'total': 4, 'reserved': 0, 'min_unit': 1, 'max_unit': 4,
        'step_size': 1, 'allocation_ratio': 1.0}}
    assert 'CUSTOM_HEPS_GPU_A16' in child.traits
    assert os_traits.OWNER_NOVA in child.traits

    # a second report (periodic update) keeps one child and same inventory
    driver.update_provider_tree(tree, 'heps-gpu-01')
    assert len(tree.get_provider_uuids()) == 2


def test_gpu_counts_are_configurable(make_driver, nova_conf):
    from nova.compute import provider_tree

    nova_conf.set_override('whole_gpus', 0, group='heps_fake')
    nova_conf.set_override('vgpus', 8, group='heps_fake')
    try:
        tree = provider_tree.ProviderTree()
        tree.new_root('heps-gpu-01', 'c5a1d7a2-0000-4000-8000-000000000002')
        make_driver().update_provider_tree(tree, 'heps-gpu-01')
        assert 'CUSTOM_HEPS_GPU_A100' not in tree.data('heps-gpu-01').inventory
        assert tree.data('heps-gpu-01_pgpu0').inventory['VGPU']['total'] == 8
    finally:
        nova_conf.clear_override('whole_gpus', group='heps_fake')
        nova_conf.clear_override('vgpus', group='heps_fake')


def test_share_traits_come_from_capabilities(make_driver):
    traits = make_driver().capabilities_as_traits()
    assert traits['COMPUTE_STORAGE_VIRTIO_FS'] is True
    assert traits['COMPUTE_MEM_BACKING_FILE'] is True


def test_node_uuid_is_stable_across_restarts(make_driver, nova_conf):
    import nova.virt.node

    first = make_driver().get_available_resource('heps-gpu-01')['uuid']
    with open(os.path.join(nova_conf.state_path, 'compute_id')) as f:
        assert f.read().strip() == first
    nova.virt.node.LOCAL_NODE_UUID = None          # a new process
    driver = make_driver()
    assert driver.get_available_resource('heps-gpu-01')['uuid'] == first
    assert driver.get_nodenames_by_uuid() == {first: 'heps-gpu-01'}


def test_existing_compute_node_is_adopted_without_compute_id(
        make_driver, nova_conf, monkeypatch):
    from nova import objects

    node = objects.ComputeNode(uuid='0d9f4a63-1c2b-4e0e-9d4c-6c1a2b3c4d5e',
                               hypervisor_hostname='heps-gpu-01')
    monkeypatch.setattr(objects.ComputeNodeList, 'get_all_by_host',
                        classmethod(lambda cls, ctxt, host: [node]))
    driver = make_driver()
    assert driver.get_available_resource('heps-gpu-01')['uuid'] == node.uuid


# -- restart / re-adoption -------------------------------------------------------

def test_instances_survive_restart(make_driver):
    from nova.compute import power_state

    driver = make_driver()
    running, stopped = make_instance(id=1), make_instance(id=2)
    spawn(driver, running)
    spawn(driver, stopped)
    driver.power_off(stopped)

    restarted = make_driver()
    # nova's "new host" sanity check must not see anything before startup
    assert restarted.list_instance_uuids() == []
    restarted.process_instances_at_startup(None, [running, stopped])
    assert set(restarted.list_instance_uuids()) == {running.uuid, stopped.uuid}
    assert restarted.get_info(running).state == power_state.RUNNING
    assert restarted.get_info(stopped).state == power_state.SHUTDOWN
    restarted.power_on(None, stopped, None)
    assert restarted.get_info(stopped).state == power_state.RUNNING
    restarted.power_off(running)
    restarted.reboot(None, running, None, 'SOFT')
    assert restarted.get_info(running).state == power_state.RUNNING


def test_unknown_instance_adopted_on_demand(make_driver):
    from nova.compute import power_state

    driver = make_driver()
    instance = make_instance()
    spawn(driver, instance)
    driver.power_off(instance)

    later = make_driver()          # no startup processing: lazy adoption
    assert later.get_info(instance).state == power_state.SHUTDOWN
    later.store.delete(instance.uuid)
    nothing_on_disk = make_driver()
    instance.vm_state = 'stopped'
    nothing_on_disk.power_on(None, instance, None)
    assert nothing_on_disk.get_info(instance).state == power_state.RUNNING
    nothing_on_disk.destroy(None, instance, None)
    assert nothing_on_disk.store.load(instance.uuid) is None


def test_building_instance_is_not_invented(make_driver):
    from nova import exception

    with pytest.raises(exception.InstanceNotFound):
        make_driver().get_info(make_instance(vm_state='building'))


def test_stale_records_dropped_at_startup(make_driver):
    driver = make_driver()
    gone, kept = make_instance(id=1), make_instance(id=2)
    spawn(driver, gone)
    spawn(driver, kept)
    restarted = make_driver()
    restarted.process_instances_at_startup(None, [kept])
    assert restarted.list_instance_uuids() == [kept.uuid]
    assert restarted.store.load(gone.uuid) is None


def test_pause_suspend_states(make_driver):
    from nova.compute import power_state

    driver = make_driver()
    instance = make_instance()
    spawn(driver, instance)
    driver.pause(instance)
    assert driver.get_info(instance).state == power_state.PAUSED
    driver.unpause(instance)
    driver.suspend(None, instance)
    assert driver.get_info(instance).state == power_state.SUSPENDED
    driver.resume(None, instance, None)
    assert driver.get_info(instance).state == power_state.RUNNING


def test_console_output_names_the_instance(make_driver):
    driver = make_driver()
    instance = make_instance(name='crystal-01', specs={'resources:VGPU': '1'})
    spawn(driver, instance)
    out = driver.get_console_output(None, instance)
    assert 'crystal-01 login:' in out and 'VGPU' in out


# -- consoles ---------------------------------------------------------------

def test_console_of_stopped_instance_not_ready(make_driver):
    from nova import exception

    driver = make_driver()
    instance = make_instance()
    spawn(driver, instance, power_on=False)
    with pytest.raises(exception.InstanceNotReady):
        driver.get_vnc_console(None, instance)
    with pytest.raises(exception.InstanceNotReady):
        driver.get_spice_console(None, instance)


@needs_xvnc
def test_vnc_console_is_real_and_stops_with_the_server(make_driver):
    driver = make_driver()
    instance = make_instance()
    spawn(driver, instance)
    assert driver.displays.running == {}          # lazy: nothing at spawn
    console = driver.get_vnc_console(None, instance)
    assert console.host == '127.0.0.1'
    with socket.create_connection(('127.0.0.1', console.port), timeout=5) as s:
        s.settimeout(5)
        assert s.recv(12) == b'RFB 003.008\n'
    pidfile = os.path.join(driver.state_dir, 'displays',
                           '%s-vnc.pid' % instance.uuid)
    assert os.path.exists(pidfile)
    # same display for the proxy's validate_console_port call
    assert driver.get_vnc_console(None, instance).port == console.port

    driver.power_off(instance)
    assert not os.path.exists(pidfile)
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', console.port), timeout=1)
