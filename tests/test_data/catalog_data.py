"""Glance image records and desktop profiles for the Golden Images panel."""

import dataclasses

from heps_desktop_dashboard.core import golden
from heps_desktop_dashboard.core import profiles
from test_data import usage_data as ud

IMAGING = "11111111-1111-4111-8111-111111111111"
CRYSTAL = "22222222-2222-4222-8222-222222222222"
CIRROS = "33333333-3333-4333-8333-333333333333"
QUEUED = "44444444-4444-4444-8444-444444444444"
SHELVED = "55555555-5555-4555-8555-555555555555"
ADMIN_PROJECT = "adadadadadadadadadadadadadadadad"
GIB = 1024 ** 3


def image(image_id=IMAGING, name="heps-imaging-desktop", status="active",
          visibility="public", is_golden=True, disk_format="qcow2", min_ram=0, min_disk=0,
          virtual_size=8 * GIB, hidden=False, owner=ADMIN_PROJECT, **properties):
    props = {"hw_video_model": "virtio", "hw_qemu_guest_agent": "yes"}
    if is_golden:
        props.update({golden.GOLDEN: "true", golden.TECHNIQUES: "imaging,tomography",
                      golden.DESCRIPTION: "TomoPy and napari", golden.GPU_DRIVER: "nvidia-550"})
    props.update(properties)
    return golden.ImageRecord(
        id=image_id, name=name, status=status, visibility=visibility, owner=owner,
        disk_format=disk_format, container_format="bare", min_ram=min_ram,
        min_disk=min_disk, virtual_size=virtual_size, hidden=hidden,
        properties={k: v for k, v in props.items() if v is not None})


def catalog_images():
    """Two golden images, a candidate, a queued image and a golden shelve snapshot."""
    return [
        image(),
        image(CRYSTAL, "heps-crystal-desktop", visibility="shared", hw_video_model=None,
              **{golden.GPU_DRIVER: None}),
        image(CIRROS, "cirros-plain", is_golden=False, disk_format="raw"),
        image(QUEUED, "upload-in-progress", status="queued", is_golden=False),
        image(SHELVED, "alice-desktop-shelved", visibility="shared", image_type="snapshot",
              instance_uuid="d1000000-0000-4000-8000-000000000001"),
    ]


def use(name, specs, ram=16384, disk=40, public=True, projects=()):
    profile = profiles.profile_from_flavor(name, name, 4, ram, disk, specs)
    return golden.ProfileUse(profile, dict(specs), public=public,
                             projects=frozenset(projects))


def uses():
    return [use("heps.vgpu.a16", ud.VGPU_SPECS), use("heps.cpu.std", ud.CPU_SPECS, ram=8192)]


def with_props(record, **changes):
    return dataclasses.replace(record, properties={**record.properties, **changes})
