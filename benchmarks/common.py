"""What every benchmark shares: the bench project on the dev cloud, its servers, Horizon.

The bench project ``heps-bench`` (user ``heps-bench``) gets, made once by the admin and
reused: raised unified limits and a raised neutron port quota (500 desktops), a private
tiny CPU-only profile ``heps.bench.tiny``, a ``desktop-net`` network and a
``heps-desktop`` security group (the names the dev cloud's Horizon settings use).
Benchmark servers are named ``bench-*`` and deleted at the end.
"""

import os
import pathlib
import re
import secrets
import subprocess
import time

import openstack
import requests

REPO = pathlib.Path(__file__).resolve().parent.parent
STATE = pathlib.Path(os.environ.get("HEPS_DEVCLOUD_STATE", REPO / ".devcloud" / "state"))
PROJECT = USER = "heps-bench"
PORT = int(os.environ.get("HEPS_BENCH_PORT", "8007"))
FLAVOR = "heps.bench.tiny"
NETWORK = "desktop-net"
SECURITY_GROUP = "heps-desktop"
SERVER_PREFIX = "bench-"
LIMITS = {"servers": 1000, "class:VCPU": 10000, "class:MEMORY_MB": 10_000_000,
          "class:DISK_GB": 100_000}
PORT_QUOTA = 1200
COMPUTE_VERSION = "2.96"


def admin():
    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", str(STATE / "clouds.yaml"))
    return openstack.connect(cloud="devcloud-admin")


def bench_password():
    path = STATE / "bench-password"
    if not path.exists():
        path.write_text(secrets.token_hex(12))
        path.chmod(0o600)
    return path.read_text().strip()


def _limits(conn, project):
    compute = next(s for s in conn.identity.services() if s.type == "compute")
    existing = {lim["resource_name"]: lim for lim in conn.identity.get(
        f"/limits?project_id={project.id}&service_id={compute.id}").json()["limits"]}
    new = [{"service_id": compute.id, "project_id": project.id, "resource_name": name,
            "resource_limit": value, "region_id": "RegionOne"}
           for name, value in LIMITS.items() if name not in existing]
    if new:
        conn.identity.post("/limits", json={"limits": new}).raise_for_status()
    conn.network.update_quota(project.id, ports=PORT_QUOTA)


def ensure_project(conn):
    """The bench project and user, with quotas raised for 500 desktops (admin)."""
    project = conn.identity.find_project(PROJECT) or conn.identity.create_project(
        name=PROJECT, domain_id="default", description="Benchmark project (make bench)")
    user = conn.identity.find_user(USER) or conn.identity.create_user(
        name=USER, password=bench_password(), domain_id="default",
        default_project_id=project.id)
    member = conn.identity.find_role("member")
    conn.identity.assign_project_role_to_user(project, user, member)
    _limits(conn, project)
    return project


def ensure_flavor(conn, project):
    """A tiny private CPU-only profile, so hundreds of desktops fit the fake hosts."""
    flavor = conn.compute.find_flavor(FLAVOR, ignore_missing=True)
    if flavor is None:
        flavor = conn.compute.create_flavor(name=FLAVOR, ram=512, vcpus=1, disk=1,
                                            is_public=False)
        conn.compute.create_flavor_extra_specs(flavor, {
            "heps:profile": "true", "heps:gpu_kind": "none",
            "heps:description": "Benchmark profile (tiny)"})
    try:
        conn.compute.flavor_add_tenant_access(flavor, project.id)
    except openstack.exceptions.ConflictException:
        pass  # already has access
    return flavor


def user_conn():
    return openstack.connect(
        auth_url="http://127.0.0.1:5000/v3", username=USER, password=bench_password(),
        project_name=PROJECT, user_domain_name="Default", project_domain_name="Default",
        region_name="RegionOne", compute_api_version=COMPUTE_VERSION)


def ensure_network(conn):
    """The bench project's own desktop network and security group (as the user)."""
    net = conn.network.find_network(NETWORK, project_id=conn.current_project_id)
    if net is None:
        net = conn.network.create_network(name=NETWORK)
        conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.77.0.0/16",
                                   name="bench-subnet")
    if conn.network.find_security_group(SECURITY_GROUP,
                                        project_id=conn.current_project_id) is None:
        conn.network.create_security_group(name=SECURITY_GROUP)
    return net


def setup():
    """(admin connection, bench user connection, flavor, network, golden image)."""
    conn = admin()
    project = ensure_project(conn)
    flavor = ensure_flavor(conn, project)
    user = user_conn()
    net = ensure_network(user)
    image = next(i for i in user.image.images() if i.properties.get("heps_golden")
                 and i.status == "active")
    return conn, user, flavor, net, image


