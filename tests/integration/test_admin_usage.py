"""Admin › Usage against the dev cloud: in a project of its own, a vGPU desktop that keeps
running, an A100 desktop deleted after a while and a CPU desktop; the usage CSV's
GPU-hours for the project equal the sum over its desktops computed from nova's own server
records (launched_at, terminated_at) within 1 %, the deleted desktop counted by its
profile. Served in-process by the real plugin (Django test client, admin login)."""

import csv
import datetime
import io
import time
import uuid

import pytest
from cloud_fixtures import ApiError
from cloud_fixtures import nova
from cloud_fixtures import wait_server

from integration.horizon_request import credentials
from integration.horizon_request import use_devcloud

pytestmark = pytest.mark.integration
IMAGE = "heps-imaging-desktop-2026.1"


def _time(text):
    moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


@pytest.fixture
def usage_project(admin, devcloud):
    """A project of its own with the admin as member, and a connection scoped to it."""
    name = f"heps-it-usage-{uuid.uuid4().hex[:8]}"
    project = admin.identity.create_project(name=name, domain_id="default")
    role = admin.identity.find_role("member")
    user = admin.identity.find_user(credentials(devcloud, "admin")["username"])
    made = []
    try:
        admin.identity.assign_project_role_to_user(project, user, role)
        conn = admin.connect_as_project({"id": project.id, "name": project.name,
                                         "domain_id": "default"})
        yield project, conn, made
    finally:
        for server_id in made:
            nova(conn, "DELETE", f"/servers/{server_id}", ok=(204, 404))
        deadline = time.monotonic() + 90
        for server_id in made:
            while time.monotonic() < deadline and nova(
                    conn, "GET", f"/servers/{server_id}", ok=(200, 404)).get("server"):
                time.sleep(0.5)
        admin.identity.delete_project(project)


def _launch(conn, devcloud, made, name, flavor):
    m = devcloud.manifest
    body = {"name": name, "flavorRef": m["flavors"][flavor], "imageRef": m["images"][IMAGE],
            "networks": "none", "tags": ["heps-desktop"],
            "metadata": {"heps:experiment": "2026-0999", "heps:profile": flavor}}
    server = nova(conn, "POST", "/servers", json={"server": body})["server"]
    made.append(server["id"])
    return server["id"]


def _login(client, devcloud, admin):
    auth = credentials(devcloud, "admin")
    res = client.post("/auth/login/", {"region": "default", "username": auth["username"],
                                       "password": auth["password"]})
    assert res.status_code == 302 and "/auth/login" not in res["Location"]
    # The admin is also a member of the test's own project, which Horizon may pick at
    # login: work in the admin project, where the admin role is.
    admin_project = admin.identity.find_project(auth["project_name"])
    res = client.get(f"/auth/switch/{admin_project.id}/")
    assert res.status_code == 302


def _gone_record(admin, project_id, server_id):
    found = nova(admin, "GET", f"/servers/detail?all_tenants=1&deleted=true"
                               f"&project_id={project_id}")["servers"]
    return next(s for s in found if s["id"] == server_id)


def test_usage_csv_gpu_hours_equal_the_sum_over_the_projects_desktops(
        client, settings, devcloud, admin, usage_project):
    use_devcloud(settings, devcloud)
    project, conn, made = usage_project
    stamp = uuid.uuid4().hex[:6]
    vgpu = _launch(conn, devcloud, made, f"it-usage-vgpu-{stamp}", "heps.vgpu.a16")
    a100 = _launch(conn, devcloud, made, f"it-usage-a100-{stamp}", "heps.a100.full")
    cpu = _launch(conn, devcloud, made, f"it-usage-cpu-{stamp}", "heps.cpu.std")
    for server_id in (vgpu, a100, cpu):
        wait_server(conn, server_id)
    time.sleep(5)   # hours are written to 6 decimals: 5 s is 0.001389 h
    nova(conn, "DELETE", f"/servers/{a100}", ok=(204,))
    deadline = time.monotonic() + 60
    while nova(conn, "GET", f"/servers/{a100}", ok=(200, 404)).get("server"):
        if time.monotonic() > deadline:
            raise ApiError(f"{a100} not deleted")
        time.sleep(0.5)
    time.sleep(5)   # hours are written to 6 decimals: 5 s is 0.001389 h

    _login(client, devcloud, admin)
    today = datetime.datetime.now(datetime.UTC).date()
    query = {"start": (today - datetime.timedelta(days=1)).isoformat(),
             "end": today.isoformat()}
    res = client.get("/admin/desktop_usage/csv/", dict(query, group="project"))
    assert res.status_code == 200, res.content[:500]
    rows = {row["project_id"]: row for row in csv.DictReader(io.StringIO(
        res.content.decode()))}
    row = rows[project.id]
    assert row["project"] == project.name
    assert int(row["desktops"]) == 3

    # nova's own records: launched_at (and terminated_at of the deleted desktop)
    stop = _time(row["period_end"])
    running = nova(conn, "GET", f"/servers/{vgpu}")["server"]
    expected_vgpu = (stop - _time(running["OS-SRV-USG:launched_at"])).total_seconds() / 3600
    gone = _gone_record(admin, project.id, a100)
    expected_a100 = (_time(gone["OS-SRV-USG:terminated_at"])
                     - _time(gone["OS-SRV-USG:launched_at"])).total_seconds() / 3600
    expected = expected_vgpu + expected_a100   # one GPU each; the CPU desktop none
    assert float(row["gpu_hours"]) == pytest.approx(expected, rel=0.01)
    assert float(row["gpu_hours CUSTOM_HEPS_GPU_A100"]) == pytest.approx(expected_a100,
                                                                         rel=0.01)
    assert float(row["gpu_hours VGPU (CUSTOM_HEPS_GPU_A16)"]) == pytest.approx(
        expected_vgpu, rel=0.01)
    assert float(row["desktop_hours"]) > float(row["gpu_hours"])  # the CPU desktop too

    # per experiment: the deleted desktop's experiment is unknown, the others' known
    res = client.get("/admin/desktop_usage/csv/", dict(query, group="experiment"))
    mine = [r for r in csv.DictReader(io.StringIO(res.content.decode()))
            if r["project_id"] == project.id]
    assert {r["experiment"] for r in mine} == {"2026-0999", "Unknown (deleted desktops)"}
    # the page renders with the project in the table and the chart
    page = client.get("/admin/desktop_usage/", query)
    assert page.status_code == 200
    assert project.name in page.content.decode()
    assert '<svg class="heps-usage-bars"' in page.content.decode()
