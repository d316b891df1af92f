"""HepsFakeDriver: nova's fake driver with simulated GPUs, real consoles and
state that survives a nova-compute restart.

Loaded by nova as ``compute_driver = heps_fake.HepsFakeDriver`` through the
``heps-devcloud-compute`` launcher (see compute.py), configured in
``[heps_fake]`` (see conf.py).
"""

import os
import time

import nova.conf
import nova.virt.node
from nova import context as nova_context
from nova import exception
from nova import objects
from nova.compute import power_state
from nova.compute import vm_states
from nova.console import type as ctype
from nova.virt import fake
from oslo_log import log as logging

from heps_devcloud import cinder_attach
from heps_devcloud import conf as heps_conf
from heps_devcloud import displays
from heps_devcloud import gpu
from heps_devcloud import persist

CONF = nova.conf.CONF
heps_conf.register(CONF)
LOG = logging.getLogger(__name__)

# Power state of an instance we have no record of, from what nova believes.
_STATE_FROM_VM_STATE = {
    vm_states.ACTIVE: power_state.RUNNING,
    vm_states.RESCUED: power_state.RUNNING,
    vm_states.RESIZED: power_state.RUNNING,
    vm_states.STOPPED: power_state.SHUTDOWN,
    vm_states.SHELVED: power_state.SHUTDOWN,
    vm_states.PAUSED: power_state.PAUSED,
    vm_states.SUSPENDED: power_state.SUSPENDED,
}

BOOT_LOG = """\
[    0.000000] Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) #1 SMP Debian
[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=LABEL=rootfs ro
[    0.000000] DMI: OpenStack Foundation OpenStack Nova, BIOS 1.16.2-debian-1.16.2-1
[    0.000000] Hypervisor detected: KVM
[    0.412311] pci 0000:00:05.0: [10de:{gpu_pci}] type 00 class 0x030000
[    1.204876] virtio_blk virtio2: [vda] 20971520 512-byte logical blocks (10.7 GB)
[    1.733102] EXT4-fs (vda1): mounted filesystem with ordered data mode.
[    2.918440] systemd[1]: Hostname set to <{hostname}>.
[    3.551207] nvidia: loading out-of-tree module taints kernel.
[    3.602019] NVRM: loading NVIDIA UNIX x86_64 Kernel Module (simulated: HEPS dev cloud)
[    4.120334] cloud-init[612]: Cloud-init v. 22.4.2 running 'init' at {boot_time}.
[    4.382812] cloud-init[612]: ci-info: | eth0 | True | {address} | fa:16:3e:{mac} |
[    5.004467] cloud-init[701]: Cloud-init v. 22.4.2 running 'modules:config'.
[    5.660871] systemd[1]: Started gdm.service - GNOME Display Manager.
[    6.027719] cloud-init[733]: Cloud-init v. 22.4.2 finished. Up 6.01 seconds
[    6.114003] heps-desktop[790]: desktop "{display_name}" ready ({gpu})

Debian GNU/Linux 12 {hostname} ttyS0

{hostname} login: """


