"""HepsFileVolumeDriver: cinder volumes as sparse files, for the dev cloud.

Each volume is one sparse file ``<heps_volumes_dir>/<volume name>.img`` of the
volume's size (holes cost nothing on disk); snapshots are sparse copies under
``snapshots/``. ``initialize_connection`` returns a ``local`` connection
(os-brick's LocalConnector: ``device_path`` is the file), so cinder-backup,
nova's fake driver and cinder's own generic copy paths reach the data without
iSCSI, block devices or root. Nothing runs as root and no external command is
needed: image data is copied as-is (no qemu-img conversion; the dev cloud's
images are raw).

Configured per backend section::

    volume_driver = heps_devcloud.cinder_driver.HepsFileVolumeDriver
    heps_volumes_dir = <state>/cinder/volumes
    heps_capacity_gb = 2000
"""

import errno
import os

from cinder import exception
from cinder import interface
from cinder.volume import configuration
from cinder.volume import driver
from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)
GiB = 1024 ** 3
COPY_BLOCK = 4 * 1024 * 1024

OPTS = [
    cfg.StrOpt('heps_volumes_dir',
               help='Directory of the volume files (created if missing). '
                    'Required.'),
    cfg.IntOpt('heps_capacity_gb', default=2000, min=1,
               help='Capacity the backend reports (thin: volumes are sparse '
                    'files, only written data uses disk).'),
]
cfg.CONF.register_opts(OPTS, group=configuration.SHARED_CONF_GROUP)


def sparse_copy(src, dst, size=None):
    """Copy file src to dst keeping holes (SEEK_DATA/SEEK_HOLE); dst ends up
    ``size`` bytes long (default: the size of src)."""
    with open(src, 'rb') as fin, open(dst, 'wb') as fout:
        fd = fin.fileno()
        end = os.fstat(fd).st_size
        offset = 0
        while offset < end:
            try:
                data = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError as e:
                if e.errno == errno.ENXIO:      # only a hole is left
                    break
                raise
            hole = os.lseek(fd, data, os.SEEK_HOLE)
            fin.seek(data)
            fout.seek(data)
            left = hole - data
            while left > 0:
                buf = fin.read(min(COPY_BLOCK, left))
                if not buf:
                    break
                fout.write(buf)
                left -= len(buf)
            offset = hole
        fout.truncate(end if size is None else size)


def allocated_bytes(path):
    """Bytes of disk a (sparse) file really uses."""
    try:
        return os.stat(path).st_blocks * 512
    except FileNotFoundError:
        return 0


