"""Faults: one dev cloud service stopped at a time (nova-api, manila-api, glance-api,
neutron-api, placement) while a user browses every page of the plugin (project and
admin, over HTTP to a real Horizon server: tests/horizon_fixtures.py), launches and
deletes a desktop with experiment data. Every page answers 200 — with an error message
where it needed the missing service — never a 500; a launch succeeds whole or leaves
nothing; then the service comes back (``devcloud/cloud start``, always, in a
``finally``) and the same Horizon process serves every page again without errors.
Leftovers (servers without their tag/metadata, rules, ports, unused ``heps-exp-*``
groups) are checked through the real APIs after one reconciler pass
(integration/leftovers.py).

Each outage lasts seconds; other sessions sharing the cloud see it as a brief outage.
"""

import concurrent.futures
import itertools
import os
import re
import subprocess
import time

import pytest
from cloud_fixtures import REPO
from cloud_fixtures import nova

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import mounts
from integration import leftovers
from integration import reconciler_support
from integration.horizon_http import HorizonHttp
from integration.horizon_request import credentials

pytestmark = pytest.mark.integration

EXPERIMENT = "2026-0142"
PROFILE = "heps.cpu.std"
ATTACH_TIMEOUT = 90
LANES = 3          # logged-in sessions per user, browsing side by side
# Pages that need the stopped service must say so (an error or warning message).
SERVICES = {
    "nova-api": ("/project/desktops/", "/admin/desktops/"),
    "manila-api": ("tab=desktop_details__experiment_data",),
    "glance-api": ("/admin/golden_images/",),
    # nova's own server GETs fail while neutron is down (HTTP 500 from nova): the
    # panel says it could not read the desktops
    "neutron-api": ("/project/desktops/",),
    "placement": ("/admin/gpu_capacity/",),
}
ADMIN_PAGES = ("/admin/desktops/", "/admin/gpu_capacity/", "/admin/desktop_quotas/",
               "/admin/desktop_quotas/defaults/", "/admin/desktop_profiles/",
               "/admin/desktop_profiles/create/", "/admin/golden_images/",
               "/admin/desktop_usage/", "/admin/desktop_audit/")
LINK = re.compile(r'href="(/(?:project/desktops|admin/desktop\w*|admin/gpu_capacity|'
                  r'admin/golden_images)/[^"#]*)"')
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
MODALS = ("launch", "extend", "rename", "share", "save-image", "attach", "create", "boost",
          "update", "edit", "snapshot")
SKIP = re.compile(r"csv|\.vv$|sparkline|/console")   # downloads, not pages


@pytest.fixture(scope="module")
def web(horizon_server, devcloud, admin):
    """LANES logged-in sessions of alice and of the cloud's admin (in the admin
    project), and what the module's tests hand on: the desktop the previous test
    launched after its outage is the next test's victim."""
    users = [HorizonHttp(horizon_server.url).login("alice", devcloud.password("alice"))
             for _ in range(LANES)]
    password = credentials(devcloud, "admin")["password"]
    admins = [HorizonHttp(horizon_server.url).login("admin", password).switch(
        admin.current_project_id) for _ in range(LANES)]
    handed_on = []
    yield users, admins, handed_on
    for server_id in handed_on:
        delete(users[0], server_id)
    wait_gone(admin, handed_on)


@pytest.fixture
def ops(settings, devcloud, monkeypatch):
    return reconciler_support.settings_for(settings, devcloud, monkeypatch)


