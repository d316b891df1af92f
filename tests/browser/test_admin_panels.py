"""Admin › Experiment Desktops in real Horizon on the dev cloud (headless Chromium): the
Desktops panel lists alice's desktop with its project and owner names and filters by
project; GPU Capacity shows a bar per GPU class and alice's vGPU desktop as a holder,
flags it once stopped (after Refresh), and shelves it from the row, which frees the GPU;
a member gets Horizon's refusal on both URLs."""

import time
import uuid

import pytest
from cloud_fixtures import ARTIFACTS
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import wait_server
from integration.horizon_request import credentials

from browser.conftest import horizon_login

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_page(pages, horizon_server, devcloud):
    page = pages()
    horizon_login(page, horizon_server.url, "admin", credentials(devcloud, "admin")["password"])
    return page


def _wait_freed(admin, server_id, attempts=240):
    for _attempt in range(attempts):
        if not call(admin.placement, "GET", f"/allocations/{server_id}",
                    microversion="1.12")["allocations"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"{server_id} still holds a GPU")


def test_admin_desktops_lists_every_project_and_filters(admin_page, horizon_server,
                                                        alice, devcloud, server_factory):
    name = f"br-admin-{uuid.uuid4().hex[:6]}"
    server = server_factory.create(alice, name)
    page = admin_page
    page.goto(f"{horizon_server.url}/admin/desktops/")
    row = page.locator("#fleet tbody tr", has_text=name)
    row.wait_for()
    assert "experiment-a" in row.inner_text() and "alice" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "admin-desktops.png"), full_page=True)
    # filter by another project: alice's desktop is gone from the list
    page.select_option("#heps-filter-project",
                       devcloud.manifest["projects"]["experiment-b"])
    page.click(".heps-fleet-filters button[type=submit]")
    page.wait_for_url("**project=*")
    assert page.locator("#fleet tbody tr", has_text=name).count() == 0
    page.goto(f"{horizon_server.url}/admin/desktops/{server['id']}/")
    assert "experiment-a" in page.inner_text(".heps-fleet-detail")


def test_gpu_capacity_flags_an_idle_gpu_and_shelves_it(admin_page, horizon_server, alice,
                                                       admin, server_factory):
    name = f"br-cap-{uuid.uuid4().hex[:6]}"
    server = server_factory.create(alice, name, flavor="heps.vgpu.a16")
    page = admin_page
    page.goto(f"{horizon_server.url}/admin/gpu_capacity/")
    assert page.locator(".heps-capacity-class[data-resource-class='VGPU'] svg").count() == 1
    assert page.locator(".heps-capacity-class[data-resource-class='CUSTOM_HEPS_GPU_A100']"
                        ).count() == 1
    row = page.locator("#holders tbody tr", has_text=name)
    row.wait_for()
    assert "Idle GPU" not in row.inner_text()

    nova(alice, "POST", f"/servers/{server['id']}/action", json={"os-stop": None})
    wait_server(alice, server["id"], ("SHUTOFF",))
    page.click(".heps-capacity-reload")  # the board reloads in place
    page.locator("#holders tbody tr", has_text=name).filter(has_text="Idle GPU").wait_for()
    page.screenshot(path=str(ARTIFACTS / "admin-gpu-capacity.png"), full_page=True)

    page.click(f"#holders__row_{server['id']}__action_shelve")
    page.click(".modal-footer .btn-danger, .modal-footer .btn-primary")
    page.wait_for_load_state("domcontentloaded")
    wait_server(alice, server["id"], ("SHELVED_OFFLOADED",), timeout=120)
    _wait_freed(admin, server["id"])
    page.goto(f"{horizon_server.url}/admin/gpu_capacity/")
    assert page.locator("#holders tbody tr", has_text=name).count() == 0


def test_a_member_is_refused(login, horizon_server):
    page = login("alice")
    for path in ("/admin/desktops/", "/admin/gpu_capacity/"):
        response = page.goto(f"{horizon_server.url}{path}")
        assert response.status == 403, path
        assert "not authorized" in page.inner_text("body")
        assert page.locator("#fleet, #holders").count() == 0
