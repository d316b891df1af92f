"""Simulated GPUs, reported to placement the way real drivers do.

* whole GPUs (passthrough profiles): custom resource class on the compute
  node's root provider;
* vGPUs: ``VGPU`` on a child provider ``<nodename>_pgpu0`` carrying the GPU
  model as a trait (as libvirt reports mdev-capable physical GPUs).
"""

import os_resource_classes as orc
import os_traits

WHOLE_GPU_RC = 'CUSTOM_HEPS_GPU_A100'
VGPU_RC = orc.VGPU
VGPU_TRAIT = 'CUSTOM_HEPS_GPU_A16'


def pgpu_name(nodename):
    return '%s_pgpu0' % nodename


def _inventory(total):
    return {
        'total': total,
        'reserved': 0,
        'min_unit': 1,
        'max_unit': total,
        'step_size': 1,
        'allocation_ratio': 1.0,
    }


def update_provider_tree(provider_tree, nodename, whole_gpus, vgpus):
    """Add GPU inventory to a tree whose root already has VCPU & co."""
    root_inv = dict(provider_tree.data(nodename).inventory)
    root_inv.pop(WHOLE_GPU_RC, None)
    if whole_gpus:
        root_inv[WHOLE_GPU_RC] = _inventory(whole_gpus)
    provider_tree.update_inventory(nodename, root_inv)

    child = pgpu_name(nodename)
    if not provider_tree.exists(child):
        provider_tree.new_child(child, nodename)
    provider_tree.update_inventory(
        child, {VGPU_RC: _inventory(vgpus)} if vgpus else {})
    provider_tree.add_traits(child, VGPU_TRAIT, os_traits.OWNER_NOVA)