def retried(call, *args, tries=12, wait=10, **kwargs):
    """``call`` again while a service of the shared dev cloud is down for a moment
    (other work stops one now and then); the last error is raised."""
    for attempt in range(tries):
        try:
            return call(*args, **kwargs)
        except Exception as exc:
            if attempt == tries - 1:
                raise
            print(f"  ({type(exc).__name__}; trying again in {wait} s)", flush=True)
            time.sleep(wait)
    return None


def bench_servers(conn):
    return retried(lambda: [s for s in conn.compute.servers()
                            if s.name.startswith(SERVER_PREFIX)])


def _named(conn, prefix, status):
    return retried(lambda: list(conn.compute.servers(details=False, name=f"^{prefix}",
                                                     status=status)))


def server_body(name, flavor, net, image, count=1):
    body = {"name": name, "imageRef": image.id, "flavorRef": flavor.id,
            "networks": [{"uuid": net.id}], "security_groups": [{"name": SECURITY_GROUP}],
            "tags": ["heps-desktop"],
            # No expiry of its own: an unsigned one would be flagged on every row.
            "metadata": {"heps:profile": FLAVOR}}
    if count > 1:
        body.update(min_count=count, max_count=count)
    return {"server": body}


def create(conn, body, tries=6):
    """POST /servers; a service briefly down (other work on the shared dev cloud stops
    one for a moment) is waited out."""
    for attempt in range(tries):
        response = conn.compute.post("/servers", json=body, microversion=COMPUTE_VERSION,
                                     raise_exc=False)
        if response.status_code < 500 or attempt == tries - 1:
            response.raise_for_status()
            return response.json()["server"] if "server" in response.json() else {}
        time.sleep(10)
    return {}


def ensure_servers(conn, count, flavor, net, image, batch=100, timeout=1800):
    """At least ``count`` ACTIVE ``bench-desktop-*`` servers (multi-create batches)."""
    for server in bench_servers(conn):
        if server.status == "ERROR":
            conn.compute.delete_server(server)
    have = [s for s in bench_servers(conn) if s.name.startswith("bench-desktop")]
    missing = count - len(have)
    while missing > 0:
        size = min(batch, missing)
        print(f"  creating {size} bench desktops (multi-create)...", flush=True)
        create(conn, server_body("bench-desktop", flavor, net, image, size))
        missing -= size
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Counted with nova's short lists (no server details): the poll itself must not
        # load the nova-api that is busy making hundreds of servers.
        active = len(_named(conn, "bench-desktop", "ACTIVE"))
        errors = _named(conn, "bench-desktop", "ERROR")
        if active >= count:
            return active
        if errors:
            for server in errors:
                conn.compute.delete_server(server)
            return ensure_servers(conn, count, flavor, net, image, batch,
                                  deadline - time.monotonic())
        print(f"  {active}/{count} active", flush=True)
        time.sleep(10)
    raise SystemExit(f"bench servers did not become ACTIVE in {timeout} s")


def delete_servers(conn, timeout=900):
    """Delete every ``bench-*`` server of the bench project and wait until gone."""
    for server in bench_servers(conn):
        retried(conn.compute.delete_server, server, ignore_missing=True)
    deadline = time.monotonic() + timeout
    while bench_servers(conn) and time.monotonic() < deadline:
        time.sleep(3)
    return not bench_servers(conn)


def login(base):
    """A new Horizon session of the bench user (a separate login each call)."""
    session = requests.Session()
    page = session.get(f"{base}/auth/login/", timeout=60)
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|region)"[^>]*value="([^"]*)"',
                             page.text))
    fields.update(username=USER, password=bench_password())
    response = session.post(f"{base}/auth/login/", data=fields,
                            headers={"Referer": f"{base}/auth/login/"}, timeout=120)
    if "/auth/login" in response.url:
        raise SystemExit("could not log in to Horizon as the bench user")
    return session


def timed_get(session, url, expect):
    start = time.perf_counter()
    response = session.get(url, timeout=300)
    elapsed = time.perf_counter() - start
    if response.status_code != 200 or expect not in response.text:
        raise RuntimeError(f"{url}: HTTP {response.status_code}, {expect!r} missing")
    return elapsed, len(response.content)


def steady_get(session, url, expect, tries=6):
    """timed_get, again after a pause when a service was down during the request (the
    page then shows an error instead of the rows): only a complete page is timed."""
    return retried(timed_get, session, url, expect, tries=tries)


def start_horizon():
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    log = open(REPO / "test-artifacts" / "bench-horizon.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([str(REPO / "scripts" / "horizon-serve"), str(PORT)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(600):
        try:
            if requests.get(f"http://127.0.0.1:{PORT}/auth/login/", timeout=2).ok:
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            break
        time.sleep(1)
    raise SystemExit("Horizon did not start; see test-artifacts/bench-horizon.log")


def stop_horizon(proc):
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
