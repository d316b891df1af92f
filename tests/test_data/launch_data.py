"""Builders for what the launch form gets from the api/ layer, shaped like the dev
cloud's seed: flavors as novaclient returns them (api.nova_flavors uses the plugin's own
novaclient on every Horizon release), quota readings, placement capacity."""

import uuid
from unittest import mock

from novaclient.v2 import flavors as nova_flavors
from novaclient.v2 import limits as nova_limits
from novaclient.v2 import servers as nova_servers

from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import quota

VGPU_ID = "vgpu-a16"
A100_ID = "a100-full"
CPU_ID = "cpu-std"
PLAIN_ID = "m1.small"

VGPU_SPECS = {
    "heps:profile": "true", "heps:gpu_kind": "vgpu",
    "heps:gpu_model": "NVIDIA A16 vGPU",
    "heps:description": "Interactive visualisation, one A16 vGPU slice.",
    "resources:VGPU": "1", "trait:CUSTOM_HEPS_GPU_A16": "required",
}
A100_SPECS = {
    "heps:profile": "true", "heps:gpu_kind": "passthrough",
    "heps:gpu_model": "NVIDIA A100 80GB",
    "heps:description": "Full reconstruction, one whole A100.",
    "resources:CUSTOM_HEPS_GPU_A100": "1",
}
CPU_SPECS = {"heps:profile": "true", "heps:gpu_kind": "none",
             "heps:description": "Data browsing and scripting."}
# A flavor of the cloud that is not a desktop profile.
PLAIN_SPECS = {"hw:cpu_policy": "shared"}

VGPU_REQUEST = quota.GpuRequest("VGPU", 1, ("CUSTOM_HEPS_GPU_A16",))
A100_REQUEST = quota.GpuRequest("CUSTOM_HEPS_GPU_A100", 1)

# (id, name, vcpus, ram MB, disk GB, extra specs), in nova's list order (flavorid).
FLAVORS = (
    (A100_ID, "heps.a100.full", 8, 32768, 80, A100_SPECS),
    (CPU_ID, "heps.cpu.std", 4, 8192, 40, CPU_SPECS),
    (PLAIN_ID, "m1.small", 1, 2048, 20, PLAIN_SPECS),
    (VGPU_ID, "heps.vgpu.a16", 4, 16384, 40, VGPU_SPECS),
)


def flavor(flavor_id, name, vcpus, ram, disk, specs, embedded=True):
    """A novaclient Flavor as ``GET /flavors/detail`` returns it: at microversion >= 2.61
    its ``_info`` embeds ``extra_specs``; below, only ``get_keys()`` (one GET per flavor)
    reads them."""
    api = mock.Mock(name="novaclient")
    api.client.get.return_value = (mock.Mock(headers={}), {"extra_specs": dict(specs)})
    info = {"id": flavor_id, "name": name, "vcpus": vcpus, "ram": ram, "disk": disk,
            "swap": 0, "OS-FLV-EXT-DATA:ephemeral": 0, "os-flavor-access:is_public": True,
            "rxtx_factor": 1.0, "description": None, "links": []}
    if embedded:
        info["extra_specs"] = dict(specs)
    return nova_flavors.Flavor(nova_flavors.FlavorManager(api), info, loaded=True)


def flavors(embedded=True, only=None):
    return [flavor(*fields, embedded=embedded) for fields in FLAVORS
            if only is None or fields[0] in only]


def nova_with_flavors(found=None):
    """A novaclient Client (what api.nova_client.for_feature returns) listing ``found``."""
    client = mock.Mock(name="novaclient.Client")
    client.flavors.list.return_value = flavors() if found is None else found
    return client


def catalog():
    """What ``api.nova_flavors.profile_list_with_specs`` makes of FLAVORS: GPU profiles
    first, then by name; the plain flavor left out."""
    return [
        (profiles.profile_from_flavor(A100_ID, "heps.a100.full", 8, 32768, 80, A100_SPECS),
         A100_SPECS),
        (profiles.profile_from_flavor(VGPU_ID, "heps.vgpu.a16", 4, 16384, 40, VGPU_SPECS),
         VGPU_SPECS),
        (profiles.profile_from_flavor(CPU_ID, "heps.cpu.std", 4, 8192, 40, CPU_SPECS),
         CPU_SPECS),
    ]