def cloud(verb, service):
    done = subprocess.run([str(REPO / "devcloud" / "cloud"), verb, service], cwd=REPO,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"devcloud/cloud {verb} {service}: {done.stdout}{done.stderr}"


def launch(user, name):
    """Launch Desktop as the modal posts it (CPU profile, the experiment); the answer."""
    page, data = user.form_data("/project/desktops/launch/", "launch_desktop_form")
    assert page.status_code == 200, page.status_code
    if data is None:       # the form could not be built: the page says why
        return page
    cpu = re.search(r'<option value="([^"]*)"[^>]*>' + re.escape(PROFILE), page.text)
    data.update(name=name, experiment=EXPERIMENT, profile=cpu.group(1) if cpu else "")
    return user.post("/project/desktops/launch/", data, ajax=True)


def launched_id(answer):
    where = answer.headers.get("X-Horizon-Location") or ""
    found = re.search(r"/project/desktops/([0-9a-f-]{36})/", where)
    return found.group(1) if found else None


def delete(user, server_id):
    return user.post("/project/desktops/", {"action": f"desktops__delete__{server_id}"})


def server(admin, server_id):
    return nova(admin, "GET", f"/servers/{server_id}", ok=(200, 404)).get("server")


def wait_attached(admin, server_id):
    deadline = time.monotonic() + ATTACH_TIMEOUT
    while True:
        found = server(admin, server_id)
        state = (found or {}).get("metadata", {}).get(names.META_DATA_STATE)
        if state == mounts.STATE_ATTACHED and not found.get("OS-EXT-STS:task_state"):
            return found
        assert time.monotonic() < deadline, f"{server_id}: data still {state!r}"
        time.sleep(0.5)


def wait_gone(admin, ids, timeout=120):
    deadline = time.monotonic() + timeout
    while [i for i in ids if server(admin, i)]:
        assert time.monotonic() < deadline, f"not deleted: {ids}"
        time.sleep(0.5)


def pages(user, admin, desktop_id):
    """Every page of the plugin a user reaches from the panel and its desktop (links
    and tabs found on the pages themselves; one golden image's), and the admin panels.
    [(is_admin, path)]"""
    index = user.get("/project/desktops/").text
    answer = user.get(f"/project/desktops/{desktop_id}/")
    detail = answer.text
    assert f"/project/desktops/{desktop_id}/" in answer.url and "desktop_details__" in detail, \
        (answer.status_code, answer.url, user.messages(answer))
    found = {p for p in LINK.findall(index + detail)
             if desktop_id in p or not UUID.search(p)}
    found |= {f"/project/desktops/{desktop_id}/?tab={tab}" for tab in
              re.findall(r'data-target="#(desktop_details__\w+)"', detail)}
    found |= {"/project/desktops/", "/project/desktops/launch/", "/project/desktops/usage/",
              f"/project/desktops/{desktop_id}/experiment/attach/"}
    admin_found = set(ADMIN_PAGES) | {f"/admin/desktops/{desktop_id}/"}
    image = next(p for p in LINK.findall(admin.get("/admin/golden_images/").text)
                 if UUID.search(p))
    admin_found |= {image, image + "edit/"}
    return [(False, p.replace("&amp;", "&")) for p in sorted(found) if not SKIP.search(p)] \
        + [(True, p) for p in sorted(admin_found)]


def browse(users, admins, targets):
    """GET every page (ajax for tabs and modals, as the browser loads them), in LANES
    sessions side by side, each one page after the other. {path: (status, messages)},
    where a page's messages include those Horizon queued while rendering it (they
    show on the session's next page)."""
    def lane(number):
        mine = targets[number::LANES]
        answers = []
        for is_admin, path in mine:
            client = (admins if is_admin else users)[number]
            ajax = "tab=" in path or path.rstrip("/").rsplit("/", 1)[-1] in MODALS
            answer = client.get(path, ajax=ajax)
            answers.append((path, answer.status_code, client.messages(answer)))
        return [(path, (status, messages + (after[2] if after else [])))
                for (path, status, messages), after in itertools.zip_longest(
                    answers, answers[1:])]
    with concurrent.futures.ThreadPoolExecutor(LANES) as pool:
        return dict(pair for pairs in pool.map(lane, range(LANES)) for pair in pairs)


def again(targets, old, new, service):
    """The pages to show that all works again: the panel, the new desktop's page, the
    launch form, and the pages that needed the service (on the new desktop)."""
    wanted = {"/project/desktops/", f"/project/desktops/{old}/", "/project/desktops/launch/",
              "/admin/desktops/"}
    return [(is_admin, path.replace(old, new)) for is_admin, path in targets
            if path in wanted or any(path == n or path.endswith(n) for n in SERVICES[service])]


def drain(clients):
    """Show each session a page, so what Horizon queued during the outage is shown
    (consumed) before the pages after it are judged."""
    for client in clients:
        client.get("/settings/")


def failed(answers):
    return {path: status for path, (status, _msgs) in answers.items() if status != 200}


def said(answers, levels=("danger", "error", "warning", "note")):
    return {path: [text for level, text in msgs if level in levels]
            for path, (_status, msgs) in answers.items()}


# HEPS_FAULT_SERVICES=nova-api,placement runs some of them (default: all five).
CHOSEN = [name.strip() for name in os.environ.get("HEPS_FAULT_SERVICES", "").split(",")
          if name.strip()] or list(SERVICES)


@pytest.mark.parametrize("service", CHOSEN)
def test_one_service_down(service, web, admin, devcloud, horizon_server, ops):
    users, admins, handed_on = web
    user = users[0]
    prefix = leftovers.unique(f"it-fault-{service.split('-')[0]}")
    pid = horizon_server.proc.pid if horizon_server.proc else None
    if handed_on:
        victim = handed_on.pop()
    else:
        first = launch(user, f"{prefix}-victim")
        victim = launched_id(first)
        assert victim, ("the launch before the outage failed", first.status_code,
                        user.messages(first), first.text[-1500:])
    ids = [victim]
    try:
        wait_attached(admin, victim)
        targets = pages(user, admins[0], victim)
        assert len(targets) >= 25, targets
        t0 = time.monotonic()
        cloud("stop", service)
        try:
            down = browse(users, admins, targets)
            during = launch(user, f"{prefix}-during")
            deleted = delete(user, victim)
        finally:
            cloud("start", service)
        drain(users + admins)
        outage = time.monotonic() - t0
        after = launch(user, f"{prefix}-after")
        assert launched_id(after), user.messages(after)
        up = browse(users, admins, again(targets, victim, launched_id(after), service))
        ids += [launched_id(during), launched_id(after)]
        if launched_id(after):
            handed_on.append(launched_id(after))
        for server_id in (victim, launched_id(during)):
            if server_id and server(admin, server_id):
                delete(user, server_id)    # again, now that the service is back
        wait_gone(admin, [victim, launched_id(during)])
    except BaseException:
        for server_id in [victim] + [s["id"] for s in leftovers.servers_named(admin, prefix)]:
            delete(user, server_id)
        raise
    print(f"\n{service}: down {outage:.0f} s, {len(targets)} pages")

    # during the outage: 200 everywhere, a message where the service was needed
    assert failed(down) == {}, failed(down)
    messages = said(down)
    for needle in SERVICES[service]:
        needed = {p: messages[p] for p in messages if p == needle or p.endswith(needle)}
        assert needed and all(needed.values()), (needle, needed)
    assert during.status_code == 200 and deleted.status_code == 200
    assert launched_id(during) or user.messages(during) or "has-error" in during.text

    # back: the same Horizon process serves every page without an error; launch works
    if pid:
        assert horizon_server.proc.poll() is None and horizon_server.proc.pid == pid
    assert failed(up) == {}, failed(up)
    assert {p: m for p, m in said(up, ("danger", "error")).items() if m} == {}, \
        {p: [t[:150] for t in m] for p, m in said(up, ("danger", "error")).items() if m}

    # nothing half-made; nothing left once the reconciler passed
    reconciler_support.run_pass(ops, only=("deletes", "orphans", "network"))
    assert leftovers.half_made(admin, prefix) == []
    gone = [i for i in ids if i and i not in handed_on]
    assert leftovers.of_desktops(admin, devcloud, gone) == []
