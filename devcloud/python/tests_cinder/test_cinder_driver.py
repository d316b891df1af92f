"""HepsFileVolumeDriver: cinder volumes as sparse files with local connections."""

import os
from types import SimpleNamespace

import pytest

GiB = 1024 ** 3


def vol(name, size=1, id=None):
    return SimpleNamespace(name=name, size=size, id=id or name)


def write(path, offset, data):
    with open(path, 'r+b') as f:
        f.seek(offset)
        f.write(data)


def read(path, offset, size):
    with open(path, 'rb') as f:
        f.seek(offset)
        return f.read(size)


def test_a_volume_is_a_sparse_file_of_its_size(volume_driver):
    v = vol('volume-a', size=40)
    volume_driver.create_volume(v)
    st = os.stat(volume_driver.local_path(v))
    assert st.st_size == 40 * GiB
    assert st.st_blocks * 512 < 1024 ** 2       # holes cost nothing
    volume_driver.delete_volume(v)
    assert not os.path.exists(volume_driver.local_path(v))
    volume_driver.delete_volume(v)              # twice is harmless


def test_local_connection_is_the_file_for_os_brick(volume_driver):
    from os_brick.initiator.connectors import local

    v = vol('volume-b')
    volume_driver.create_volume(v)
    conn = volume_driver.initialize_connection(v, {'host': 'x'})
    assert conn == {'driver_volume_type': 'local', 'data': {
        'device_path': volume_driver.local_path(v), 'volume_id': 'volume-b'}}
    device = local.LocalConnector(None).connect_volume(conn['data'])
    assert device['path'] == volume_driver.local_path(v)


def test_connection_to_a_missing_file_is_refused(volume_driver):
    from cinder import exception

    with pytest.raises(exception.VolumeNotFound):
        volume_driver.initialize_connection(vol('volume-gone'), {})


def test_clone_snapshot_and_revert_keep_data_and_holes(volume_driver):
    src = vol('volume-src', size=2)
    volume_driver.create_volume(src)
    path = volume_driver.local_path(src)
    write(path, 0, b'boot')
    write(path, GiB + 5, b'home')

    clone = vol('volume-clone', size=3)
    volume_driver.create_cloned_volume(clone, src)
    cpath = volume_driver.local_path(clone)
    assert os.stat(cpath).st_size == 3 * GiB
    assert read(cpath, 0, 4) == b'boot' and read(cpath, GiB + 5, 4) == b'home'
    assert os.stat(cpath).st_blocks * 512 < 1024 ** 2

    snap = SimpleNamespace(name='snapshot-1', id='s1', volume=src)
    volume_driver.create_snapshot(snap)
    write(path, 0, b'XXXX')
    from_snap = vol('volume-from-snap', size=2)
    volume_driver.create_volume_from_snapshot(from_snap, snap)
    assert read(volume_driver.local_path(from_snap), 0, 4) == b'boot'
    volume_driver.revert_to_snapshot(None, src, snap)
    assert read(path, 0, 4) == b'boot'
    volume_driver.delete_snapshot(snap)
    volume_driver.delete_snapshot(snap)


def test_extend(volume_driver):
    v = vol('volume-ext', size=1)
    volume_driver.create_volume(v)
    volume_driver.extend_volume(v, 5)
    assert os.stat(volume_driver.local_path(v)).st_size == 5 * GiB


class FakeImages:
    def __init__(self, data):
        self.data = data
        self.uploaded = None

    def download(self, context, image_id, data=None):
        data.write(self.data)

    def update(self, context, image_id, meta, data):
        self.uploaded = data.read(16)


def test_volume_from_image_holds_the_image_bytes(volume_driver):
    v = vol('volume-img', size=1)
    images = FakeImages(b'golden image' + bytes(100))
    update, cloned = volume_driver.clone_image(
        None, v, None, {'id': 'img-1', 'disk_format': 'raw'}, images)
    assert cloned
    path = volume_driver.local_path(v)
    assert update == {'provider_location': path}
    assert os.stat(path).st_size == GiB
    assert read(path, 0, 12) == b'golden image'

    volume_driver.copy_volume_to_image(None, v, images,
                                       {'id': 'img-2', 'disk_format': 'raw'})
    assert images.uploaded == b'golden image' + bytes(4)


def test_image_larger_than_the_volume_is_refused(volume_driver):
    from cinder import exception

    class Huge(FakeImages):
        def download(self, context, image_id, data=None):
            data.seek(GiB)
            data.write(b'x')

    with pytest.raises(exception.ImageTooBig):
        volume_driver.clone_image(None, vol('volume-big', size=1), None,
                                  {'id': 'img-3'}, Huge(b''))


def test_stats_report_a_thin_pool(volume_driver):
    volume_driver.create_volume(vol('volume-s1', size=10))
    stats = volume_driver.get_volume_stats(refresh=True)
    assert stats['volume_backend_name'] == 'heps'
    assert stats['storage_protocol'] == 'local'
    pool = stats['pools'][0]
    assert pool['pool_name'] == 'heps'
    assert pool['thin_provisioning_support'] is True
    assert pool['provisioned_capacity_gb'] == 10
    assert pool['total_capacity_gb'] == pool['free_capacity_gb'] == 2000
