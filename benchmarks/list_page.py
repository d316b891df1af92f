"""How much faster is the Desktops list than Horizon's Instances page on the same cloud?

Measured, not asserted: both pages are fetched alternately, through real Horizon (uWSGI,
DEBUG off) against the dev cloud, listing the same N servers on one page, and the
script prints medians and ratios against baselines measured in the same run:
  - the raw nova list call the Desktops page makes (the API floor),
  - an empty-page request (Horizon's fixed cost per page).

    .venv/bin/python benchmarks/list_page.py [--servers 200] [--rounds 5] [--cleanup]

It creates (once, reused afterwards) a project ``heps-bench`` with a user ``heps-bench``,
raised unified limits, a network and N servers tagged ``heps-desktop`` booted with one
multi-create call. ``--cleanup`` deletes them again. Needs the dev cloud (make cloud-up).
"""

import argparse
import os
import pathlib
import re
import secrets
import statistics
import subprocess
import sys
import time
import urllib.parse

import openstack
import requests

REPO = pathlib.Path(__file__).resolve().parent.parent
STATE = pathlib.Path(os.environ.get("HEPS_DEVCLOUD_STATE", REPO / ".devcloud" / "state"))
PROJECT = USER = "heps-bench"
PORT = int(os.environ.get("HEPS_BENCH_PORT", "8007"))
FLAVOR = "heps.bench.tiny"
LIMITS = {"servers": 1000, "class:VCPU": 10000, "class:MEMORY_MB": 10_000_000,
          "class:DISK_GB": 100_000}


def admin():
    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", str(STATE / "clouds.yaml"))
    return openstack.connect(cloud="devcloud-admin")


def bench_password():
    path = STATE / "bench-password"
    if not path.exists():
        path.write_text(secrets.token_hex(12))
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_project(conn):
    project = conn.identity.find_project(PROJECT) or conn.identity.create_project(
        name=PROJECT, domain_id="default", description="Benchmark project (list pages)")
    user = conn.identity.find_user(USER) or conn.identity.create_user(
        name=USER, password=bench_password(), domain_id="default",
        default_project_id=project.id)
    member = conn.identity.find_role("member")
    conn.identity.assign_project_role_to_user(project, user, member)
    compute = next(s for s in conn.identity.services() if s.type == "compute")
    existing = {lim["resource_name"]: lim for lim in conn.identity.get(
        f"/limits?project_id={project.id}&service_id={compute.id}").json()["limits"]}
    new = [{"service_id": compute.id, "project_id": project.id, "resource_name": name,
            "resource_limit": value, "region_id": "RegionOne"}
           for name, value in LIMITS.items() if name not in existing]
    if new:
        conn.identity.post("/limits", json={"limits": new}).raise_for_status()
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
        conn.compute.flavor_add_tenant_access(flavor, project.id)
    return flavor


def user_conn():
    return openstack.connect(
        auth_url="http://127.0.0.1:5000/v3", username=USER, password=bench_password(),
        project_name=PROJECT, user_domain_name="Default", project_domain_name="Default",
        region_name="RegionOne", compute_api_version="2.96")


def ensure_servers(conn, count):
    net = conn.network.find_network("bench-net")
    if net is None:
        net = conn.network.create_network(name="bench-net")
        conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.77.0.0/16",
                                   name="bench-subnet")
    for server in conn.compute.servers(tags="heps-desktop", status="ERROR"):
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server)
    have = list(conn.compute.servers(tags="heps-desktop"))
    missing = count - len(have)
    if missing > 0:
        flavor = conn.compute.find_flavor(FLAVOR)
        image = next(i for i in conn.image.images() if i.properties.get("heps_golden"))
        print(f"creating {missing} desktops with one multi-create call...", flush=True)
        conn.compute.post("/servers", json={"server": {
            "name": "bench-desktop", "imageRef": image.id, "flavorRef": flavor.id,
            "networks": [{"uuid": net.id}], "min_count": missing, "max_count": missing,
            "tags": ["heps-desktop"],
            "metadata": {"heps:owner": USER, "heps:profile": FLAVOR,
                         "heps:experiment": "2026-0001", "heps:expires_at": "2030-01-01T00:00:00Z"},
        }}, microversion="2.96").raise_for_status()
    deadline = time.time() + 900
    while time.time() < deadline:
        servers = list(conn.compute.servers(tags="heps-desktop"))
        active = sum(1 for s in servers if s.status == "ACTIVE")
        if active >= count:
            return servers
        print(f"  {active}/{count} active", flush=True)
        time.sleep(5)
    raise SystemExit("servers did not become ACTIVE in 15 minutes")