def absolute_limits(instances=(2, 10), cores=(12, 40), ram=(49152, 131072)):
    """``api.nova_flavors.absolute_limits``: (used, limit) pairs."""
    return {
        "totalInstancesUsed": instances[0], "maxTotalInstances": instances[1],
        "totalCoresUsed": cores[0], "maxTotalCores": cores[1],
        "totalRAMUsed": ram[0], "maxTotalRAMSize": ram[1],
    }


def nova_limits_body(**kwargs):
    """novaclient's ``limits.get()`` result for the same readings."""
    return nova_limits.Limits(mock.Mock(), {"absolute": absolute_limits(**kwargs),
                                            "rate": []}, loaded=True)


def gpu_limits(vgpu=4, a100=2):
    """``api.keystone.compute_limits`` for the GPU classes."""
    return {"class:VGPU": vgpu, "class:CUSTOM_HEPS_GPU_A100": a100}


def usages(vgpu=1, a100=1):
    """``api.placement.project_usages``."""
    return {"VCPU": 12, "MEMORY_MB": 49152, "DISK_GB": 120, "VGPU": vgpu,
            "CUSTOM_HEPS_GPU_A100": a100}


def free(vgpu=5, a100=3):
    """``api.placement.gpu_free``."""
    return {VGPU_REQUEST: vgpu, A100_REQUEST: a100}


def network(network_id="net-1", project_id="1"):
    """``api.neutron.desktop_network``: a neutron network dict."""
    return {"id": network_id, "name": "desktop-net", "project_id": project_id,
            "router:external": False}


EGRESS_RULES = ({"direction": "egress", "ethertype": "IPv4"},
                {"direction": "egress", "ethertype": "IPv6"})


def security_group(name="heps-exp-2026-0142", group_id="sg-exp-1", project_id="1",
                   rules=EGRESS_RULES, created_at="2026-11-01T00:00:00Z"):
    """``api.neutron.security_groups``: a group with neutron's default egress rules."""
    return {"id": group_id, "name": name, "project_id": project_id, "created_at": created_at,
            "security_group_rules": [
                {"id": f"{group_id}-r{i}", "security_group_id": group_id,
                 "remote_ip_prefix": None, "remote_group_id": None, "protocol": None,
                 "port_range_min": None, "port_range_max": None, **rule}
                for i, rule in enumerate(rules)]}


def created(name="test_user-desktop", status="BUILD", tags=("heps-desktop",), server_id=None,
            image_id=None, flavor_name="heps.a100.full", created_at=None, fault=None,
            metadata=None, user_id="1", project_id="1"):
    """The server ``api.nova.desktop_create`` / ``desktop_get`` return after a launch."""
    info = {
        "id": server_id or str(uuid.uuid4()), "name": name, "status": status,
        "user_id": user_id, "tenant_id": project_id,
        "tags": list(tags), "metadata": dict(metadata or {}),
        "image": {"id": image_id} if image_id else "",
        "flavor": {"original_name": flavor_name, "extra_specs": {}},
        "created": created_at or "2026-11-26T05:00:00Z",
    }
    if fault:
        info["fault"] = {"message": fault}
    return nova_servers.Server(nova_servers.ServerManager(None), info, loaded=True)


class FakeResponse:
    def __init__(self, body, status_code=200):
        self.body = body
        self.status_code = status_code

    def json(self):
        return self.body


# GET /allocation_candidates?resources=VGPU:1&required=CUSTOM_HEPS_GPU_A16 (placement
# 1.35) on the dev cloud: two child providers with VGPU, roots in the summaries too.
CANDIDATES_VGPU = {
    "allocation_requests": [
        {"allocations": {"child-1": {"resources": {"VGPU": 1}}}},
        {"allocations": {"child-2": {"resources": {"VGPU": 1}}}},
    ],
    "provider_summaries": {
        "root-1": {"resources": {"VCPU": {"capacity": 4000, "used": 8},
                                 "CUSTOM_HEPS_GPU_A100": {"capacity": 2, "used": 1}}},
        "child-1": {"resources": {"VGPU": {"capacity": 4, "used": 1}}},
        "child-2": {"resources": {"VGPU": {"capacity": 4, "used": 0}}},
        # in the tree, not a candidate (no trait): must not count
        "child-3": {"resources": {"VGPU": {"capacity": 4, "used": 0}}},
    },
}
