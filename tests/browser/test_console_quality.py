"""The desktop Console tab in real Horizon on the dev cloud (headless Chromium): the
plugin's own noVNC console page embedded at Lossless (1:1 pixels), keyboard focus, full
screen, fit / 1:1 scaling, the clipboard both ways, a per-user quality choice that
survives a reload, the SPICE (spice-html5) switch, and — where the Horizon under test
configures a native SPICE proxy — the spice-direct .vv download.

The consoles draw the fake GPU driver's real Xvnc / Xspice displays through nova's
websocket proxies (noVNC: the plugin's page; SPICE: nova's spice-html5). Screenshots go
to test-artifacts/.
"""

import re
import sys
import time

import pytest
from cloud_fixtures import ARTIFACTS
from cloud_fixtures import REPO
from cloud_fixtures import ServerFactory
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import state_dir
from cloud_fixtures import wait_server

from browser.conftest import CANVAS_DRAWN

sys.path.insert(0, str(REPO / "devcloud" / "python"))
from heps_devcloud import painter  # noqa: E402
from heps_devcloud import xclipboard  # noqa: E402

pytestmark = pytest.mark.browser

TAB = "desktop_details__console"
CLIENT_PATH = "/project/desktops/console/vnc/"   # the plugin's console page (VNC)
NOVNC_PORT = 6080

FRAME_SRC = ("() => (document.querySelector('.heps-console iframe.heps-console-frame')"
             " || {}).src || ''")


@pytest.fixture(scope="module")
def desktop(alice, devcloud):
    factory = ServerFactory(devcloud)
    server = factory.create(alice, f"br-console-q-{int(time.time()) % 10**6}")
    yield server
    factory.cleanup()


def _console_frame(page, port, timeout=30):
    """The console's frame: the plugin's page for VNC (``port`` 6080, nova's noVNC
    proxy, which the page talks to), nova's own page for any other port (SPICE)."""
    needle = CLIENT_PATH if port == NOVNC_PORT else f"127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if needle in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"no console frame matching {needle}")


def _wait_drawn(page, frame, shot, timeout=45):
    deadline = time.monotonic() + timeout
    while not frame.evaluate(CANVAS_DRAWN):
        if time.monotonic() > deadline:
            page.screenshot(path=str(shot))
            raise AssertionError(f"console canvas still blank after {timeout} s ({shot})")
        page.wait_for_timeout(250)
    page.wait_for_timeout(500)  # let the first full frame land for the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(shot))


def _wait_src(page, needle):
    page.wait_for_function(f"() => ({FRAME_SRC})().includes({needle!r})")
    return page.evaluate(FRAME_SRC)


def test_console_tab_novnc_quality_focus_and_spice(login, horizon_server, admin,
                                                   desktop):
    page = login("alice")
    base = f"{horizon_server.url}/project/desktops/{desktop['id']}/"
    page.goto(base + "?tab=desktop_details__overview")

    # The tab loads lazily and its response is never cached (the URL carries a token).
    with page.expect_response(lambda r: f"tab={TAB}" in r.url) as info:
        page.click(f"a[data-target='#{TAB}']")
    assert "no-store" in info.value.headers.get("cache-control", "")

    src = _wait_src(page, "quality=")
    assert CLIENT_PATH + "#ws=" in src and "quality=lossless" in src and "jpeg=&" in src
    assert "token=" not in src.split("#")[0]      # the token is only in the fragment
    frame = _console_frame(page, NOVNC_PORT)
    _wait_drawn(page, frame, ARTIFACTS / "console-tab-novnc.png")
    # the page connected through nova's proxy, lossless at 1:1 pixels
    assert frame.evaluate("() => [hepsConsole.status, hepsConsole.quality, "
                          "hepsConsole.rfb.scaleViewport]") == ["connected", "lossless",
                                                                 False]
    # keyboard focus: the frame in Horizon's page, noVNC's canvas inside it
    assert page.evaluate("() => document.activeElement.classList.contains("
                         "'heps-console-frame')")
    assert frame.evaluate("() => document.activeElement.tagName") == "CANVAS"
    # scaling: fit, and back to 1:1
    frame.click(".heps-client-scale[data-scale='fit']")
    assert frame.evaluate("() => hepsConsole.rfb.scaleViewport") is True
    frame.click(".heps-client-scale[data-scale='1:1']")
    assert frame.evaluate("() => hepsConsole.rfb.scaleViewport") is False
    _clipboard_both_ways(frame, _vnc_display(admin, desktop["id"]))
    # full screen / open in new tab
    page.click(".heps-console-fullscreen")
    page.wait_for_function("() => document.fullscreenElement !== null")
    page.evaluate("() => document.exitFullscreen()")
    assert page.eval_on_selector(".heps-console-newtab", "a => a.href") == page.evaluate(FRAME_SRC)
    assert page.get_attribute(".heps-console-newtab", "target") == "_blank"

    # Low bandwidth: a fresh console with JPEG level 2 / compression 9, remembered
    page.select_option(".heps-console-quality", "low")
    _wait_src(page, "quality=low")
    frame = _console_frame(page, NOVNC_PORT)
    _wait_drawn(page, frame, ARTIFACTS / "console-tab-novnc-low.png")
    assert frame.evaluate("() => [hepsConsole.rfb.qualityLevel, "
                          "hepsConsole.rfb.compressionLevel]") == [2, 9]
    page.goto(base + f"?tab={TAB}")
    src = page.evaluate(FRAME_SRC)
    assert "quality=low" in src and "jpeg=2" in src and "compression=9" in src
    assert page.eval_on_selector(".heps-console-quality", "e => e.value") == "low"
    page.select_option(".heps-console-quality", "lossless")
    _wait_src(page, "quality=lossless")

    # SPICE (spice-html5): no quality choice there, the picture draws too
    page.click(".heps-console-protocol[data-protocol='SPICE']")
    _wait_src(page, "spice_auto.html")
    assert page.locator(".heps-console-quality").count() == 0
    _wait_drawn(page, _console_frame(page, 6082), ARTIFACTS / "console-tab-spice.png")
    # back to VNC (the choice is remembered per user too)
    page.click(".heps-console-protocol[data-protocol='VNC']")
    _wait_src(page, "quality=lossless")


