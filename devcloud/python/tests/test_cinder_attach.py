"""Cinder volumes on HepsFakeDriver (heps_devcloud.cinder_attach + virt)."""

import pytest
from test_driver import make_instance
from test_driver import spawn

pytest.importorskip('nova')


@pytest.fixture
def make_driver(nova_conf):
    """HepsFakeDriver instances of one host (a second one = a restarted compute)."""
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


def local(path, volume_id='vol-1'):
    return {'driver_volume_type': 'local', 'serial': volume_id,
            'data': {'device_path': str(path), 'volume_id': volume_id}}


@pytest.fixture
def volume_file(tmp_path):
    path = tmp_path / 'volume-1.img'
    with open(path, 'wb') as f:
        f.truncate(1024 ** 3)
    return path


def test_attach_records_the_volume_and_survives_a_restart(make_driver,
                                                         volume_file):
    driver = make_driver()
    instance = make_instance()
    spawn(driver, instance)
    driver.attach_volume(None, local(volume_file), instance, '/dev/vdb')

    record = driver.store.load(instance.uuid)
    assert record['volumes'] == {'/dev/vdb': {
        'volume_id': 'vol-1', 'driver_volume_type': 'local',
        'device_path': str(volume_file)}}

    restarted = make_driver()           # a new nova-compute process
    restarted.get_info(instance)        # re-adopts the instance
    assert set(restarted._mounts[instance.name]) == {'/dev/vdb'}
    restarted.power_off(instance)       # saving again keeps the volume
    assert restarted.store.load(instance.uuid)['volumes'][
        '/dev/vdb']['volume_id'] == 'vol-1'
    restarted.detach_volume(None, local(volume_file), instance, '/dev/vdb')
    assert restarted.store.load(instance.uuid)['volumes'] == {}


def test_attach_of_a_missing_volume_file_fails(make_driver, tmp_path):
    from nova import exception

    driver = make_driver()
    instance = make_instance()
    spawn(driver, instance)
    with pytest.raises(exception.DiskNotFound):
        driver.attach_volume(None, local(tmp_path / 'gone.img'), instance,
                             '/dev/vdb')
    assert driver.store.load(instance.uuid)['volumes'] == {}


def test_other_connection_types_are_not_checked(make_driver):
    driver = make_driver()
    instance = make_instance()
    spawn(driver, instance)
    info = {'driver_volume_type': 'iscsi', 'serial': 'vol-9', 'data': {}}
    driver.attach_volume(None, info, instance, '/dev/vdc')
    assert driver.store.load(instance.uuid)['volumes']['/dev/vdc'][
        'volume_id'] == 'vol-9'


def _bdi(path):
    return {'block_device_mapping': [{
        'connection_info': local(path, 'root-vol'), 'mount_device': '/dev/vda',
        'boot_index': 0}]}


def test_boot_from_volume_records_the_root_volume(make_driver, volume_file):
    driver = make_driver()
    instance = make_instance()
    driver.spawn(None, instance, None, [], None, {},
                 block_device_info=_bdi(volume_file))
    assert driver.store.load(instance.uuid)['volumes']['/dev/vda'][
        'device_path'] == str(volume_file)
    driver.destroy(None, instance, None)
    assert driver.store.load(instance.uuid) is None


def test_boot_from_a_missing_volume_fails(make_driver, tmp_path):
    from nova import exception

    driver = make_driver()
    instance = make_instance()
    with pytest.raises(exception.DiskNotFound):
        driver.spawn(None, instance, None, [], None, {},
                     block_device_info=_bdi(tmp_path / 'gone.img'))
    assert instance.uuid not in driver.instances
