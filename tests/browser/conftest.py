"""Browser tests: real Horizon (scripts/horizon-serve) on the dev cloud, driven
through Playwright with Debian's /usr/bin/chromium (tests never download
browsers: `apt-get install chromium` if it is missing).

Fixtures: ``chromium`` (session), ``login`` (function; ``login("alice")``
returns a logged-in page, reusing one saved login per user per session).
On a failed test every page the test opened is saved as a screenshot under
test-artifacts/.
"""

import json
import os
import re
import sys
import urllib.parse
import urllib.request

import pytest
from cloud_fixtures import ARTIFACTS
from cloud_fixtures import KEYSTONE_URL
from cloud_fixtures import REPO

CHROMIUM = os.environ.get("HEPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


# JS: true once some canvas on the page has more than one colour in a sample grid
# (shared with make bench's click-to-pixels)
CANVAS_DRAWN = (REPO / "benchmarks" / "canvas_drawn.js").read_text()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"heps_rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium "
                    "(the tests never download browsers)", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True)
        yield browser
        browser.close()


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


@pytest.fixture
def pages(chromium, request):
    """new_page(storage_state=None) -> page; screenshots on failure."""
    contexts = []

    def new_page(storage_state=None):
        ctx = chromium.new_context(storage_state=storage_state,
                                   viewport={"width": 1280, "height": 900},
                                   ignore_https_errors=True)
        ctx.set_default_timeout(30_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield new_page
    failed = any(getattr(getattr(request.node, f"heps_rep_{w}", None), "failed",
                         False) for w in ("setup", "call"))
    for i, ctx in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for j, page in enumerate(ctx.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / (
                        f"FAILED-{_safe(request.node.name)}-{i}{j}.png")),
                        full_page=True)
                except Exception as e:  # the page may be gone; keep tearing down
                    sys.stderr.write(f"screenshot of {page.url} failed: {e}\n")
        ctx.close()


def horizon_login(page, base_url, username, password):
    page.goto(f"{base_url}/auth/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    domain = page.locator("#id_domain")
    if domain.count() and domain.is_visible():
        domain.fill("Default")
    page.click("#loginBtn")
    page.wait_for_load_state("domcontentloaded")
    if "/auth/login" in page.url:
        errors = page.locator(".alert-danger, .help-block.error").all_inner_texts()
        raise AssertionError(f"login as {username} failed: {errors or page.url}")
    if username == "admin":
        # Horizon logs in to the first project keystone lists; the operator is also a
        # member of the experiment projects (archive backups): work in the admin project,
        # as an operator would, and stay on the page the login led to.
        landed = urllib.parse.urlsplit(page.url)
        next_path = landed.path + (f"?{landed.query}" if landed.query else "")
        project_id = _project_id(username, password, "admin")
        page.goto(f"{base_url}/auth/switch/{project_id}/?"
                  + urllib.parse.urlencode({"next": next_path}))
        page.wait_for_load_state("domcontentloaded")


def _project_id(username, password, project):
    """The id of ``project`` (Default domain), from a token scoped to it."""
    body = json.dumps({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": username, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}).encode()
    req = urllib.request.Request(f"{KEYSTONE_URL}/auth/tokens", data=body,  # noqa: S310
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 (loopback http)
        return json.load(resp)["token"]["project"]["id"]


_sessions = {}


@pytest.fixture
def login(pages, horizon_server, devcloud):
    """login(user) -> page logged in to Horizon as user (one form login per
    user per session, then the saved cookies)."""

    def do(user):
        state = _sessions.get(user)
        page = pages(storage_state=state)
        if state is None:
            horizon_login(page, horizon_server.url, user, devcloud.password(user))
            _sessions[user] = page.context.storage_state()
        return page

    return do
