"""Placement as api/placement_inventory.py returns it, for the GPU Capacity tests: the dev
cloud's shape (two compute hosts, each with whole A100s on the root provider and a
``_pgpu0`` child with VGPU and trait CUSTOM_HEPS_GPU_A16)."""

import uuid

from heps_desktop_dashboard.core import gpu_capacity

A16 = "CUSTOM_HEPS_GPU_A16"
A100 = "CUSTOM_HEPS_GPU_A100"
VGPU = "VGPU"


def _uuid(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


class FakePlacement:
    """Providers, inventories, usages, traits and allocations, served by the mocks of
    api.placement_inventory (each call counted by the mock)."""

    def __init__(self, hosts=("heps-gpu-01", "heps-gpu-02"), a100=2, vgpu=4, reserved=0):
        self.providers = []
        self.inventories = {}
        self.traits = {}
        self.allocations = {}
        for host in hosts:
            root = _uuid(host)
            child = _uuid(host + "_pgpu0")
            self.providers.append({"uuid": root, "name": host, "generation": 1,
                                   "root_provider_uuid": root,
                                   "parent_provider_uuid": None})
            self.providers.append({"uuid": child, "name": host + "_pgpu0",
                                   "generation": 1, "root_provider_uuid": root,
                                   "parent_provider_uuid": root})
            self.inventories[root] = {
                "VCPU": {"total": 64, "reserved": 0, "allocation_ratio": 4.0},
                "MEMORY_MB": {"total": 512000, "reserved": 512, "allocation_ratio": 1.0},
                A100: {"total": a100, "reserved": reserved, "allocation_ratio": 1.0},
            }
            self.inventories[child] = {
                VGPU: {"total": vgpu, "reserved": 0, "allocation_ratio": 1.0}}
            self.traits[root] = ["COMPUTE_NODE"]
            self.traits[child] = ["OWNER_NOVA", A16]
            self.allocations[root] = {}
            self.allocations[child] = {}

    def provider(self, name):
        return next(rp["uuid"] for rp in self.providers if rp["name"] == name)

    def hold(self, consumer_id, host, resource_class, amount=1):
        """A consumer allocating ``amount`` of ``resource_class`` on ``host``."""
        target = self.provider(host + "_pgpu0" if resource_class == VGPU else host)
        self.allocations[target].setdefault(consumer_id, {})[resource_class] = amount
        if resource_class != VGPU:
            self.allocations[target][consumer_id].update({"VCPU": 8, "MEMORY_MB": 32768})

    def usages(self, provider_uuid):
        used = {rc: 0 for rc in self.inventories[provider_uuid]}
        for resources in self.allocations[provider_uuid].values():
            for rc, amount in resources.items():
                used[rc] = used.get(rc, 0) + amount
        return used

    def install(self, test):
        """Wire the test's create_mocks of api.placement_inventory to this cloud."""
        test.mock_resource_providers.return_value = self.providers
        test.mock_inventories.side_effect = lambda ctx, rp: self.inventories[rp]
        test.mock_usages.side_effect = lambda ctx, rp: self.usages(rp)
        test.mock_allocations.side_effect = lambda ctx, rp: self.allocations[rp]
        test.mock_traits.side_effect = lambda ctx, rp: self.traits[rp]

    def gpu_providers(self):
        return [rp for rp in self.providers
                if any(gpu_capacity.is_gpu_class(rc) for rc in self.inventories[rp["uuid"]])]