@interface.volumedriver
class HepsFileVolumeDriver(driver.VolumeDriver):
    """Volumes are sparse files; connections are ``local`` (the file)."""

    VERSION = '1.0.0'
    CI_WIKI_NAME = 'HEPS_devcloud'  # not a real CI: dev cloud only
    SUPPORTED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.configuration.append_config_values(OPTS)
        self.backend_name = (
            self.configuration.safe_get('volume_backend_name') or 'heps')
        self.protocol = 'local'

    @staticmethod
    def get_driver_options():
        return OPTS

    # -- setup ----------------------------------------------------------
    @property
    def _dir(self):
        return self.configuration.heps_volumes_dir

    def do_setup(self, context):
        if not self._dir:
            raise exception.InvalidConfigurationValue(
                option='heps_volumes_dir', value=None)
        os.makedirs(os.path.join(self._dir, 'snapshots'), exist_ok=True)

    def check_for_setup_error(self):
        if not os.access(self._dir, os.W_OK):
            raise exception.VolumeBackendAPIException(
                data='%s is not writable' % self._dir)

    # -- paths ----------------------------------------------------------
    def local_path(self, volume):
        return os.path.join(self._dir, '%s.img' % volume.name)

    def _snapshot_path(self, snapshot):
        return os.path.join(self._dir, 'snapshots', '%s.img' % snapshot.name)

    def _existing(self, volume):
        path = self.local_path(volume)
        if not os.path.exists(path):
            raise exception.VolumeNotFound(volume_id=volume.id)
        return path

    # -- volumes --------------------------------------------------------
    def create_volume(self, volume):
        with open(self.local_path(volume), 'wb') as f:
            f.truncate(volume.size * GiB)
        return {'provider_location': self.local_path(volume)}

    def delete_volume(self, volume):
        try:
            os.unlink(self.local_path(volume))
        except FileNotFoundError:
            LOG.info('Volume file of %s already gone', volume.id)

    def extend_volume(self, volume, new_size):
        with open(self._existing(volume), 'r+b') as f:
            f.truncate(new_size * GiB)

    def create_cloned_volume(self, volume, src_vref):
        sparse_copy(self._existing(src_vref), self.local_path(volume),
                    volume.size * GiB)
        return {'provider_location': self.local_path(volume)}

    def create_snapshot(self, snapshot):
        sparse_copy(self._existing(snapshot.volume),
                    self._snapshot_path(snapshot))

    def delete_snapshot(self, snapshot):
        try:
            os.unlink(self._snapshot_path(snapshot))
        except FileNotFoundError:
            pass

    def create_volume_from_snapshot(self, volume, snapshot):
        src = self._snapshot_path(snapshot)
        if not os.path.exists(src):
            raise exception.SnapshotNotFound(snapshot_id=snapshot.id)
        sparse_copy(src, self.local_path(volume), volume.size * GiB)
        return {'provider_location': self.local_path(volume)}

    def revert_to_snapshot(self, context, volume, snapshot):
        sparse_copy(self._snapshot_path(snapshot), self.local_path(volume),
                    volume.size * GiB)

    # -- images ---------------------------------------------------------
    def clone_image(self, context, volume, image_location, image_meta,
                    image_service):
        """Write the image's bytes into a new volume file (no qemu-img:
        the data is copied as it is, whatever its disk_format)."""
        path = self.local_path(volume)
        with open(path, 'wb') as f:
            image_service.download(context, image_meta['id'], f)
            if f.tell() > volume.size * GiB:
                raise exception.ImageTooBig(
                    image_id=image_meta['id'],
                    reason='image data is larger than the volume')
            f.truncate(volume.size * GiB)
        return {'provider_location': path}, True

    def copy_image_to_volume(self, context, volume, image_service, image_id,
                             disable_sparse=False):
        with open(self._existing(volume), 'r+b') as f:
            image_service.download(context, image_id, f)

    def copy_volume_to_image(self, context, volume, image_service,
                             image_meta):
        """Upload the file as it is (raw); other disk formats are refused."""
        if image_meta.get('disk_format') not in (None, 'raw'):
            raise exception.ImageUnacceptable(
                image_id=image_meta['id'],
                reason='the dev cloud driver uploads raw images only')
        with open(self._existing(volume), 'rb') as f:
            image_service.update(context, image_meta['id'], {}, f)

    # -- exports and connections ---------------------------------------
    def ensure_export(self, context, volume):
        pass

    def create_export(self, context, volume, connector):
        return None

    def remove_export(self, context, volume):
        pass

    def create_export_snapshot(self, context, snapshot, connector):
        return None

    def remove_export_snapshot(self, context, snapshot):
        pass

    def initialize_connection(self, volume, connector, **kwargs):
        return {'driver_volume_type': 'local',
                'data': {'device_path': self._existing(volume),
                         'volume_id': volume.id}}

    def initialize_connection_snapshot(self, snapshot, connector, **kwargs):
        return {'driver_volume_type': 'local',
                'data': {'device_path': self._snapshot_path(snapshot),
                         'snapshot_id': snapshot.id}}

    def terminate_connection(self, volume, connector, **kwargs):
        pass

    def terminate_connection_snapshot(self, snapshot, connector, **kwargs):
        pass

    def validate_connector(self, connector):
        return True

    # -- stats ----------------------------------------------------------
    def _provisioned_gb(self):
        total = 0
        for entry in os.scandir(self._dir):
            if entry.is_file() and entry.name.endswith('.img'):
                total += entry.stat().st_size
        return total / GiB

    def _update_volume_stats(self):
        capacity = self.configuration.heps_capacity_gb
        used = sum(allocated_bytes(e.path) for e in os.scandir(self._dir)
                   if e.is_file()) / GiB
        self._stats = {
            'volume_backend_name': self.backend_name,
            'vendor_name': 'HEPS dev cloud',
            'driver_version': self.VERSION,
            'storage_protocol': self.protocol,
            'pools': [{
                'pool_name': self.backend_name,
                'total_capacity_gb': capacity,
                'free_capacity_gb': round(max(capacity - used, 0), 2),
                'provisioned_capacity_gb': round(self._provisioned_gb(), 2),
                'reserved_percentage': 0,
                'thin_provisioning_support': True,
                'thick_provisioning_support': False,
                'max_over_subscription_ratio': 20.0,
                'QoS_support': False,
                'multiattach': False,
                'online_extend_support': True,
                'backend_state': 'up',
            }],
        }
