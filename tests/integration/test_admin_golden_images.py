"""Admin › Golden Images against the dev cloud's glance: an image of its own (private to
the admin project, so no other test's launch catalog changes) marked golden in the
panel's form appears in the launch form's catalog (api.glance.golden_image_list) with its
techniques; Remove from Catalog takes it out again; the seeded golden images are listed
with their checklist. Served in-process by the real plugin (Django test client)."""

import uuid

import pytest
from cloud_fixtures import call

from heps_desktop_dashboard import api
from integration.horizon_request import credentials
from integration.horizon_request import use_devcloud
from integration.horizon_request import user_context

pytestmark = pytest.mark.integration
URL = "/admin/golden_images/"


@pytest.fixture
def own_image(admin):
    """A small active raw image, private to the admin project; deleted at the end."""
    body = call(admin.image, "POST", "/images", json={
        "name": f"it-golden-{uuid.uuid4().hex[:8]}", "disk_format": "raw",
        "container_format": "bare", "visibility": "private", "hw_video_model": "virtio",
        "hw_qemu_guest_agent": "yes"})
    try:
        call(admin.image, "PUT", f"/images/{body['id']}/file", data=b"\0" * 4096,
             headers={"Content-Type": "application/octet-stream"})
        yield body
    finally:
        call(admin.image, "DELETE", f"/images/{body['id']}", ok=(204, 404))


def _login(client, devcloud):
    auth = credentials(devcloud, "admin")
    res = client.post("/auth/login/", {"region": "default", "username": auth["username"],
                                       "password": auth["password"]})
    assert res.status_code == 302 and "/auth/login" not in res["Location"]


def _catalog(devcloud):
    return {image.id: image for image in
            api.glance.golden_image_list(user_context(devcloud, "admin"))}


def test_marking_in_the_panel_puts_an_image_in_the_launch_catalog(
        client, settings, devcloud, admin, own_image):
    use_devcloud(settings, devcloud)
    _login(client, devcloud)
    image_id = own_image["id"]
    page = client.get(URL)
    assert page.status_code == 200
    candidates = {entry.id: entry for entry in page.context["candidates_table"].data}
    assert image_id in candidates
    golden = {entry.image.name for entry in page.context["golden_table"].data}
    assert {"heps-imaging-desktop-2026.1", "heps-diffraction-desktop-2026.1"} <= golden
    assert image_id not in _catalog(devcloud)

    res = client.post(f"{URL}{image_id}/edit/", {
        "golden": "on", "techniques": "Imaging, Tomography",
        "description": "Integration test image", "gpu_driver": "nvidia-550.90"})
    assert res.status_code == 302, res.content.decode()[-1500:]
    catalog = _catalog(devcloud)
    assert image_id in catalog
    assert catalog[image_id].properties["heps_techniques"] == "imaging,tomography"
    assert catalog[image_id].properties["heps_gpu_driver"] == "nvidia-550.90"
    entry = {e.id: e for e in client.get(URL).context["golden_table"].data}[image_id]
    checks = {check.key: check.status for check in entry.checks}
    assert checks["gpu_driver"] == "pass" and checks["disk_format"] == "pass"
    assert checks["visibility"] == "warn"  # private: the admin project only

    res = client.post(URL, {"action": f"golden__unmark__{image_id}"})
    assert res.status_code == 302
    assert image_id not in _catalog(devcloud)
    shown = call(admin.image, "GET", f"/images/{image_id}")
    assert shown["heps_golden"] == "false" and shown["heps_techniques"] == "imaging,tomography"
