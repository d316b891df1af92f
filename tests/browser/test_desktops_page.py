"""Real Horizon in headless Chromium: login, the panel, per-project lists."""

import time

import pytest

from browser.conftest import horizon_login

pytestmark = pytest.mark.browser

PANEL_URL = "/project/desktops/"


@pytest.mark.smoke
def test_alice_logs_in_through_the_form_and_sees_the_panel(pages, horizon_server,
                                                           devcloud):
    page = pages()
    horizon_login(page, horizon_server.url, "alice", devcloud.password("alice"))
    sidebar = page.locator("#sidebar")
    assert sidebar.get_by_text("Experiment Desktops").count() >= 1
    link = sidebar.locator(f'a[href$="{PANEL_URL}"]')
    assert link.count() == 1
    link.first.evaluate("a => a.click()")  # the panel group may be collapsed
    page.wait_for_url(f"**{PANEL_URL}")
    assert page.locator("table#desktops").is_visible()


def _rows_text(page, base_url):
    resp = page.goto(base_url + PANEL_URL)
    assert resp.status == 200, resp.status
    table = page.locator("table#desktops")
    table.wait_for()
    return table.inner_text()


def test_desktop_shows_for_its_project_only(login, horizon_server, alice,
                                            server_factory):
    stamp = int(time.time() * 1000) % 10**8
    desktop = server_factory.create(alice, f"br-desktop-{stamp}")
    plain = server_factory.create(alice, f"br-plain-{stamp}", flavor="m1.small",
                                  image="cirros-plain", desktop=False)

    text = _rows_text(login("alice"), horizon_server.url)
    assert desktop["name"] in text
    assert plain["name"] not in text

    text = _rows_text(login("bob"), horizon_server.url)
    assert desktop["name"] not in text


def test_reader_sees_the_experiments_desktops_read_only(login, horizon_server, alice,
                                                         server_factory, devcloud):
    stamp = int(time.time() * 1000) % 10**8
    desktop = server_factory.create(alice, f"br-read-{stamp}")
    page = login("reader")  # reader role on both experiments
    # Horizon scopes a login to whichever project keystone lists first: switch to
    # experiment-a explicitly, as a reader of both would from the project menu.
    project = devcloud.project_id("experiment-a")
    page.goto(f"{horizon_server.url}/auth/switch/{project}/?next={PANEL_URL}")
    assert desktop["name"] in _rows_text(page, horizon_server.url)
    assert page.locator("table#desktops").get_by_text("Launch Desktop").count() == 0
