"""Stored XSS, in Chromium, on every page of the plugin.

A desktop, its security group and port, two experiment shares, a golden image, a desktop
profile, a keystone user (then the desktop's share grantee) and a project are named with
script payloads (``<script>``, attribute breakouts, ``javascript:`` URLs, AngularJS
``{$ $}`` and Django template syntax, unicode) through the real APIs
(tests/browser/xss_world.py); alice renames her desktop to another payload and shares it
with the payload user through the plugin's modals. Then every page of the plugin
(from the URL confs: Project › Desktops index, detail with every tab, every modal,
Launch, Usage; every Admin › Experiment Desktops panel with its detail pages, modals
and filters, payload query strings included) is opened as alice and as admin, modals the
way Horizon opens them (ajax, then Angular compiles them) — with traps on
``window.__xss``, ``alert``/``confirm``/``prompt`` and JavaScript dialogs, and a DOM
check for live payload (tests/browser/xss_sweep.py). Nothing may fire, and the index
and detail pages show the payloads as text.
"""

import sys
import urllib.parse

import pytest
import yaml

from browser import xss_world
from browser.xss_sweep import Sweep
from browser.xss_sweep import literal
from browser.xss_sweep import shown
from browser.xss_sweep import shown_after_visit

pytestmark = pytest.mark.browser

P = xss_world
DESKTOPS = "/project/desktops/"
QUERY_PAYLOAD = f"{P.SCRIPT}{P.IMG}{P.NG}"


@pytest.fixture(scope="module")
def xss(devcloud, admin, alice):
    with xss_world.payload_world(devcloud, admin, alice) as world:
        yield world


def _q(**params):
    return "?" + urllib.parse.urlencode(params)


def _choose(page, select, value):
    """Horizon's themable select hides the <select>: set it as its dropdown does."""
    page.eval_on_selector(select, """(s, value) => { s.value = value;
        s.dispatchEvent(new Event('change', {bubbles: true})); }""", value)


def _submit(sweep, modal):
    """Submit a modal that succeeds: Horizon answers with X-Horizon-Location and its
    script navigates there; wait for that navigation, or the next goto aborts it."""
    with sweep.page.expect_navigation(wait_until="load", timeout=60_000):
        modal.locator("[type=submit]").last.click()
    modal.wait_for(state="detached", timeout=30_000)
    sweep.settle()
    sweep.scan(f"after submitting {sweep.page.url}")


def _rename(sweep, xss):
    """Rename to a second payload through the plugin (an audit event with the payload)."""
    new_name = f"br-{xss.mark} {P.IMG} {P.NG} {P.DJANGO}"
    modal = sweep.modal(f"{DESKTOPS}{xss.server['id']}/rename/")
    assert modal is not None, "the Rename modal did not open"
    modal.locator("#id_name").fill(new_name)
    _submit(sweep, modal)
    xss.server_names.append(new_name)
    return new_name


def _share(sweep, xss):
    """Share the desktop (view) with the payload-named member."""
    modal = sweep.modal(f"{DESKTOPS}{xss.server['id']}/share/")
    assert modal is not None, "the Share modal did not open"
    page, user = sweep.page, xss.user
    if page.locator("#id_grantee").evaluate("e => e.tagName") == "SELECT":
        _choose(page, "#id_grantee", user["id"])
    else:
        page.locator("#id_grantee").fill(user["id"])
    _choose(page, "#id_level", "view")
    _submit(sweep, modal)


def _modals(sweep, paths):
    for path in paths:
        sweep.modal(path)
        sweep.close_modals()


def _report_timings(sweep):
    slow = sorted(sweep.timings, key=lambda item: -item[1])[:8]
    sys.stderr.write(f"\n[xss] {sweep.who}: {len(sweep.timings)} pages/modals; slowest: "
                     + ", ".join(f"{path} {seconds:.1f}s" for path, seconds in slow) + "\n")


def _body_text(sweep):
    """Every pane's text, hidden tabs included (textContent, whitespace collapsed)."""
    return " ".join(sweep.page.locator("body").text_content().split())


def _admin_password(devcloud):
    clouds = yaml.safe_load(devcloud.clouds_yaml.read_text())["clouds"]
    return clouds["devcloud-admin"]["auth"]["password"]


def _login(pages, horizon_server, user, password, landing):
    """A form login that lands on ``landing`` (Horizon's own /project/ overview can take
    longer than a click's timeout on a loaded machine)."""
    page = pages()
    page.goto(f"{horizon_server.url}/auth/login/" + _q(next=landing))
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    with page.expect_navigation(url=f"**{landing}*", timeout=90_000):
        page.click("#loginBtn", no_wait_after=True)
    return Sweep(page, horizon_server.url, user)


