"""Nova flavors (desktop profiles) and placement's GPU providers as the api layer returns
them, for the Desktop Profiles tests: the dev cloud's profiles, a private one, a retired
one, one asking for a GPU no host has, and a flavor that is no profile."""

from novaclient.v2 import flavors as nova_flavors

from heps_desktop_dashboard import api
from test_data import capacity_data as cdata

PROJECT_A = "e0000000000000000000000000000a01"
PROJECT_B = "e0000000000000000000000000000b02"
PROJECTS = {PROJECT_A: "experiment-a", PROJECT_B: "experiment-b"}
VGPU_ID, A100_ID, CPU_ID, OLD_ID, H100_ID, SMALL_ID = (
    "f-vgpu", "f-a100", "f-cpu", "f-old", "f-h100", "f-small")

READS = {api.nova_flavors: ["flavors_with_specs"],
         api.nova_admin: ["desktops_all_projects"],
         api.placement_inventory: ["resource_providers", "inventories", "traits"],
         api.identity_names: ["project_names"],
         api.flavors_admin: ["flavor_access_list"]}
WRITES = {**READS,
          api.flavors_admin: ["flavor_access_list", "flavor_get", "flavor_create",
                              "flavor_set_specs", "flavor_delete", "flavor_access_add"]}

VGPU_SPECS = {"heps:profile": "true", "heps:gpu_kind": "vgpu",
              "heps:gpu_model": "NVIDIA A16 vGPU (simulated)",
              "heps:description": "Interactive visualisation.", "resources:VGPU": "1",
              "trait:CUSTOM_HEPS_GPU_A16": "required", "hw_video:ram_max_mb": "64"}
A100_SPECS = {"heps:profile": "true", "heps:gpu_kind": "passthrough",
              "heps:gpu_model": "NVIDIA A100 80GB (simulated)",
              "resources:CUSTOM_HEPS_GPU_A100": "1", "hw:cpu_policy": "dedicated",
              "hw:mem_page_size": "large", "heps:persistent": "home"}


def flavor(flavor_id, name, vcpus, ram, disk, specs, is_public=True):
    return nova_flavors.Flavor(None, {
        "id": flavor_id, "name": name, "vcpus": vcpus, "ram": ram, "disk": disk,
        "os-flavor-access:is_public": is_public, "extra_specs": dict(specs)}, loaded=True)


def flavors():
    return [
        flavor(VGPU_ID, "heps.vgpu.a16", 4, 16384, 40, VGPU_SPECS),
        flavor(A100_ID, "heps.a100.full", 8, 32768, 80, A100_SPECS, is_public=False),
        flavor(CPU_ID, "heps.cpu.std", 4, 8192, 40,
               {"heps:profile": "true", "heps:gpu_kind": "none"}),
        flavor(OLD_ID, "heps.vgpu.old", 2, 8192, 20,
               {**VGPU_SPECS, "heps:retired": "2026-01-01T00:00:00Z",
                "heps:replaced_by": "heps.vgpu.a16"}),
        flavor(H100_ID, "heps.h100", 16, 65536, 80,
               {"heps:profile": "true", "heps:gpu_kind": "passthrough",
                "resources:CUSTOM_HEPS_GPU_H100": "1"}),
        flavor(SMALL_ID, "m1.small", 1, 2048, 20, {}),
    ]


def install(test, servers=(), access=None):
    """Wire a test's create_mocks (READS) to the profiles, placement and ``servers``."""
    found = flavors()
    test.mock_flavors_with_specs.return_value = [(f, dict(f._info["extra_specs"]))
                                                 for f in found]
    test.mock_desktops_all_projects.side_effect = lambda ctx: iter(list(servers))
    placement = cdata.FakePlacement()
    test.mock_resource_providers.return_value = placement.providers
    test.mock_inventories.side_effect = lambda ctx, rp: placement.inventories[rp]
    test.mock_traits.side_effect = lambda ctx, rp: placement.traits[rp]
    test.mock_project_names.return_value = dict(PROJECTS)
    access = {A100_ID: [PROJECT_B]} if access is None else access
    test.mock_flavor_access_list.side_effect = lambda ctx, fid: access.get(fid, [])
    return {f.id: f for f in found}