def _vnc_display(admin, server_id):
    """The X display number of the desktop's VNC display (heps_devcloud's pid file)."""
    host = nova(admin, "GET", f"/servers/{server_id}")["server"]["OS-EXT-SRV-ATTR:host"]
    return painter.display_number(str(state_dir() / "compute" / host), server_id, "vnc")


def _poll(check, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _clipboard_both_ways(frame, number):
    """Text from the browser into the desktop's clipboard (an X client there reads it)
    and from the desktop (an X client takes the selection) into the page's box."""
    frame.click(".heps-client-clipboard-toggle")
    sent = f"to the desktop {time.monotonic_ns()}"
    frame.fill("#heps-client-clipboard-text", sent)
    frame.click(".heps-client-clipboard-send")
    _poll(lambda: xclipboard.read(number) == sent, "the desktop never got the text")
    copied = f"from the desktop {time.monotonic_ns()} ü"
    owner = xclipboard.Owner(number, copied)
    try:
        _poll(lambda: frame.eval_on_selector("#heps-client-clipboard-text",
                                             "e => e.value") == copied,
              "the page never showed the desktop's clipboard")
    finally:
        owner.close()


def test_stopped_desktop_says_so(login, horizon_server, alice, devcloud):
    factory = ServerFactory(devcloud)
    try:
        server = factory.create(alice, f"br-console-off-{int(time.time()) % 10**6}")
        nova(alice, "POST", f"/servers/{server['id']}/action", json={"os-stop": None})
        wait_server(alice, server["id"], statuses=("SHUTOFF",))
        page = login("alice")
        page.goto(f"{horizon_server.url}/project/desktops/{server['id']}/?tab={TAB}")
        text = page.inner_text(".heps-console")
        assert "The desktop is not running: start it to open its console." in text
        assert page.locator(".heps-console iframe").count() == 0
    finally:
        factory.cleanup()


def test_spice_direct_vv_download(login, horizon_server, admin, desktop):
    """Only where the Horizon under test configures HEPS_DESKTOPS['spice_direct_proxy']
    (the dev cloud's nova offers 2.99): the .vv's password is a spice-direct token that
    nova resolves to this desktop's SPICE display."""
    page = login("alice")
    page.goto(f"{horizon_server.url}/project/desktops/{desktop['id']}/?tab={TAB}")
    page.wait_for_selector(".heps-console iframe")
    link = page.locator(".heps-console-vv")
    if not link.count():
        pytest.skip("this Horizon has no spice_direct_proxy configured: the .vv link is "
                    "hidden, as it should be")
    res = page.context.request.get(horizon_server.url + link.get_attribute("href"))
    assert res.status == 200
    assert res.headers["content-type"] == "application/x-virt-viewer"
    assert "no-store" in res.headers["cache-control"]
    body = res.text()
    assert body.startswith("[virt-viewer]\ntype=spice\n")
    token = re.search(r"^password=(\S+)$", body, re.M).group(1)
    found = call(admin.compute, "GET", f"/os-console-auth-tokens/{token}",
                 microversion="2.99")["console"]
    assert found["instance_uuid"] == desktop["id"]
    assert found["port"]
