"""Set-up for benchmarks/display_fidelity.py: Horizon, headless Chromium logged in as
alice, one CPU-profile desktop (deleted at the end), and nova's stock noVNC as a
baseline. Reuses the test suite's dev-cloud helpers (tests/cloud_fixtures.py)."""

import contextlib
import dataclasses
import json
import os
import pathlib
import socket
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import cloud_fixtures  # noqa: E402
from browser.conftest import CHROMIUM  # noqa: E402
from browser.conftest import CHROMIUM_ARGS  # noqa: E402
from browser.conftest import horizon_login  # noqa: E402

STOCK = "nova-novnc-q9"
STOCK_PARAMS = "&autoconnect=true&quality=9&compression=0&resize=off&view_only=0"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def horizon(url):
    """A Horizon to use: ``url``, or scripts/horizon-serve on a free port."""
    if url:
        yield url.rstrip("/")
        return
    port = _free_port()
    log_path = REPO / "test-artifacts" / f"bench-fidelity-horizon-{port}.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(REPO / "scripts" / "horizon-serve"), str(port)],
                                stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 300
            while not cloud_fixtures.http_ok(base + "/auth/login/", timeout=5):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Horizon did not start; see {log_path}")
                time.sleep(1)
            yield base
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=30)


@dataclasses.dataclass
class Session:
    page: object
    base_url: str
    server_id: str
    alice: object

    def stock_novnc(self, pictures, out_dir):
        """nova's own noVNC (Debian 1.3) at quality 9 / compression 0: the plugin's old
        "Best", for comparison. Not through the plugin (its page is nova's)."""
        import display_fidelity as fidelity
        body = {"remote_console": {"protocol": "vnc", "type": "novnc"}}
        url = cloud_fixtures.nova(self.alice, "POST",
                                  f"/servers/{self.server_id}/remote-consoles",
                                  json=body)["remote_console"]["url"]
        page = self.page
        page.goto(url.replace("vnc_lite.html", "vnc.html") + STOCK_PARAMS)
        page.wait_for_function("() => document.querySelector('#noVNC_container canvas')"
                               " || document.querySelector('canvas')", timeout=45000)
        rows = []
        for name, (source, path) in pictures.items():
            fidelity.show_image(self.server_id, path, "vnc")
            got = fidelity.settled_picture(page, page.main_frame, source)
            result = fidelity.compare(source, got)
            got.save(out_dir / f"{name}-{STOCK}-received.png")
            result["difference"].save(out_dir / f"{name}-{STOCK}-difference.png")
            rows += [fidelity._row(f"{STOCK}/{name}", "differing_pixels",
                                   result["differing_pixels"], "px"),
                     fidelity._row(f"{STOCK}/{name}", "max_abs_error",
                                   result["max_abs_error"], "levels"),
                     fidelity._row(f"{STOCK}/{name}", "psnr",
                                   round(result["psnr_db"], 2), "dB")]
        return rows


def _devcloud():
    state = cloud_fixtures.state_dir()
    if not cloud_fixtures.http_ok(cloud_fixtures.KEYSTONE_URL):
        raise RuntimeError("no dev cloud answers (make cloud-up)")
    cloud = cloud_fixtures.DevCloud(state=state)
    cloud.manifest = json.loads((state / "seed-manifest.json").read_text())
    return cloud


@contextlib.contextmanager
def bench_session(horizon_url=None):
    from playwright.sync_api import sync_playwright
    sys.path.insert(0, str(REPO / "benchmarks"))
    cloud = _devcloud()
    alice = cloud.connect("devcloud-alice")
    factory = cloud_fixtures.ServerFactory(cloud)
    try:
        server = factory.create(alice, f"bench-fidelity-{int(time.time()) % 10**6}")
        with horizon(horizon_url) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         headless=True)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                horizon_login(page, base, "alice", cloud.password("alice"))
                yield Session(page, base, server["id"], alice)
            finally:
                browser.close()
    finally:
        factory.cleanup()

