"""Builders for the nova/glance objects the views get from the api/ layer.

Servers are novaclient ``Server`` objects as nova returns them at microversion >= 2.47
(embedded flavor), owned (nova's ``user_id``/``tenant_id``) by Horizon's test user and
project; their expiry is signed by the plugin (``heps:expires_sig``) unless a test asks
for a hand-edited one.
"""

import datetime
import uuid

from novaclient.v2 import servers as nova_servers

from heps_desktop_dashboard import conf
from heps_desktop_dashboard.api import glance
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import signing

IMAGE_IMAGING = "11111111-1111-4111-8111-111111111111"
IMAGE_CRYSTAL = "22222222-2222-4222-8222-222222222222"

# Horizon's test data: the logged-in user (self.user) and project (self.tenant).
USER_ID = "1"
USERNAME = "test_user"
PROJECT_ID = "1"
# Another member of the same project, and another project.
OTHER_USER_ID = "a0c4e9b2d7f14c8e9b3d6f1a2c5e8b70"
OTHER_PROJECT_ID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

DEFAULT_EXPIRY = "2030-01-01T00:00:00Z"
_DEFAULT = object()


def in_hours(hours):
    """An expiry text ``hours`` from now (negative: in the past)."""
    return desktops.format_expiry(desktops.utcnow() + datetime.timedelta(hours=hours))


def signed_expiry(server, expiry_text):
    """``heps:expires_at`` + ``heps:expires_sig`` as Extend writes them (server scope)."""
    return desktops.expiry_metadata(conf.lifetime_policy(), desktops.parse_expiry(expiry_text),
                                    desktops.subject_of(server), signing.SCOPE_SERVER)


def server(name="alice-desktop", status="ACTIVE", task_state=None, metadata=None,
           image_id=IMAGE_IMAGING, flavor_name="heps.vgpu.a16", server_id=None,
           created="2026-11-26T05:00:00Z", tags=("heps-desktop",), user_id=USER_ID,
           project_id=PROJECT_ID, expires_at=DEFAULT_EXPIRY, experiment="2026-0142"):
    """A desktop. Without ``metadata`` it carries a valid signed expiry ``expires_at``
    (None: no expiry at all); with ``metadata`` exactly that (hand-made, unsigned)."""
    info = {
        "id": server_id or str(uuid.uuid4()),
        "name": name,
        "status": status,
        "user_id": user_id,
        "tenant_id": project_id,
        "OS-EXT-STS:task_state": task_state,
        "OS-EXT-STS:vm_state": status.lower(),
        "OS-EXT-STS:power_state": 1,
        "created": created,
        "metadata": {},
        "image": {"id": image_id} if image_id else "",
        "flavor": {"original_name": flavor_name, "vcpus": 8, "ram": 32768, "disk": 40,
                   "extra_specs": {"heps:profile": "true"}},
        "tags": list(tags),
        "addresses": {},
    }
    found = nova_servers.Server(nova_servers.ServerManager(None), info, loaded=True)
    if metadata is None:
        metadata = {"heps:profile": flavor_name}
        if experiment:
            metadata["heps:experiment"] = experiment
        if expires_at:
            metadata.update(signed_expiry(found, expires_at))
    found._info["metadata"] = found.metadata = dict(metadata)
    return found


def servers(count, **kwargs):
    return [server(name=f"desktop-{i:03d}", **kwargs) for i in range(count)]


def image(image_id=IMAGE_IMAGING, name="HEPS Imaging 2026.2", golden=True,
          techniques="imaging,tomography", description=""):
    """What api.glance returns (``images_by_id``, ``golden_image_list``)."""
    properties = {}
    if golden:
        properties["heps_golden"] = "true"
        properties["heps_techniques"] = techniques
    if description:
        properties["heps_description"] = description
    return glance.Image(id=image_id, name=name, status="active", properties=properties)


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
