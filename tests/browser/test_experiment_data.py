"""Launch with an experiment in real Horizon (headless Chromium, access-rule mode, the
dev cloud's Horizon settings): the row shows "Attaching experiment data"; the
reconciler running beside Horizon (tests/horizon_fixtures.py, as in production)
attaches the data while the page only polls (Horizon's ajax row updates read, never
act; no reload), the row settles, the Experiment data tab lists both shares, and
Delete leaves no access rule behind."""

import time

import pytest
from cloud_fixtures import ARTIFACTS
from cloud_fixtures import call
from cloud_fixtures import nova

pytestmark = pytest.mark.browser

EXPERIMENT = "2026-0142"
TAB = "desktop_details__experiment_data"


def _server_by_name(conn, name):
    found = nova(conn, "GET", f"/servers/detail?name=^{name}$")["servers"]
    return found[0] if found else None


def _rules(admin, share_id, desktop_id):
    rules = call(admin.shared_file_system, "GET", f"/share-access-rules?share_id={share_id}",
                 headers={"X-OpenStack-Manila-API-Version": "2.45"})["access_list"]
    return [r for r in rules if (r.get("metadata") or {}).get("heps:desktop") == desktop_id]


def _pick(page, select, text):
    """Horizon's themable select hides the <select>: choose the option holding text."""
    return page.eval_on_selector(
        select, """(s, text) => { const o = [...s.options].find(o => o.text.includes(text));
                   s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true}));
                   return o.value; }""", text)


@pytest.mark.smoke
def test_launch_with_experiment_then_see_the_tab_then_delete(login, horizon_server, alice,
                                                             admin, devcloud, reconciler):
    shares = devcloud.manifest["shares"]["experiment-a"]
    raw, results = shares[f"exp-{EXPERIMENT}-raw"], shares[f"exp-{EXPERIMENT}-results"]
    name = f"br-exp-{int(time.time()) % 10**6}"
    page = login("alice")
    page.goto(f"{horizon_server.url}/project/desktops/")
    server = None
    try:
        page.click("#desktops__action_launch")
        page.wait_for_selector("#launch_desktop_form")
        options = page.eval_on_selector("#id_experiment",
                                        "s => [...s.options].map(o => o.text)")
        assert options[0] == "None"
        assert any("exp-2026-0142-raw (1 GiB, NFS, available)" in o for o in options)
        assert _pick(page, "#id_experiment", EXPERIMENT) == EXPERIMENT
        assert _pick(page, "#id_profile", "heps.cpu.std")
        page.fill("#id_name", name)
        page.click("#launch_desktop_form button[type=submit], "
                   "#launch_desktop_form input[type=submit]")
        # Launch leads to the new desktop's Console tab; the list is one click away.
        page.wait_for_url("**/project/desktops/*/?tab=desktop_details__console",
                          timeout=60_000)
        page.goto(f"{horizon_server.url}/project/desktops/")
        page.locator("tr", has_text=name).wait_for(timeout=30_000)
        server = _server_by_name(alice, name)
        assert server["metadata"]["heps:data_state"] in ("attaching", "attached")
        # The reconciler attaches the data while the page only polls: wait until the row
        # (updated by Horizon's ajax alone) is Active with no task left, then check Manila.
        page.wait_for_function(
            """name => [...document.querySelectorAll('#desktops tbody tr')].some(
                 r => r.innerText.includes(name) && r.innerText.includes('Active')
                      && !r.innerText.includes('Attaching experiment data')
                      && !r.classList.contains('warning'))""",
            arg=name, timeout=120_000)
        server = _server_by_name(alice, name)
        assert server["metadata"]["heps:data_state"] == "attached"
        if reconciler.log:  # it was the reconciler that granted the rules
            granted = [line for line in reconciler.log.read_text().splitlines()
                       if server["id"] in line and "experiment data" in line]
            assert any(line.startswith("done") and ": allow" in line for line in granted), \
                granted
        address = server["addresses"]["desktop-net"][0]["addr"]
        assert [(r["access_to"], r["access_level"]) for r in _rules(admin, raw, server["id"])] \
            == [(address, "ro")]
        assert [r["access_level"] for r in _rules(admin, results, server["id"])] == ["rw"]

        page.click(f"#desktops a:text('{name}')")
        page.wait_for_selector(f"a[data-target='#{TAB}']")
        page.click(f"a[data-target='#{TAB}']")
        table = page.locator("#experiment_mounts")
        table.wait_for(timeout=30_000)
        text = table.inner_text()
        for expected in ("exp-2026-0142-raw", "exp-2026-0142-results", "read-only",
                         "read-write", "/data/raw", "/data/results", "active"):
            assert expected in text, text
        assert "Attached" in page.locator(".heps-experiment-data").inner_text()
        page.screenshot(path=str(ARTIFACTS / "experiment-data-tab.png"), full_page=True)

        if page.locator(".detail-actions .dropdown-toggle").count():
            page.click(".detail-actions .dropdown-toggle", timeout=5_000)
        page.click(f"#desktops__row_{server['id']}__action_delete")
        page.click(".modal-footer .btn-danger, .modal-footer .btn-primary")
        page.wait_for_url(f"{horizon_server.url}/project/desktops/**")
        deadline = time.monotonic() + 90
        while _server_by_name(alice, name) and time.monotonic() < deadline:
            time.sleep(1)
        assert _server_by_name(alice, name) is None
        assert _rules(admin, raw, server["id"]) == []
        assert _rules(admin, results, server["id"]) == []
    finally:
        leftover = _server_by_name(alice, name)
        if leftover:
            nova(alice, "DELETE", f"/servers/{leftover['id']}")
        if server:
            for share_id in (raw, results):
                for rule in _rules(admin, share_id, server["id"]):
                    call(admin.shared_file_system, "POST", f"/shares/{share_id}/action",
                         json={"deny_access": {"access_id": rule["id"]}},
                         headers={"X-OpenStack-Manila-API-Version": "2.45"})