def test_project_pages_as_alice(xss, pages, horizon_server, devcloud):
    sweep = _login(pages, horizon_server, "alice", devcloud.password("alice"), DESKTOPS)
    sid = xss.server["id"]
    detail = f"{DESKTOPS}{sid}/"

    row = sweep.page.locator(f"#desktops__row__{sid}")
    sweep.visit(DESKTOPS)
    assert not sweep.self_check(), "the sweep's detectors miss a planted payload"
    missing = shown_after_visit(sweep, DESKTOPS, xss.server_names[0], xss.image["name"])
    assert not missing, (
        f"the index does not show {missing} as text: {row.inner_text()!r}")
    new_name = _rename(sweep, xss)
    assert not shown_after_visit(sweep, DESKTOPS, new_name), (
        f"the renamed desktop's payload is not shown as text: {row.inner_text()!r}, "
        f"messages {sweep.page.locator('.messages').all_inner_texts()}")
    sweep.modal(f"{DESKTOPS}launch/")
    launch_text = " ".join(sweep.page.locator("#modal_wrapper").text_content().split())
    for needle in (xss.image["name"], xss.flavor["name"], xss.experiment):
        assert literal(needle) in launch_text, f"Launch does not offer {needle!r}"
    sweep.close_modals()

    _share(sweep, xss)
    sweep.visit(detail)
    sweep.tabs(detail)
    text = _body_text(sweep)
    for needle in (new_name, xss.image["name"], xss.flavor["name"], xss.user["name"],
                   xss.security_group["name"], xss.shares["raw"]["name"]):
        assert literal(needle) in text, (
            f"the detail page does not show {needle!r} as text")

    _modals(sweep, [detail + suffix for suffix in (
        "extend/", "rename/", "share/", "support/", "experiment/attach/",
        "experiment/snapshot/", "experiment/share-from-snapshot/", "save-image/")])
    for path in (DESKTOPS + _q(marker=QUERY_PAYLOAD, sort_dir=P.SCRIPT),
                 detail + _q(tab=f"desktop_details__{P.SVG}"),
                 detail + _q(tab="desktop_details__console", console=P.JS_URL,
                             quality=P.IMG),
                 f"{DESKTOPS}usage/" + _q(group="experiment"),
                 f"{DESKTOPS}usage/" + _q(start=QUERY_PAYLOAD, end=P.NG, group=P.SCRIPT,
                                          metric=P.IMG)):
        sweep.visit(path)
    for path in ("console.vv", "share/revoke/"):   # a download; a POST-only action
        answer = sweep.page.request.get(horizon_server.url + detail + path)
        assert answer.status < 500, f"{path}: HTTP {answer.status}"
    _report_timings(sweep)
    assert not sweep.problems(), "\n".join(sweep.problems())


def test_admin_pages_as_admin(xss, pages, horizon_server, devcloud, admin):
    sweep = _login(pages, horizon_server, "admin", _admin_password(devcloud),
                   "/admin/desktops/")
    # keystone may list a project where the admin is only a member first (a test made it
    # one): work in the admin project, as an operator would
    admin_project = admin.identity.find_project("admin").id
    sweep.page.goto(f"{horizon_server.url}/auth/switch/{admin_project}/"
                    + _q(next="/admin/desktops/"))
    sid, flavor, image = xss.server["id"], xss.flavor["id"], xss.image["id"]
    project_a = devcloud.project_id(P.PROJECT)

    missing = shown_after_visit(sweep, "/admin/desktops/", xss.server_names[-1],
                                xss.image["name"])
    assert not missing, f"Admin › Desktops does not show {missing} as text"
    sweep.visit(f"/admin/desktops/{sid}/")  # (its image is shown by id)
    assert not shown(sweep, xss.server_names[-1], xss.flavor["name"])
    sweep.visit("/admin/golden_images/")
    assert not shown(sweep, xss.image["name"])
    sweep.visit(f"/admin/golden_images/{image}/")
    assert not shown(sweep, xss.image["name"])
    sweep.visit("/admin/desktop_profiles/")
    assert not shown(sweep, xss.flavor["name"])
    sweep.visit("/admin/desktop_quotas/")
    assert not shown(sweep, xss.project["name"])

    for path in (
            "/admin/desktops/" + _q(project=QUERY_PAYLOAD, owner=P.IMG, profile=P.SCRIPT,
                                    gpu_model=P.NG, host=P.SVG, status=P.JS_URL,
                                    expiring=P.IMG, marker=QUERY_PAYLOAD),
            "/admin/desktops/" + _q(profile=xss.flavor["name"]),
            "/admin/gpu_capacity/",
            "/admin/desktop_usage/" + _q(group="user"),
            "/admin/desktop_usage/" + _q(start=QUERY_PAYLOAD, end=P.NG, group=P.SCRIPT,
                                         metric=P.IMG),
            "/admin/desktop_usage/sparkline.svg" + _q(rc=P.SCRIPT, traits=P.IMG),
            "/admin/desktop_audit/",
            "/admin/desktop_audit/" + _q(user=QUERY_PAYLOAD, project=P.IMG,
                                         action=P.SCRIPT, desktop=P.NG, result=P.SVG)):
        sweep.visit(path)
    sweep.visit("/admin/desktop_quotas/")
    _modals(sweep, [
        f"/admin/desktops/{sid}/extend/", "/admin/desktop_quotas/defaults/",
        f"/admin/desktop_quotas/{xss.project['id']}/update/",
        f"/admin/desktop_quotas/{project_a}/update/",
        "/admin/desktop_profiles/create/", f"/admin/desktop_profiles/{flavor}/edit/",
        f"/admin/desktop_profiles/{flavor}/delete/", f"/admin/golden_images/{image}/edit/"])
    for path in (f"/admin/desktops/{sid}/extend/", f"/admin/desktop_profiles/{flavor}/edit/",
                 f"/admin/golden_images/{image}/edit/"):
        sweep.visit(path)   # a modal's URL opened as a page
    for path in ("/admin/desktop_usage/csv/", "/admin/desktop_audit/csv/"):
        response = sweep.page.request.get(sweep.base + path)
        assert response.status < 500, f"{path}: HTTP {response.status}"
        assert "html" not in response.headers.get("content-type", ""), path
    _report_timings(sweep)
    assert not sweep.problems(), "\n".join(sweep.problems())
