"""Cinder volumes on the fake compute driver (HepsFakeDriver).

nova hands the driver cinder's connection_info. The dev cloud's volume driver
(cinder_driver.py) answers with ``local`` connections whose ``device_path``
is the volume's sparse file on this machine; the fake hypervisor checks that
the file is there (a volume that cannot be reached fails the attach as on a
real host) and records what is attached where, so a restarted nova-compute
still knows.
"""

import os

from nova import exception
from nova.virt import driver as virt_driver


def device_path(connection_info):
    """The file of a ``local`` connection, else None."""
    info = connection_info or {}
    if info.get('driver_volume_type') != 'local':
        return None
    return (info.get('data') or {}).get('device_path')


def check_device(connection_info):
    """Refuse a local connection whose file does not exist."""
    path = device_path(connection_info)
    if path is not None and not os.path.exists(path):
        raise exception.DiskNotFound(location=path)


def summary(connection_info):
    """What the instance record keeps of an attachment (JSON-able)."""
    info = connection_info or {}
    if 'data' not in info and 'device_path' in info:
        return dict(info)               # re-adopted from a record already
    data = info.get('data') or {}
    return {'volume_id': data.get('volume_id') or info.get('serial'),
            'driver_volume_type': info.get('driver_volume_type'),
            'device_path': device_path(info)}


def mounts_of(block_device_info):
    """{mount device: connection_info} of the volumes in block_device_info
    (spawn, finish_migration: the root volume of a volume-backed server is
    one of them)."""
    mounts = {}
    for bdm in virt_driver.block_device_info_get_mapping(block_device_info):
        info = bdm.get('connection_info')
        if info:
            check_device(info)
            mounts[bdm.get('mount_device')] = info
    return mounts
