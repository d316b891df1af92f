"""Builders for the nova/glance objects the views get from the api/ layer."""

import uuid

from novaclient.v2 import servers as nova_servers
from openstack_dashboard.api import glance as horizon_glance

from heps_desktop_dashboard.core import profiles

IMAGE_IMAGING = "11111111-1111-4111-8111-111111111111"
IMAGE_CRYSTAL = "22222222-2222-4222-8222-222222222222"


def server(name="alice-desktop", status="ACTIVE", task_state=None, metadata=None,
           image_id=IMAGE_IMAGING, flavor_name="heps.vgpu.a16", server_id=None,
           created="2026-11-26T05:00:00Z", tags=("heps-desktop",)):
    info = {
        "id": server_id or str(uuid.uuid4()),
        "name": name,
        "status": status,
        "OS-EXT-STS:task_state": task_state,
        "OS-EXT-STS:vm_state": status.lower(),
        "OS-EXT-STS:power_state": 1,
        "created": created,
        "metadata": {
            "heps:owner": "test_user",
            "heps:profile": flavor_name,
            "heps:experiment": "2026-0142",
            "heps:expires_at": "2030-01-01T00:00:00Z",
        } if metadata is None else metadata,
        "image": {"id": image_id} if image_id else "",
        "flavor": {"original_name": flavor_name, "vcpus": 8, "ram": 32768,
                   "extra_specs": {"heps:profile": "true"}},
        "tags": list(tags),
        "addresses": {},
    }
    return nova_servers.Server(nova_servers.ServerManager(None), info, loaded=True)


def servers(count):
    return [server(name=f"desktop-{i:03d}") for i in range(count)]


class _GlanceImage(dict):
    """The shape glanceclient v2 returns: a dict with attribute access."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError as exc:
            raise AttributeError(key) from exc


def image(image_id=IMAGE_IMAGING, name="HEPS Imaging 2026.2", golden=True,
          techniques="imaging,tomography"):
    data = {"id": image_id, "name": name, "status": "active", "visibility": "public"}
    if golden:
        data["heps_golden"] = "true"
        data["heps_techniques"] = techniques
    return horizon_glance.Image(_GlanceImage(data))


def golden_images():
    return [image(), image(IMAGE_CRYSTAL, "HEPS Crystallography 2026.2",
                           techniques="crystallography,diffraction")]


def profile(flavor_id="vgpu-a16", name="heps.vgpu.a16", kind=profiles.GPU_VGPU):
    specs = {"heps:profile": "true", "heps:gpu_kind": kind,
             "heps:gpu_model": "NVIDIA A16 vGPU"}
    if kind == profiles.GPU_VGPU:
        specs["resources:VGPU"] = "1"
    elif kind == profiles.GPU_PASSTHROUGH:
        specs["resources:CUSTOM_HEPS_GPU_A100"] = "1"
    return profiles.profile_from_flavor(flavor_id, name, 8, 32768, 40, specs)
