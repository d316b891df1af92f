"""简体中文 in real Horizon: alice sets her language to 简体中文 on Horizon's own settings page
(/settings/), and the Desktops page, the Launch Desktop modal and every tab of a desktop's
detail page show none of the plugin's English messages: the msgids (and plurals) of the
shipped zh_Hans catalog with more than 12 characters of text, placeholders matching any
text. Horizon's own strings follow Horizon's catalog and are not checked. Saves
docs/desktops-zh_hans.png, the README's screenshot of the panel in Chinese (in
test-artifacts/ instead where Chromium has no CJK font or Horizon's catalog is not compiled).
"""

import pathlib
import re
import shutil
import subprocess
import uuid

import pytest
from cloud_fixtures import ARTIFACTS
from cloud_fixtures import REPO
from unit.test_translations import PO
from unit.test_translations import catalog_messages

from browser.conftest import horizon_login

pytestmark = pytest.mark.browser

PANEL_URL = "/project/desktops/"
SCREENSHOT = "desktops-zh_hans.png"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]?\d*(?:\.\d+)?[sdifr]|%[sdifr]|<[^>]+>")


def _english_patterns():
    """One regex per English message of the plugin long enough to be told apart."""
    patterns = {}
    for entry in catalog_messages():
        for msgid in (entry["id"], entry.get("plural")):
            if not msgid:
                continue
            parts = PLACEHOLDER.split(msgid.replace("%%", "%"))
            if sum(len(part.strip()) for part in parts) <= 12:
                continue
            words = [r"\s+".join(map(re.escape, part.split())) for part in parts]
            patterns[msgid] = re.compile(r"[^\n]{0,200}?".join(words))
    assert len(patterns) > 300, PO
    return patterns


def _english_in(text, patterns):
    return sorted(msgid for msgid, pattern in patterns.items() if pattern.search(text))


def _screenshot_path():
    """docs/ when the picture can be what a deployment shows: a CJK font for Chromium and
    Horizon's own zh_Hans catalog compiled (deployments run compilemessages; pip does not).
    Otherwise test-artifacts/, leaving the README's picture alone."""
    import openstack_dashboard

    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True,
                           check=False).stdout if shutil.which("fc-list") else ""
    compiled = (pathlib.Path(openstack_dashboard.__file__).parent
                / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists()
    folder = REPO / "docs" if fonts.strip() and compiled else ARTIFACTS
    folder.mkdir(exist_ok=True)
    return folder / SCREENSHOT


def _screenshot_of_own_row(page, name):
    """The picture shows this test's desktop only (the dev cloud is shared: other tests'
    desktops come and go) and no passing warning (a desktop just booted by the test has
    its expiry signed by the reconciler's next pass)."""
    page.fill("#desktops .table_search input", name)
    page.wait_for_function(
        """() => [...document.querySelectorAll('#desktops tbody tr')]
                   .filter(r => r.offsetParent !== null).length === 1""", timeout=10_000)
    page.evaluate("() => document.querySelectorAll('.messages .alert').forEach(a => a.remove())")
    page.screenshot(path=str(_screenshot_path()),
                    clip={"x": 0, "y": 0, "width": 1280, "height": 420})


def _set_language(page, base_url):
    page.goto(f"{base_url}/settings/")
    page.select_option("#id_language", "zh-hans")
    with page.expect_navigation():
        page.click("#user_settings_modal [type=submit]")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    # Horizon's LANGUAGE_COOKIE_NAME is horizon_language (Django's default: django_language)
    assert "zh-hans" in (cookies.get("horizon_language"), cookies.get("django_language")), \
        cookies.keys()


def _tab_texts(page):
    """The text of every tab of the detail page, each once it has loaded."""
    texts = {}
    links = page.locator(".nav-tabs a[data-toggle='tab']")
    for i in range(links.count()):
        link = links.nth(i)
        target = link.get_attribute("data-target")
        link.click()
        page.wait_for_function(
            """sel => { const pane = document.querySelector(sel);
                        return pane && !pane.classList.contains('tab-loading')
                               && pane.innerText.trim().length > 0; }""",
            arg=target, timeout=30_000)
        texts[link.inner_text().strip()] = page.locator(target).inner_text()
    return texts


def test_desktops_page_launch_modal_and_detail_tabs_are_in_chinese(
        pages, horizon_server, devcloud, alice, server_factory):
    patterns = _english_patterns()
    name = f"zh-desktop-{uuid.uuid4().hex[:8]}"
    desktop = server_factory.create(alice, name)
    page = pages()
    horizon_login(page, horizon_server.url, "alice", devcloud.password("alice"))
    _set_language(page, horizon_server.url)

    page.goto(horizon_server.url + PANEL_URL)
    table = page.locator("table#desktops")
    table.wait_for()
    page.locator("#desktops tr", has_text=name).wait_for()
    assert page.locator("#sidebar").get_by_text("实验桌面").count() >= 1
    listing = page.locator("#content_body, .main, body").first.inner_text()
    assert "创建桌面" in listing and "剩余时间" in listing, listing
    assert not _english_in(listing, patterns), _english_in(listing, patterns)
    _screenshot_of_own_row(page, name)

    page.click("#desktops__action_launch")
    page.wait_for_selector("#launch_desktop_form")
    modal = page.locator(".modal:has(#launch_desktop_form)").inner_text()
    assert "标准镜像" in modal and "使用时长（小时）" in modal, modal
    assert not _english_in(modal, patterns), _english_in(modal, patterns)

    page.goto(f"{horizon_server.url}{PANEL_URL}{desktop['id']}/")
    tabs = _tab_texts(page)
    assert {"概况", "控制台", "日志", "操作日志"} <= set(tabs), list(tabs)
    header = page.locator(".detail-header, .page-header").first.inner_text()
    for title, text in [("page header", header), *tabs.items()]:
        assert not _english_in(text, patterns), (title, _english_in(text, patterns))
