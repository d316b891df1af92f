"""Admin › Desktop Quotas and Desktop Profiles in real Horizon on the dev cloud (headless
Chromium): the quota board says nova enforces keystone unified limits and shows the
experiments' limits, the project modal opens with keystone's values and saving it
unchanged writes nothing; a CPU-only profile for one project is created in the modal
(the GPU fields follow the GPU kind), listed with its project, and deleted; a member gets
Horizon's refusal on both URLs."""

import uuid

import pytest
from cloud_fixtures import ARTIFACTS
from cloud_fixtures import nova
from integration.horizon_request import credentials

from browser.conftest import horizon_login

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_page(pages, horizon_server, devcloud):
    page = pages()
    horizon_login(page, horizon_server.url, "admin", credentials(devcloud, "admin")["password"])
    return page


def test_quota_board_and_an_unchanged_save(admin_page, horizon_server, devcloud):
    page = admin_page
    page.goto(f"{horizon_server.url}/admin/desktop_quotas/")
    assert "Nova enforces keystone unified limits" in page.inner_text(".heps-quota-driver")
    row = page.locator("#quotas tbody tr", has_text="experiment-b")
    row.wait_for()
    assert "/ 4" in row.inner_text()          # the seeded class:VGPU limit (or its usage)
    page.screenshot(path=str(ARTIFACTS / "admin-desktop-quotas.png"), full_page=True)
    row.locator("a", has_text="Edit Quotas").click()
    field = page.locator(".modal #id_gpu_VGPU")
    field.wait_for()
    assert field.input_value() == "4"
    page.locator(".modal input[type=submit]").click()
    page.locator(".alert", has_text="Nothing changed").wait_for()


def _delete_flavor(admin, name):
    for flavor in nova(admin, "GET", "/flavors/detail?is_public=None")["flavors"]:
        if flavor["name"] == name:
            nova(admin, "DELETE", f"/flavors/{flavor['id']}", ok=(202, 204, 404))


def test_create_and_delete_a_private_profile(admin_page, horizon_server, admin):
    name = f"br-profile-{uuid.uuid4().hex[:6]}"
    page = admin_page
    try:
        page.goto(f"{horizon_server.url}/admin/desktop_profiles/")
        page.locator("a", has_text="Create Profile").click()
        page.locator(".modal #id_name").wait_for()
        assert page.locator(".modal #id_vgpu_type").is_visible()
        page.select_option(".modal #id_gpu_kind", "passthrough")
        assert page.locator(".modal #id_passthrough_gpu").is_visible()
        assert not page.locator(".modal #id_vgpu_type").is_visible()
        page.select_option(".modal #id_gpu_kind", "none")
        assert not page.locator(".modal #id_gpu_count").is_visible()
        page.fill(".modal #id_name", name)
        page.fill(".modal #id_vcpus", "1")
        page.fill(".modal #id_ram_mb", "1024")
        page.fill(".modal #id_disk_gb", "1")
        page.fill(".modal #id_description", "browser test profile")
        page.locator(".modal label[for=id_is_public]").click()   # Horizon's themed box
        assert not page.locator(".modal #id_is_public").is_checked()
        page.select_option(".modal #id_projects", label="experiment-a")
        page.locator(".modal input[type=submit]").click()
        row = page.locator("#profiles tbody tr", has_text=name)
        row.wait_for()
        assert "experiment-a" in row.inner_text() and "No GPU" in row.inner_text()
        row.locator(".dropdown-toggle").click()
        row.locator("a", has_text="Delete Profile").click()
        page.locator(".modal", has_text="No desktop uses it").wait_for()
        page.locator(".modal input[type=submit]").click()
        page.locator(".alert", has_text=f'Profile "{name}" deleted').wait_for()
        assert page.locator("#profiles tbody tr", has_text=name).count() == 0
    finally:
        _delete_flavor(admin, name)


def test_a_member_is_refused(login, horizon_server):
    page = login("alice")
    for path in ("/admin/desktop_quotas/", "/admin/desktop_profiles/",
                 "/admin/desktop_profiles/create/"):
        response = page.goto(f"{horizon_server.url}{path}")
        assert response.status == 403, path
        assert "not authorized" in page.inner_text("body")