class HepsFakeDriver(fake.FakeDriver):
    """FakeDriver + GPU inventory, persisted instances, real displays."""

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        opts = CONF.heps_fake
        if not opts.state_dir:
            raise exception.InvalidConfiguration(
                '[heps_fake] state_dir is required by HepsFakeDriver')
        self.state_dir = opts.state_dir
        os.makedirs(self.state_dir, exist_ok=True)
        self.store = persist.InstanceStore(
            os.path.join(self.state_dir, 'instances'))
        self.displays = displays.DisplayManager(
            os.path.join(self.state_dir, 'displays'),
            display_base=opts.display_base,
            vnc_port_base=opts.vnc_port_base,
            spice_port_base=opts.spice_port_base,
            max_displays=opts.max_displays,
            slots=opts.display_slots)

    # -- node identity and inventory -----------------------------------
    # FakeDriver invents a new node uuid per process; a real driver keeps
    # nova's compute_id file ([DEFAULT] state_path, one per host).
    def get_available_resource(self, nodename):
        os.makedirs(CONF.state_path, exist_ok=True)    # for compute_id
        resources = super().get_available_resource(nodename)
        if resources:
            resources['uuid'] = nova.virt.node.get_local_node_uuid()
        return resources

    def get_nodenames_by_uuid(self, refresh=False):
        return {nova.virt.node.get_local_node_uuid():
                self.get_available_nodes()[0]}

    def update_provider_tree(self, provider_tree, nodename, allocations=None):
        super().update_provider_tree(provider_tree, nodename, allocations)
        gpu.update_provider_tree(provider_tree, nodename,
                                 whole_gpus=CONF.heps_fake.whole_gpus,
                                 vgpus=CONF.heps_fake.vgpus)

    # -- host lifecycle ---------------------------------------------------
    def init_host(self, host):
        super().init_host(host)
        self._recover_node_identity(host)
        self.displays.kill_leftovers()

    def _recover_node_identity(self, host):
        """No compute_id file but nova knows our node (e.g. it was created
        by stock FakeDriver, or the state dir was lost): keep the node's
        uuid, as nova does itself when upgrading from older releases.
        Otherwise nova refuses to start ("No local node identity found").
        """
        if nova.virt.node.read_local_node_uuid():
            return
        try:
            nodes = objects.ComputeNodeList.get_all_by_host(
                nova_context.get_admin_context(), host)
        except exception.ComputeHostNotFound:
            return                          # a new host: nova generates one
        except Exception as e:              # no database/conductor (tests)
            LOG.debug('Cannot look up compute nodes of %s: %s', host, e)
            return
        if len(nodes) == 1:
            os.makedirs(CONF.state_path, exist_ok=True)
            LOG.warning('No compute_id file: adopting the existing compute '
                        'node %s of host %s', nodes[0].uuid, host)
            nova.virt.node.write_local_node_uuid(nodes[0].uuid)

    def cleanup_host(self, host):
        self.displays.stop_all()

    def process_instances_at_startup(self, context, instances):
        """Re-adopt the instances nova says live here; drop stale records."""
        records = self.store.load_all()
        for instance in instances:
            self._adopt(instance, records.get(instance.uuid))
        known = {i.uuid for i in instances}
        for uuid in set(records) - known:
            LOG.info('Forgetting instance %s: nova no longer has it here',
                     uuid)
            self.store.delete(uuid)
        return instances

    # -- persistence --------------------------------------------------------
    def _adopt(self, instance, record=None):
        """Make sure an instance nova knows is in self.instances.

        After a restart the in-memory FakeDriver state is empty: take the
        power state from our record, or else from nova's vm_state.
        """
        if instance.uuid in self.instances:
            return
        record = record or self.store.load(instance.uuid)
        if record:
            state = record['power_state']
        else:
            state = _STATE_FROM_VM_STATE.get(instance.vm_state)
            if state is None:
                return
        LOG.info('Re-adopting instance (power state %s)', state,
                 instance=instance)
        self.instances[instance.uuid] = fake.FakeInstance(
            instance.name, state, instance.uuid)
        if record and record.get('volumes'):
            self._mounts[instance.name] = dict(record['volumes'])
        self._save(instance)

    def _save(self, instance):
        fake_instance = self.instances.get(instance.uuid)
        if fake_instance is None:
            self.store.delete(instance.uuid)
            return
        volumes = {mp: cinder_attach.summary(info) for mp, info in
                   self._mounts.get(instance.name, {}).items()}
        self.store.save(instance.uuid, name=fake_instance.name,
                        power_state=fake_instance.state,
                        display_name=instance.display_name,
                        volumes=volumes, saved_at=time.time())

    def _set_state(self, instance, state):
        self._adopt(instance)
        if instance.uuid not in self.instances:
            raise exception.InstanceNotFound(instance_id=instance.uuid)
        self.instances[instance.uuid].state = state
        self._save(instance)
        if state != power_state.RUNNING:
            self.displays.stop(instance.uuid)

    # -- lifecycle ------------------------------------------------------
    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, allocations, network_info=None,
              block_device_info=None, power_on=True, accel_info=None):
        mounts = cinder_attach.mounts_of(block_device_info)
        super().spawn(context, instance, image_meta, injected_files,
                      admin_password, allocations, network_info=network_info,
                      block_device_info=block_device_info, power_on=power_on,
                      accel_info=accel_info)
        if mounts:
            self._mounts[instance.name] = mounts
        self._save(instance)

    def power_off(self, instance, timeout=0, retry_interval=0):
        self._set_state(instance, power_state.SHUTDOWN)

    def power_on(self, context, instance, network_info,
                 block_device_info=None, accel_info=None, share_info=None):
        self._adopt(instance)
        super().power_on(context, instance, network_info,
                         block_device_info=block_device_info,
                         accel_info=accel_info, share_info=share_info)
        self._save(instance)

    def reboot(self, context, instance, network_info, reboot_type,
               block_device_info=None, bad_volumes_callback=None,
               accel_info=None, share_info=None):
        self._adopt(instance)
        super().reboot(context, instance, network_info, reboot_type,
                       block_device_info=block_device_info,
                       bad_volumes_callback=bad_volumes_callback,
                       accel_info=accel_info, share_info=share_info)
        self._save(instance)

    def pause(self, instance):
        self._set_state(instance, power_state.PAUSED)

    def unpause(self, instance):
        self._set_state(instance, power_state.RUNNING)

    def suspend(self, context, instance):
        self._set_state(instance, power_state.SUSPENDED)

    def resume(self, context, instance, network_info, block_device_info=None,
               share_info=None):
        self._set_state(instance, power_state.RUNNING)

    def rescue(self, context, instance, network_info, image_meta,
               rescue_password, block_device_info, share_info):
        self._set_state(instance, power_state.RUNNING)

    def unrescue(self, context, instance):
        self._set_state(instance, power_state.RUNNING)

    def finish_revert_migration(self, context, instance, network_info,
                                migration, block_device_info=None,
                                power_on=True, share_info=None):
        super().finish_revert_migration(
            context, instance, network_info, migration,
            block_device_info=block_device_info, power_on=power_on,
            share_info=share_info)
        self._mounts[instance.name] = cinder_attach.mounts_of(
            block_device_info)
        self._save(instance)

    def finish_migration(self, context, migration, instance, disk_info,
                         network_info, image_meta, resize_instance,
                         allocations, block_device_info=None, power_on=True,
                         share_info=None):
        super().finish_migration(
            context, migration, instance, disk_info, network_info,
            image_meta, resize_instance, allocations,
            block_device_info=block_device_info, power_on=power_on,
            share_info=share_info)
        self._mounts[instance.name] = cinder_attach.mounts_of(
            block_device_info)
        self._save(instance)

    def post_live_migration_at_destination(self, context, instance,
                                           network_info,
                                           block_migration=False,
                                           block_device_info=None):
        super().post_live_migration_at_destination(
            context, instance, network_info, block_migration=block_migration,
            block_device_info=block_device_info)
        self._save(instance)

    def destroy(self, context, instance, network_info, block_device_info=None,
                destroy_disks=True, destroy_secrets=True):
        self.displays.purge(instance.uuid)
        self._adopt(instance)
        super().destroy(context, instance, network_info,
                        block_device_info=block_device_info,
                        destroy_disks=destroy_disks,
                        destroy_secrets=destroy_secrets)
        self.store.delete(instance.uuid)

    # -- volumes (cinder, see cinder_attach) ------------------------------
    def attach_volume(self, context, connection_info, instance, mountpoint,
                      disk_bus=None, device_type=None, encryption=None):
        cinder_attach.check_device(connection_info)
        self._adopt(instance)
        super().attach_volume(context, connection_info, instance, mountpoint,
                              disk_bus=disk_bus, device_type=device_type,
                              encryption=encryption)
        self._save(instance)

    def detach_volume(self, context, connection_info, instance, mountpoint,
                      encryption=None):
        self._adopt(instance)
        super().detach_volume(context, connection_info, instance, mountpoint,
                              encryption=encryption)
        self._save(instance)

    def swap_volume(self, context, old_connection_info, new_connection_info,
                    instance, mountpoint, resize_to):
        cinder_attach.check_device(new_connection_info)
        self._adopt(instance)
        super().swap_volume(context, old_connection_info, new_connection_info,
                            instance, mountpoint, resize_to)
        self._save(instance)

    def snapshot(self, context, instance, image_id, update_task_state):
        self._adopt(instance)
        super().snapshot(context, instance, image_id, update_task_state)

    def detach_interface(self, context, instance, vif):
        # attached interfaces live in memory only: after a restart, detaching
        # one attached earlier must still work
        self._interfaces.pop(vif['id'], None)

    def get_info(self, instance, use_cache=True):
        self._adopt(instance)
        return super().get_info(instance, use_cache=use_cache)

    # -- consoles -------------------------------------------------------
    def get_console_output(self, context, instance):
        hostname = getattr(instance, 'hostname', None) or instance.name
        launched = (instance.obj_attr_is_set('launched_at') and
                    instance.launched_at)
        boot = time.strftime(
            '%a, %d %b %Y %H:%M:%S +0000',
            time.gmtime(launched.timestamp() if launched else time.time()))
        summary = _gpu_summary(instance)
        return BOOT_LOG.format(
            hostname=hostname,
            display_name=instance.display_name or instance.name,
            boot_time=boot,
            gpu=summary,
            gpu_pci='25b6' if 'A16' in summary else '20b0',
            address=_first_ip(instance) or '10.0.0.10',
            mac=':'.join(instance.uuid.replace('-', '')[i:i + 2]
                         for i in (0, 2, 4)))

    def _console_port(self, instance, kind):
        self._adopt(instance)
        fake_instance = self.instances.get(instance.uuid)
        if fake_instance is None or fake_instance.state != power_state.RUNNING:
            raise exception.InstanceNotReady(instance_id=instance.uuid)
        subtitle = ['HEPS DEV CLOUD - FAKE GPU DESKTOP',
                    'HOST %s  %s' % (self._host, _gpu_summary(instance)),
                    instance.uuid]
        try:
            return self.displays.ensure(
                instance.uuid, kind, instance.display_name or instance.name,
                subtitle)
        except displays.DisplayError as e:
            LOG.error('%s', e, instance=instance)
            raise exception.ConsoleTypeUnavailable(console_type=kind) from e

    def get_vnc_console(self, context, instance):
        port = self._console_port(instance, 'vnc')
        return ctype.ConsoleVNC(host='127.0.0.1', port=port)

    def get_spice_console(self, context, instance):
        # Also serves the 2.99 'spice-direct' console type: nova's manager
        # takes host/port/tls_port from this same call.
        port = self._console_port(instance, 'spice')
        return ctype.ConsoleSpice(host='127.0.0.1', port=port, tlsPort=None)


def _gpu_summary(instance):
    try:
        specs = instance.flavor.extra_specs or {}
    except Exception:  # flavor not loadable: no GPU line is fine
        return 'NO GPU'
    if specs.get('resources:%s' % gpu.WHOLE_GPU_RC):
        return 'WHOLE A100 (%s)' % specs['resources:%s' % gpu.WHOLE_GPU_RC]
    if specs.get('resources:VGPU'):
        return 'VGPU A16 (%s)' % specs['resources:VGPU']
    return 'NO GPU'


def _first_ip(instance):
    try:
        for vif in instance.get_network_info():
            for ip in vif.fixed_ips():
                return str(ip['address'])
    except Exception:  # network info is decoration only
        return None
    return None