def login(base):
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
        raise SystemExit(f"{url}: HTTP {response.status_code}, {expect!r} missing")
    return elapsed, len(response.content)


def start_horizon():
    log = open(REPO / "test-artifacts" / "bench-horizon.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([str(REPO / "scripts" / "horizon-serve"), str(PORT)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{PORT}/auth/login/", timeout=2).ok:
                return proc
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit("Horizon did not start; see test-artifacts/bench-horizon.log")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--horizon", help="URL of a running Horizon (default: start one)")
    parser.add_argument("--cleanup", action="store_true", help="delete the bench servers")
    args = parser.parse_args()
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    conn = admin()
    project = ensure_project(conn)
    ensure_flavor(conn, project)
    user = user_conn()
    if args.cleanup:
        for server in user.compute.servers():
            user.compute.delete_server(server)
        print("bench servers deleted")
        return
    servers = ensure_servers(user, args.servers)
    proc = None if args.horizon else start_horizon()
    base = args.horizon or f"http://127.0.0.1:{PORT}"
    try:
        session = login(base)
        # Both pages list every server on one page.
        session.cookies.set("API_RESULT_PAGE_SIZE", str(len(servers) + 1),
                            domain=urllib.parse.urlparse(base).hostname)
        pages = {"instances": (f"{base}/project/instances/", "bench-desktop"),
                 "desktops": (f"{base}/project/desktops/", "bench-desktop"),
                 "empty page": (f"{base}/project/api_access/", "API Access")}
        for url, expect in pages.values():  # warm caches, compressor, discovery
            timed_get(session, url, expect)
        times = {name: [] for name in pages}
        sizes = {}
        raw = []
        for _ in range(args.rounds):
            for name, (url, expect) in pages.items():
                elapsed, sizes[name] = timed_get(session, url, expect)
                times[name].append(elapsed)
            start = time.perf_counter()
            list(user.compute.servers(tags="heps-desktop"))
            raw.append(time.perf_counter() - start)
    finally:
        if proc:
            os.killpg(proc.pid, 15)
    med = {name: statistics.median(values) for name, values in times.items()}
    raw_med = statistics.median(raw)
    print(f"\n{len(servers)} servers on one page, {args.rounds} rounds, medians:")
    for name in pages:
        print(f"  {name:11s} {med[name]:7.3f} s  {sizes[name] / 1024:8.0f} KB")
    print(f"  raw nova list (baseline) {raw_med:.3f} s")
    print("\nratios (same run):")
    print(f"  Instances page / Desktops page   = {med['instances'] / med['desktops']:.2f}x")
    print(f"  Desktops page / raw nova list    = {med['desktops'] / raw_med:.2f}x")
    print(f"  Desktops page / empty page       = {med['desktops'] / med['empty page']:.2f}x")
    print(f"  Desktops HTML per row            = "
          f"{(sizes['desktops'] - sizes['empty page']) / len(servers) / 1024:.1f} KB "
          f"(Instances: {(sizes['instances'] - sizes['empty page']) / len(servers) / 1024:.1f} KB)")


if __name__ == "__main__":
    sys.exit(main())
