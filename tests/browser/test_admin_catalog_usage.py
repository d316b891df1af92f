"""Admin › Golden Images and Admin › Usage in real Horizon on the dev cloud (headless
Chromium): the seeded golden images with their checklist and a candidate, the usage page
with its chart and a CSV download, the project's Usage button and page for a member, and
Horizon's refusal of the admin URLs for that member."""

import pytest
from cloud_fixtures import ARTIFACTS
from integration.horizon_request import credentials

from browser.conftest import horizon_login

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_page(pages, horizon_server, devcloud):
    page = pages()
    horizon_login(page, horizon_server.url, "admin", credentials(devcloud, "admin")["password"])
    return page


def test_golden_images_with_checklists(admin_page, horizon_server):
    page = admin_page
    page.goto(f"{horizon_server.url}/admin/golden_images/")
    row = page.locator("#golden tbody tr", has_text="heps-imaging-desktop-2026.1")
    row.wait_for()
    assert row.locator('[data-check="video"].heps-check-pass').count() == 1
    assert row.locator('[data-check="gpu_driver"]').get_attribute("title").startswith("warn")
    assert page.locator("#candidates tbody tr", has_text="cirros-plain").count() == 1
    page.screenshot(path=str(ARTIFACTS / "admin-golden-images.png"), full_page=True)
    row.get_by_role("link", name="heps-imaging-desktop-2026.1").click()
    page.wait_for_selector(".heps-checklist-table")
    assert page.locator(".heps-check-row").count() == 10


def test_usage_page_chart_and_csv(admin_page, horizon_server):
    page = admin_page
    page.goto(f"{horizon_server.url}/admin/desktop_usage/")
    page.wait_for_selector("svg.heps-usage-bars")
    assert page.locator("#usage tbody tr").count() >= 1
    page.select_option("#heps-usage-group", "experiment")
    page.click("button:has-text('Show')")
    page.wait_for_selector("svg.heps-usage-bars")
    assert "group=experiment" in page.url
    with page.expect_download() as download:
        page.click("#usage__action_csv")
    path = download.value.path()
    header = open(path, encoding="utf-8").readline()
    assert header.startswith("period_start,period_end,group,project_id")
    page.screenshot(path=str(ARTIFACTS / "admin-usage.png"), full_page=True)


def test_member_has_the_project_usage_and_is_refused_the_admin_panels(login,
                                                                       horizon_server):
    page = login("alice")
    page.goto(f"{horizon_server.url}/project/desktops/")
    page.click("#desktops__action_usage")
    page.wait_for_selector("svg.heps-usage-bars")
    assert page.url.endswith("/project/desktops/usage/")
    for path in ("/admin/golden_images/", "/admin/desktop_usage/",
                 "/admin/desktop_usage/csv/"):
        response = page.goto(f"{horizon_server.url}{path}")
        assert response.status == 403, path
        assert "not authorized" in page.inner_text("body")
