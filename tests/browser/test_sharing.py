"""Share Desktop in Chromium: alice shares her desktop view-only with a second member of
experiment-a (a temporary keystone user); the member sees it in the list (not greyed),
opens the Console tab and gets noVNC with ``view_only=1`` drawing the desktop; a third
member sees it greyed and cannot open it."""

import time

import pytest
from cloud_fixtures import ARTIFACTS
from integration import temp_users

from browser.conftest import CANVAS_DRAWN
from browser.conftest import horizon_login

pytestmark = pytest.mark.browser

PROJECT = "experiment-a"


def _choose(page, select, value):
    """Horizon's themable select hides the <select>: set it as its dropdown does."""
    page.eval_on_selector(select, """(s, value) => { s.value = value;
        s.dispatchEvent(new Event('change', {bubbles: true})); }""", value)


def _console_frame(page, timeout=45):
    """The noVNC frame of the Console tab, once its canvas draws."""
    deadline = time.monotonic() + timeout
    while True:
        for frame in page.frames:
            if "vnc" in frame.url and frame.evaluate(CANVAS_DRAWN):
                return frame
        assert time.monotonic() < deadline, "the shared console drew nothing"
        page.wait_for_timeout(250)


def test_share_view_only(login, pages, horizon_server, alice, admin, devcloud,
                         server_factory):
    desktop = server_factory.create(alice, f"br-share-{int(time.time()) % 10**6}")
    detail = f"{horizon_server.url}/project/desktops/{desktop['id']}/"
    with temp_users.temporary_member(admin, PROJECT, "heps-br-viewer") as (viewer, secret), \
            temp_users.temporary_member(admin, PROJECT, "heps-br-other") as (other, other_pw):
        owner = login("alice")
        owner.goto(detail)
        owner.click("a.heps-share-button")
        owner.wait_for_selector("#share_desktop_form")
        grantee = owner.locator("#id_grantee")
        if grantee.evaluate("e => e.tagName") == "SELECT":
            _choose(owner, "#id_grantee", viewer.id)
        else:  # this Horizon may not list the project's members: the user id
            grantee.fill(viewer.id)
        _choose(owner, "#id_level", "view")
        owner.click("#share_desktop_form button[type=submit], "
                    "#share_desktop_form input[type=submit]")
        owner.locator(f".heps-grants tr[data-user-id='{viewer.id}']").wait_for()

        page = pages()
        horizon_login(page, horizon_server.url, viewer.name, secret)
        page.goto(f"{horizon_server.url}/project/desktops/")
        row = page.locator(f"#desktops__row__{desktop['id']}")
        assert "heps-foreign-desktop" not in (row.get_attribute("class") or "")
        assert "Shared with you" in row.inner_text() or "view" in row.inner_text()
        page.goto(detail + "?tab=desktop_details__console")
        page.locator(".heps-console-mode[data-mode='view']").wait_for()
        src = page.locator("iframe.heps-console-frame").get_attribute("src")
        assert "view_only=1" in src
        _console_frame(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "console-shared-view-only.png"))

        third = pages()
        horizon_login(third, horizon_server.url, other.name, other_pw)
        third.goto(f"{horizon_server.url}/project/desktops/")
        row = third.locator(f"#desktops__row__{desktop['id']}")
        assert "heps-foreign-desktop" in row.get_attribute("class")
        assert "someone else" in row.inner_text()
        third.goto(detail)
        assert third.url.rstrip("/").endswith("/project/desktops")
        assert "someone else" in third.locator(".messages, .alert").all_inner_texts().__str__()
