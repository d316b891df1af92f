"""A scientist's whole round trip in real Horizon on the dev cloud (headless Chromium):
log in, launch a desktop from the panel's "Launch Desktop" modal (CPU profile, otherwise
the defaults); Launch leads straight to the new desktop's Console tab, which shows the
boot progress and then the desktop's real framebuffer with no further click (noVNC),
then SPICE; the list shows it Active; delete it from its detail page.
"""

import time

import pytest
from cloud_fixtures import ARTIFACTS
from cloud_fixtures import nova

from browser.conftest import CANVAS_DRAWN
from browser.test_console_quality import TAB
from browser.test_console_quality import _console_frame
from browser.test_console_quality import _wait_drawn

pytestmark = pytest.mark.browser


def _server_by_name(conn, name):
    found = nova(conn, "GET", f"/servers/detail?name=^{name}$")["servers"]
    return found[0] if found else None


def _drawn(frame):
    try:
        return frame.evaluate(CANVAS_DRAWN)
    except Exception:  # a frame navigating away: look again next time
        return False


def _wait_any_canvas_drawn(page, shot, timeout=90):
    """Some frame of the page (the console's) draws pixels; nothing is clicked."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(_drawn(frame) for frame in page.frames):
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(shot))
            return
        page.wait_for_timeout(100)
    page.screenshot(path=str(shot))
    raise AssertionError(f"no console pixels on the launched desktop's page ({shot})")


def _wait_spice_drawn(page, shot):
    """spice-html5 on the dev cloud's freshly started SPICE display now and then draws
    nothing on its first connection (about one run in six; its websocket channels all
    connect): as a user would, the console is reloaded once, and the test says so."""
    try:
        _wait_drawn(page, _console_frame(page, 6082), shot, timeout=20)
    except AssertionError:
        print("SPICE console blank after 20 s: reloading it once")
        _console_frame(page, 6082).evaluate("location.reload()")
        page.wait_for_timeout(500)
        _wait_drawn(page, _console_frame(page, 6082), shot)


@pytest.mark.smoke
def test_launch_watch_console_delete(login, horizon_server, alice, devcloud):
    name = f"br-flow-{int(time.time()) % 10**6}"
    page = login("alice")
    page.goto(f"{horizon_server.url}/project/desktops/")
    try:
        page.click("#desktops__action_launch")
        page.wait_for_selector("#launch_desktop_form")
        # Horizon's themable select hides the <select>: pick the CPU-only profile on it.
        picked = page.eval_on_selector(
            "#id_profile",
            """s => { const o = [...s.options].find(o => o.text.includes('heps.cpu.std'));
                      s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true}));
                      return o.value; }""")
        assert picked
        page.fill("#id_name", name)
        page.click("#launch_desktop_form button[type=submit], "
                   "#launch_desktop_form input[type=submit]")
        # Launch leads to the new desktop's Console tab: boot progress, then the console
        # connects by itself (no reload, no second click).
        page.wait_for_url(f"**/project/desktops/*/?tab={TAB}", timeout=60_000)
        assert page.locator(f"li.active a[data-target='#{TAB}']").count() == 1
        server = _server_by_name(alice, name)
        assert server["tags"] == ["heps-desktop"]
        assert server["user_id"] == devcloud.manifest["users"]["alice"]  # the owner
        assert "heps:owner" not in server["metadata"]
        assert server["metadata"]["heps:expires_sig"].startswith("v1 l ")
        assert f"/project/desktops/{server['id']}/" in page.url
        _wait_any_canvas_drawn(page, ARTIFACTS / "flow-launch-connect.png")
        assert page.locator(".heps-launch-progress").count() == 0
        page.click(".heps-console-protocol[data-protocol='SPICE']")
        _wait_spice_drawn(page, ARTIFACTS / "flow-console-spice.png")
        page.click(".heps-console-protocol[data-protocol='VNC']")
        page.goto(f"{horizon_server.url}/project/desktops/")
        page.wait_for_function(
            "name => [...document.querySelectorAll('#desktops tbody tr')].some("
            "r => r.innerText.includes(name) && r.innerText.includes('Active'))",
            arg=name, timeout=30_000)
        page.click(f"#desktops a:text('{name}')")
        page.wait_for_selector(f"a[data-target='#{TAB}']")

        # Delete from the detail page, confirming in Horizon's dialog.
        page.click(".detail-actions .dropdown-toggle", timeout=5_000) \
            if page.locator(".detail-actions .dropdown-toggle").count() else None
        page.click(f"#desktops__row_{server['id']}__action_delete")
        page.click(".modal-footer .btn-danger, .modal-footer .btn-primary")
        page.wait_for_url(f"{horizon_server.url}/project/desktops/**")
        deadline = time.monotonic() + 90
        while _server_by_name(alice, name) and time.monotonic() < deadline:
            time.sleep(1)
        assert _server_by_name(alice, name) is None
    finally:
        leftover = _server_by_name(alice, name)
        if leftover:
            nova(alice, "DELETE", f"/servers/{leftover['id']}")
