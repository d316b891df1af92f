"""Archive and restore in real Horizon (headless Chromium): alice's persistent desktop is
archived at its expiry by a reconciler pass with Horizon's own signing key; the
Desktops page's **Archived** tab lists it; **Restore** opens the Launch form with the
archive, and the restored desktop's Console tab shows its framebuffer.
"""

import dataclasses
import datetime
import time
import uuid

import pytest
from cloud_fixtures import ARTIFACTS
from integration import reconciler_support as support
from integration.horizon_request import make_request
from integration.test_persistent_desktops import ROOT_GB
from integration.test_persistent_desktops import Made
from integration.test_persistent_desktops import cinder

from browser.conftest import horizon_login
from browser.test_launch_flow import _wait_any_canvas_drawn
from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import launch

pytestmark = pytest.mark.browser


@pytest.fixture
def horizon_keyed(settings, devcloud, monkeypatch, horizon_server, horizon_state):
    """This process's settings with Horizon's SECRET_KEY (hence its signing key), the
    dev cloud's plugin settings and archive mode: what it signs, Horizon believes."""
    ops = support.settings_for(settings, devcloud, monkeypatch, expired_action="archive",
                               archive_to_backup=False)
    # Horizon keeps a generated SECRET_KEY in LOCAL_PATH/.secret_key_store.
    key_file = next(p for p in (horizon_state / ".secret_key_store",
                                horizon_state / "secret_key") if p.exists())
    settings.SECRET_KEY = key_file.read_text().strip()
    return ops


@pytest.fixture
def made(admin):
    found = Made(admin)
    yield found
    found.cleanup()


def _archived_desktop(devcloud, ops, admin, made):
    ctx = api.context.for_request(make_request(devcloud, "alice"))
    profile = next(p for p, _specs in api.nova_flavors.profile_list_with_specs(ctx)
                   if p.name == support.CPU_PROFILE)
    name = f"br-archive-{uuid.uuid4().hex[:8]}"
    server = launch.launch(ctx, launch.LaunchRequest(
        name=name,
        image_id=devcloud.manifest["images"][support.IMAGE],
        profile=dataclasses.replace(profile, root_volume_gb=ROOT_GB), lifetime_hours=2,
        persistent=True))
    made.servers.append(server.id)
    body = support.Launcher(devcloud, admin).wait(server.id, ("ACTIVE",))
    made.volumes.append(body["os-extended-volumes:volumes_attached"][0]["id"])
    later = desktops.utcnow() + datetime.timedelta(days=2)
    report = support.run_pass(ops, now=later, only=["lifetimes"])
    assert any(server.id in line and line.startswith("done") for line in report.lines), \
        report.lines
    support.Launcher(devcloud, admin).wait(server.id, ("GONE",))
    return server.id, name


def _restored_server(alice_conn, name):
    from cloud_fixtures import nova

    found = nova(alice_conn, "GET", f"/servers/detail?name=^{name}$")["servers"]
    return found[0] if found else None


def test_archive_archived_tab_restore_console(pages, horizon_server, horizon_keyed,
                                             devcloud, admin, alice, made):
    server_id, name = _archived_desktop(devcloud, horizon_keyed, admin, made)
    page = pages()
    # Horizon's landing page after the login (Overview: nova and cinder usage) can take
    # longer than the usual 30 s on a shared 2-core machine.
    page.context.set_default_timeout(90_000)
    horizon_login(page, horizon_server.url, "alice", devcloud.password("alice"))
    page.goto(f"{horizon_server.url}/project/desktops/")
    page.click(".heps-desktops-nav a[href$='/project/desktops/archived/']")
    page.wait_for_selector("#archives")
    row = page.locator("#archives tbody tr", has_text=name).first
    row.wait_for(timeout=30_000)
    assert "heps.cpu.std" in row.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "archive-archived-tab.png"))
    deadline = time.monotonic() + 180
    while True:
        page.goto(f"{horizon_server.url}/project/desktops/archived/")
        row = page.locator("#archives tbody tr", has_text=name).first
        row.locator("a", has_text="Restore").click()
        page.wait_for_selector("#launch_desktop_form")
        page.click("#launch_desktop_form button[type=submit], "
                   "#launch_desktop_form input[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        try:
            page.wait_for_url("**/project/desktops/*/?tab=*", timeout=30_000)
            break
        except Exception:
            # A backup still being restored (Horizon's own reconciler may have backed
            # the volume up meanwhile): the form says so; Restore again once Ready.
            text = page.inner_text("body")
            assert "being restored" in text or "being made" in text, text[:2000]
            assert time.monotonic() < deadline, "restore never ready"
            time.sleep(3)
    restored = _restored_server(alice, name)
    assert restored and restored["id"] != server_id
    made.servers.append(restored["id"])
    made.volumes += [v["id"] for v in restored["os-extended-volumes:volumes_attached"]]
    volume = cinder(alice, "GET", f"/volumes/{made.volumes[-1]}")["volume"]
    assert volume["volume_image_metadata"]["image_id"] == devcloud.manifest["images"][
        support.IMAGE]
    _wait_any_canvas_drawn(page, ARTIFACTS / "archive-restored-console.png")
