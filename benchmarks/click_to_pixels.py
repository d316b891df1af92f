"""Click-to-pixels: from pressing Launch to the first console pixels, panel vs bare nova.

- panel: in headless Chromium, logged in to Horizon as the bench user, Launch Desktop
  (the tiny bench profile, a ``bench-c2p-*`` name, every other field its default), the
  clock starts at the click on Launch and stops when a canvas on the page the browser
  lands on (the Console tab's noVNC) shows more than one colour. Nothing else is
  clicked: Launch leads to the Console tab, which connects by itself.
- bare nova (the floor): POST /servers, GET it until ACTIVE, POST remote-consoles,
  open nova's noVNC URL in the same browser, until its canvas shows pixels.

Rounds alternate between the two in the same run; medians and the ratio are reported,
never asserted. Servers are deleted after each round.
"""

import statistics
import time
import uuid

import c2p_timeline
import common

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
CONSOLE_TAB = "desktop_details__console"
NOVNC_PARAMS = "autoconnect=true&resize=scale&quality=9&compression=0"
POLL_S = 0.05

# true once some canvas has more than one colour in a sample grid (as the browser tests)
CANVAS_DRAWN = (common.REPO / "benchmarks" / "canvas_drawn.js").read_text()


def _drawn(frame):
    try:
        return frame.evaluate(CANVAS_DRAWN)
    except Exception:  # a frame navigating away: look again
        return False


def wait_pixels(page, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(_drawn(frame) for frame in page.frames):
            return time.perf_counter()
        page.wait_for_timeout(POLL_S * 1000)
    raise RuntimeError("no console pixels")


def login(page, base):
    page.goto(f"{base}/auth/login/")
    page.fill("#id_username", common.USER)
    page.fill("#id_password", common.bench_password())
    page.click("#loginBtn")
    page.wait_for_load_state("domcontentloaded")
    if "/auth/login" in page.url:
        raise RuntimeError("bench user could not log in to Horizon")


def panel_once(page, base, name):
    page.goto(f"{base}/project/desktops/")
    page.click("#desktops__action_launch")
    page.wait_for_selector("#launch_desktop_form")
    picked = page.eval_on_selector(
        "#id_profile",
        """(s, flavor) => { const o = [...s.options].find(o => o.text.includes(flavor));
                  if (!o) return ''; s.value = o.value;
                  s.dispatchEvent(new Event('change', {bubbles: true})); return o.value; }""",
        common.FLAVOR)
    if not picked:
        raise RuntimeError(f"profile {common.FLAVOR} not offered in Launch Desktop")
    page.fill("#id_name", name)
    timeline = c2p_timeline.Timeline().watch(page)
    page.click("#launch_desktop_form button[type=submit], "
               "#launch_desktop_form input[type=submit]")
    try:
        page.wait_for_url(f"**/?tab={CONSOLE_TAB}", timeout=120_000)
    except Exception:
        errors = page.locator("#launch_desktop_form .error, #launch_desktop_form "
                              ".alert-danger, .messages .alert").all_inner_texts()
        (common.REPO / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(common.REPO / "test-artifacts" / "bench-c2p-failed.png"))
        raise RuntimeError(f"Launch did not lead to the Console tab: {errors}") from None
    timeline.mark("detail")
    return _until_pixels(page, timeline, to_console_tab_s=time.perf_counter())


def _until_pixels(page, timeline, navigate=None, **moments):
    """(Open the console with ``navigate``,) wait for its pixels; the round's figures,
    ``moments`` (perf_counter values) as seconds from the click."""
    try:
        if navigate:
            navigate()
        pixels = wait_pixels(page)
    finally:
        timeline.unwatch(page)
    timeline.mark("pixels")
    return {"total_s": pixels - timeline.start, "steps": timeline.seconds(),
            **{key: value - timeline.start for key, value in moments.items()}}


def _get(conn, path):
    return conn.compute.get(path, microversion=common.COMPUTE_VERSION).json()


def bare_once(page, conn, name, flavor, net, image):
    timeline = c2p_timeline.Timeline()
    start = timeline.start
    server_id = common.create(conn, common.server_body(name, flavor, net, image))["id"]
    while True:
        server = _get(conn, f"/servers/{server_id}")["server"]
        if server["status"] == "ACTIVE":
            break
        if server["status"] == "ERROR" or time.perf_counter() - start > 300:
            raise RuntimeError(f"bare nova server {server_id}: {server['status']}")
        time.sleep(POLL_S)
    active = time.perf_counter()
    timeline.mark("active")
    console = conn.compute.post(
        f"/servers/{server_id}/remote-consoles",
        json={"remote_console": {"protocol": "vnc", "type": "novnc"}},
        microversion=common.COMPUTE_VERSION)
    console.raise_for_status()
    url = console.json()["remote_console"]["url"]
    timeline.mark("console_url")
    timeline.watch(page)
    return _until_pixels(
        page, timeline, to_active_s=active,
        navigate=lambda: page.goto(url + ("&" if "?" in url else "?") + NOVNC_PARAMS))


def _cleanup(conn):
    for server in common.bench_servers(conn):
        if server.name.startswith("bench-c2p-"):
            conn.compute.delete_server(server, ignore_missing=True)


def _median(rows, key):
    values = [row[key] for row in rows if key in row]
    return statistics.median(values) if values else None


def run(base, conn, flavor, net, image, rounds=3):
    """{"panel": [...], "bare": [...], medians and the ratio panel / bare}."""
    from playwright.sync_api import sync_playwright
    panel, bare, failed = [], [], 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            login(page, base)
            bare_page = browser.new_context(viewport={"width": 1280, "height": 900}) \
                .new_page()
            for index in range(rounds):
                suffix = uuid.uuid4().hex[:6]
                try:  # a round hit by a service outage is left out, not the run
                    one = panel_once(page, base, f"bench-c2p-panel-{suffix}")
                    other = bare_once(bare_page, conn, f"bench-c2p-nova-{suffix}", flavor,
                                      net, image)
                except Exception as exc:
                    print(f"  round {index + 1} failed: {exc}", flush=True)
                    failed += 1
                else:
                    panel.append(one)
                    bare.append(other)
                    print(f"  round {index + 1}: panel {one['total_s']:.2f} s "
                          f"{one['steps']}, bare nova {other['total_s']:.2f} s "
                          f"{other['steps']}", flush=True)
                page.goto("about:blank")
                bare_page.goto("about:blank")
                _cleanup(conn)
        finally:
            browser.close()
            _cleanup(conn)
    if not panel:
        raise RuntimeError(f"every click-to-pixels round failed ({failed})")
    result = {"rounds": len(panel), "failed_rounds": failed, "panel": panel, "bare": bare,
              "panel_s": _median(panel, "total_s"), "bare_s": _median(bare, "total_s"),
              "panel_to_console_tab_s": _median(panel, "to_console_tab_s"),
              "bare_to_active_s": _median(bare, "to_active_s")}
    result["panel_over_bare"] = result["panel_s"] / result["bare_s"]
    result["panel_steps"] = _median_steps(panel, c2p_timeline.PANEL_STEPS)
    result["bare_steps"] = _median_steps(bare, c2p_timeline.BARE_STEPS)
    return result


def _median_steps(rows, steps):
    """[(step's label, median seconds from the click)] over the rounds that reached it."""
    found = []
    for step, label in steps:
        values = [row["steps"][step] for row in rows if step in row.get("steps", {})]
        if values:
            found.append((label, statistics.median(values)))
    return found
