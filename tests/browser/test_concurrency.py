"""Two browsers on the SAME desktop at once (real Horizon, headless Chromium, two
separate logins of its owner alice — each a browser context of its own): both submit
Launch Desktop with the same name at the same moment, both attach the experiment's
data to it at once, and both delete it at once while the attach is still being
carried out. Every round: no HTTP 500 in either browser, and nothing of the round's
desktops left (access rules, share attachments, ports, unused ``heps-exp-*`` groups)
once the reconciler has passed, checked through the real APIs
(tests/integration/leftovers.py).

``make test`` runs HEPS_CONCURRENCY_ROUNDS (default 1: a round took 2½ minutes on the
shared 2-core machine, load ~9); ``make soak`` runs HEPS_SOAK_CONCURRENCY_ROUNDS
(default 20). Two launches submitted in the same moment can both pass the plugin's
double-submit check (a read, then a create): the twin is deleted and counted.
"""

import os
import time

import pytest
from cloud_fixtures import nova
from cloud_fixtures import wait_until
from integration import leftovers
from integration import reconciler_support

from browser.conftest import horizon_login
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import mounts

pytestmark = pytest.mark.browser

EXPERIMENT = "2026-0142"
PROFILE = "heps.cpu.std"
# Clicks a button on the next tick, so the call returns before the request leaves:
# both browsers' requests are then in flight together.
CLICK_SOON = "sel => setTimeout(() => document.querySelector(sel).click(), 0)"
CONFIRM = ".modal-footer .btn-danger, .modal-footer .btn-primary"
CHOOSE = """([sel, text]) => { const s = document.querySelector(sel);
    const o = [...s.options].find(o => o.text.includes(text) || o.value === text);
    s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true})); }"""


class Browser:
    """One browser context logged in as alice, recording every answer >= 500."""

    def __init__(self, page, base):
        self.page, self.base, self.errors = page, base, []
        page.on("response", lambda r: r.status >= 500 and self.errors.append(
            f"{r.status} {r.request.method} {r.url}"))

    def form(self, path, form_id):
        """A modal form opened as its own page (what a browser without the modal gets)."""
        self.page.goto(self.base + path)
        self.page.wait_for_selector(f"#{form_id}")


def at_once(browsers, selector):
    """Both browsers click ``selector`` in the same moment; returns once both pages
    have loaded what their request answered."""
    with browsers[0].page.expect_navigation(wait_until="domcontentloaded", timeout=120_000), \
            browsers[1].page.expect_navigation(wait_until="domcontentloaded", timeout=120_000):
        for browser in browsers:
            browser.page.evaluate(CLICK_SOON, selector)


def _servers(admin, name):
    return [s for s in leftovers.servers_named(admin, name) if s["name"] == name]


def _wait(check, timeout, what):
    return wait_until(check, timeout, what=what)


def _round(browsers, admin, name):
    for browser in browsers:
        browser.form("/project/desktops/launch/", "launch_desktop_form")
        browser.page.evaluate(CHOOSE, ["#id_profile", PROFILE])
        browser.page.fill("#id_name", name)
    at_once(browsers, "#launch_desktop_form [type=submit]")
    made = _wait(lambda: _servers(admin, name), 60, f"{name} launched")
    desktop = made[0]["id"]
    _wait(lambda: all(nova(admin, "GET", f"/servers/{s['id']}")["server"]["status"]
                      == "ACTIVE" for s in made), 120, f"{name} active")

    for browser in browsers:
        browser.form(f"/project/desktops/{desktop}/experiment/attach/",
                     "attach_experiment_form")
        browser.page.evaluate(CHOOSE, ["#id_experiment", EXPERIMENT])
    at_once(browsers, "#attach_experiment_form [type=submit]")
    state = nova(admin, "GET", f"/servers/{desktop}")["server"]["metadata"].get(
        names.META_DATA_STATE)
    assert state in (mounts.STATE_ATTACHING, mounts.STATE_ATTACHED), state

    # both delete it at once, while the reconciler may still be granting the data
    for browser in browsers:
        browser.page.goto(f"{browser.base}/project/desktops/{desktop}/")
        if browser.page.locator(".detail-actions .dropdown-toggle").count():
            browser.page.click(".detail-actions .dropdown-toggle")
        browser.page.click(f"#desktops__row_{desktop}__action_delete")
        browser.page.wait_for_selector(CONFIRM)
    at_once(browsers, CONFIRM)
    for server in made:   # a twin the double-submit check let through goes too
        if server["id"] != desktop:
            nova(admin, "DELETE", f"/servers/{server['id']}", ok=(204, 404))
    _wait(lambda: not _servers(admin, name), 120, f"{name} deleted")
    return [s["id"] for s in made]


def run_rounds(count, pages, horizon_server, devcloud, admin, ops):
    browsers = []
    for _ in range(2):
        page = pages()
        page.context.set_default_timeout(120_000)   # two browsers on a busy 2-core box
        horizon_login(page, horizon_server.url, "alice", devcloud.password("alice"))
        browsers.append(Browser(page, horizon_server.url))
    prefix = leftovers.unique("br-twice")
    ids = []
    t0 = time.monotonic()
    try:
        for number in range(count):
            ids += _round(browsers, admin, f"{prefix}-{number:02d}")
    except BaseException:
        for server in leftovers.servers_named(admin, prefix):
            nova(admin, "DELETE", f"/servers/{server['id']}", ok=(204, 404))
        raise
    reconciler_support.run_pass(ops, only=("deletes", "orphans", "network"))
    print(f"\n{count} rounds in {time.monotonic() - t0:.0f} s; "
          f"{len(ids) - count} double launch(es)")
    assert browsers[0].errors + browsers[1].errors == []
    assert leftovers.half_made(admin, prefix) == []
    assert leftovers.of_desktops(admin, devcloud, ids) == []


@pytest.fixture
def ops(settings, devcloud, monkeypatch):
    return reconciler_support.settings_for(settings, devcloud, monkeypatch)


def test_two_browsers_on_one_desktop(pages, horizon_server, devcloud, admin, ops):
    run_rounds(int(os.environ.get("HEPS_CONCURRENCY_ROUNDS", "1")), pages, horizon_server,
               devcloud, admin, ops)


@pytest.mark.soak
def test_two_browsers_on_one_desktop_soak(pages, horizon_server, devcloud, admin, ops):
    run_rounds(int(os.environ.get("HEPS_SOAK_CONCURRENCY_ROUNDS", "20")), pages,
               horizon_server, devcloud, admin, ops)
