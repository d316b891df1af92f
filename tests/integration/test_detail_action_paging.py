"""A detail-page action on a desktop that is not on the list's first page, in-process
(Django test client, logged in through openstack_auth against the dev cloud's keystone,
no mocks): the detail page's actions POST to the Desktops table, which must find the
posted desktop although its page shows others (DesktopsTable.get_object_by_id).

12 desktops of a tiny CPU-only private profile are booted with one multi-create call in
a project of their own (``heps-it-paging``, made once and reused, as
benchmarks/list_page.py makes its project); the user's page size is 5; the desktop
last in the list's order (the 12th, on the third page) is stopped from its detail page.
"""

import re
import secrets
import time

import pytest
from cloud_fixtures import SEED
from cloud_fixtures import nova

from integration.horizon_request import use_devcloud

pytestmark = pytest.mark.integration

PROJECT = USER = "heps-it-paging"
FLAVOR = "heps.it.tiny"
NETWORK = "paging-net"
COUNT = 12
PAGE_SIZE = 5
LIMITS = {"servers": 60, "class:VCPU": 120, "class:MEMORY_MB": 60_000, "class:DISK_GB": 120}


def _project(admin):
    """Project, member user (a fresh password each session), limits, tiny profile."""
    identity = admin.identity
    project = identity.find_project(PROJECT) or identity.create_project(
        name=PROJECT, domain_id="default", description="Integration tests: list paging")
    password = secrets.token_hex(12)
    user = identity.find_user(USER)
    if user is None:
        user = identity.create_user(name=USER, password=password, domain_id="default",
                                    default_project_id=project.id)
    else:
        identity.update_user(user, password=password)
    identity.assign_project_role_to_user(project, user, identity.find_role("member"))
    compute = next(s for s in identity.services() if s.type == "compute")
    existing = {lim["resource_name"] for lim in identity.get(
        f"/limits?project_id={project.id}&service_id={compute.id}").json()["limits"]}
    new = [{"service_id": compute.id, "project_id": project.id, "resource_name": name,
            "resource_limit": value, "region_id": "RegionOne"}
           for name, value in LIMITS.items() if name not in existing]
    if new:
        identity.post("/limits", json={"limits": new}).raise_for_status()
    flavor = admin.compute.find_flavor(FLAVOR, ignore_missing=True)
    if flavor is None:
        flavor = admin.compute.create_flavor(name=FLAVOR, ram=512, vcpus=1, disk=1,
                                             is_public=False)
        admin.compute.create_flavor_extra_specs(flavor, {
            "heps:profile": "true", "heps:gpu_kind": "none",
            "heps:description": "Integration tests: tiny CPU-only profile"})
        admin.compute.flavor_add_tenant_access(flavor, project.id)
    return project, password, flavor


def _user_conn(devcloud, password):
    import openstack

    return openstack.connect(
        auth_url=devcloud.keystone_url, username=USER, password=password,
        project_name=PROJECT, user_domain_name="Default", project_domain_name="Default",
        region_name=devcloud.manifest.get("region") or "RegionOne")


def _network(conn):
    found = conn.network.find_network(NETWORK)
    if found is None:
        found = conn.network.create_network(name=NETWORK)
        conn.network.create_subnet(network_id=found.id, ip_version=4, cidr="10.79.0.0/24",
                                   name=f"{NETWORK}-subnet")
    return found


def _desktops(conn, prefix):
    query = ("/servers/detail?tags=heps-desktop&sort_key=created_at&sort_dir=desc"
             "&sort_key=display_name&sort_dir=desc&sort_key=uuid&sort_dir=desc")
    return [s for s in nova(conn, "GET", query)["servers"] if s["name"].startswith(prefix)]


@pytest.fixture
def paging_project(devcloud, admin):
    """(user connection, password, the COUNT desktops in the list's order); deleted after."""
    _project_obj, password, flavor = _project(admin)
    conn = _user_conn(devcloud, password)
    net = _network(conn)
    prefix = f"it-page-{int(time.time()) % 10**6}"
    nova(conn, "POST", "/servers", json={"server": {
        "name": prefix, "imageRef": devcloud.manifest["images"]["heps-imaging-desktop-2026.1"],
        "flavorRef": flavor.id, "networks": [{"uuid": net.id}], "min_count": COUNT,
        "max_count": COUNT, "tags": ["heps-desktop"],
        "metadata": {"heps:profile": FLAVOR, "heps:expires_at": "2030-01-01T00:00:00Z"}}})
    try:
        deadline = time.monotonic() + 300
        while True:
            servers = _desktops(conn, prefix)
            if [s["status"] for s in servers] == ["ACTIVE"] * COUNT and not any(
                    s.get("OS-EXT-STS:task_state") for s in servers):
                break
            assert not [s for s in servers if s["status"] == "ERROR"], "a desktop failed"
            assert time.monotonic() < deadline, f"{COUNT} desktops not ACTIVE in 300 s"
            time.sleep(2)
        yield conn, password, servers
    finally:
        made = _desktops(conn, prefix)
        for server in made:
            nova(conn, "DELETE", f"/servers/{server['id']}", ok=(204, 404))
        deadline = time.monotonic() + 180
        while _desktops(conn, prefix) and time.monotonic() < deadline:
            time.sleep(2)


def test_stop_from_the_detail_page_of_a_desktop_not_on_the_first_page(
        client, settings, devcloud, paging_project):
    use_devcloud(settings, devcloud)
    settings.HEPS_DESKTOPS = {**settings.HEPS_DESKTOPS, "network": NETWORK,
                              "security_group": SEED.SECURITY_GROUP}
    conn, password, servers = paging_project
    last = servers[-1]                       # the last in the list's order
    resp = client.post("/auth/login/", {"region": "default", "username": USER,
                                        "password": password})
    assert resp.status_code == 302 and "/auth/login" not in resp["Location"]
    client.cookies["API_RESULT_PAGE_SIZE"] = str(PAGE_SIZE)

    first_page = client.get("/project/desktops/").content.decode()
    assert sum(s["id"] in first_page for s in servers) == PAGE_SIZE
    assert servers[0]["id"] in first_page and last["id"] not in first_page

    detail = client.get(f"/project/desktops/{last['id']}/")
    assert detail.status_code == 200
    html = detail.content.decode()
    (form_url,) = re.findall(r'<form class="detail-actions-form[^"]*" action="([^"]*)"', html)
    assert f'value="desktops__stop__{last["id"]}"' in html  # the Stop button

    resp = client.post(form_url, {"action": f"desktops__stop__{last['id']}"}, follow=True)
    assert resp.status_code == 200
    shown = [str(m) for m in resp.context["messages"]]
    assert any("Stopping Desktop" in m and last["name"] in m for m in shown), shown
    deadline = time.monotonic() + 90
    while nova(conn, "GET", f"/servers/{last['id']}")["server"]["status"] != "SHUTOFF":
        assert time.monotonic() < deadline, "the desktop was not stopped"
        time.sleep(1)
    # the others are untouched
    assert nova(conn, "GET", f"/servers/{servers[0]['id']}")["server"]["status"] == "ACTIVE"
