"""pytest plugin: fixtures for tests that run against the dev cloud.

Wired in tests/conftest.py with ``pytest_plugins = ["cloud_fixtures"]`` (pytest.ini
puts tests/ on sys.path; ``-p cloud_fixtures`` does the same); it loads
tests/horizon_fixtures.py (Horizon and the reconciler next to it) in turn. Importing it
is cheap: openstacksdk is only imported when a cloud fixture is used, so unit-test runs
do not pay for it.

Fixtures (session scope unless noted):
  devcloud        the running dev cloud (reused if keystone answers on
                  127.0.0.1:5000, else `devcloud/cloud up`, and `down` at the
                  end only if this session started it); seeded.
  admin, alice, bob, reader
                  openstacksdk connections from the seeded clouds.yaml.
  server_factory  (function) creates nova servers and deletes them (waiting
                  until gone, so GPU allocations are free again) at teardown.
  artifacts_dir   <repo>/test-artifacts.
  horizon_server, reconciler, horizon_state
                  see tests/horizon_fixtures.py.

Environment knobs:
  HEPS_DEVCLOUD_STATE     state dir (default <repo>/.devcloud/state)
  HEPS_DEVCLOUD_KEEP=1    never run `cloud down`, even if this session ran `up`
  HEPS_DEVCLOUD_NO_START=1  never run `cloud up`: fail if keystone does not answer
  HEPS_DEVCLOUD_RESEED=1  run the seed even if the cloud looks seeded
  (Horizon's and the reconciler's knobs: tests/horizon_fixtures.py)

On a failed integration/browser test what the dev cloud's services logged during
that test and the tails of the Horizon and reconciler logs are appended to the report
(tests/failure_logs.py).
"""

import datetime
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from dataclasses import field

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
KEYSTONE_URL = "http://127.0.0.1:5000/v3"
DESKTOP_TAG = "heps-desktop"
NOVA_MV = "2.97"          # share attachments; tags and remote consoles included
PLACEMENT_MV = "1.28"

_LOG_TAIL_LINES = 40

# Horizon served next to the tests and the reconciler beside it; service log tails on
# a failed test.
pytest_plugins = ["horizon_fixtures", "failure_logs"]


def load_seed_data():
    """devcloud/seed/seed_data.py (names, passwords, experiments); None outside a
    checkout (tests shipped without devcloud/ still import this plugin)."""
    path = REPO / "devcloud" / "seed" / "seed_data.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("heps_devcloud_seed_data", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SEED = load_seed_data()


def state_dir():
    return pathlib.Path(os.environ.get("HEPS_DEVCLOUD_STATE")
                        or REPO / ".devcloud" / "state").resolve()


def http_ok(url, timeout=3.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (loopback http)
            return 200 <= resp.status < 400
    except (urllib.error.URLError, OSError, ValueError):
        return False


def tail(path, lines=_LOG_TAIL_LINES):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"<unreadable: {e}>"
    return "\n".join(data.splitlines()[-lines:])


def _run_logged(cmd, log, env=None, timeout=None):
    """Run cmd, output to log; returns exit code (or raises TimeoutExpired)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(map(str, cmd))}\n".encode())
        out.flush()
        return subprocess.run([str(c) for c in cmd], stdout=out,
                              stderr=subprocess.STDOUT, env=env,
                              timeout=timeout, cwd=REPO).returncode


# --- the dev cloud -------------------------------------------------------------

@dataclass
class DevCloud:
    state: pathlib.Path
    keystone_url: str = KEYSTONE_URL
    started_here: bool = False
    manifest: dict = field(default_factory=dict)

    @property
    def clouds_yaml(self):
        return self.state / "clouds.yaml"

    @property
    def logs(self):
        return self.state / "logs"

    def password(self, user):
        return SEED.USERS[user]["password"]

    def project_id(self, project):
        return self.manifest["projects"][project]

    def connect(self, cloud):
        import openstack.config
        import openstack.connection
        cfg = openstack.config.OpenStackConfig(
            config_files=[str(self.clouds_yaml)], vendor_files=[],
            secure_files=[])
        return openstack.connection.Connection(
            config=cfg.get_one(cloud=cloud))


def _seeded(state):
    manifest = state / "seed-manifest.json"
    if not manifest.exists() or os.environ.get("HEPS_DEVCLOUD_RESEED"):
        return False
    # the cloud may have been reset since: alice's token proves the seed
    body = json.dumps({"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": "alice", "domain": {"id": "default"},
                 "password": SEED.USERS["alice"]["password"]}}}}}).encode()
    req = urllib.request.Request(f"{KEYSTONE_URL}/auth/tokens", data=body,  # noqa: S310
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback http)
            return resp.status == 201
    except (urllib.error.URLError, OSError):
        return False


def _seed(state):
    python = REPO / ".devcloud" / "venv" / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(HEPS_DEVCLOUD_STATE=str(state),
               OS_CLIENT_CONFIG_FILE=str(state / "clouds.yaml"))
    log = ARTIFACTS / "devcloud-seed.log"
    rc = _run_logged([python if python.exists() else sys.executable,
                      REPO / "devcloud" / "seed" / "seed.py"], log, env=env,
                     timeout=600)
    if rc != 0:
        pytest.fail(f"seeding the dev cloud failed (rc {rc}); {log}:\n"
                    + tail(log), pytrace=False)


def pytest_configure(config):
    # openstacksdk's own deprecation chatter about its internals, not about our calls
    config.addinivalue_line("filterwarnings",
                            "ignore:The 'service_type' parameter is unnecesary")
    config.addinivalue_line("filterwarnings", "ignore:Support for InfluxDB")


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def devcloud(artifacts_dir):
    if SEED is None:
        pytest.fail(f"no devcloud/seed/seed_data.py under {REPO}: the dev-cloud tests run "
                    "from a checkout of the repository", pytrace=False)
    state = state_dir()
    cloud = DevCloud(state=state)
    if not http_ok(KEYSTONE_URL) and os.environ.get("HEPS_DEVCLOUD_NO_START"):
        pytest.fail(f"no keystone on {KEYSTONE_URL} and HEPS_DEVCLOUD_NO_START is set",
                    pytrace=False)
    if not http_ok(KEYSTONE_URL):
        log = artifacts_dir / "devcloud-up.log"
        t0 = time.monotonic()
        try:
            rc = _run_logged([REPO / "devcloud" / "cloud", "up"], log,
                             timeout=int(os.environ.get(
                                 "HEPS_DEVCLOUD_UP_TIMEOUT", "1200")))
        except subprocess.TimeoutExpired:
            rc = "timeout"
        cloud.started_here = True
        if rc != 0:
            pytest.fail(f"`devcloud/cloud up` failed ({rc}) after "
                        f"{time.monotonic() - t0:.0f} s; {log}:\n{tail(log)}",
                        pytrace=False)
        sys.stderr.write(f"\n[devcloud] up in {time.monotonic() - t0:.0f} s\n")
    if not _seeded(state):
        _seed(state)
    cloud.manifest = json.loads((state / "seed-manifest.json").read_text())
    _sweep_leftovers(cloud)
    yield cloud
    if cloud.started_here and not os.environ.get("HEPS_DEVCLOUD_KEEP"):
        _run_logged([REPO / "devcloud" / "cloud", "down"],
                    artifacts_dir / "devcloud-up.log", timeout=300)


# names of the servers tests create: it-* (integration), br-* (browser),
# dj-* (Django test client)
TEST_SERVER_NAME = re.compile(r"^(it|br|dj)-")


def _sweep_leftovers(cloud, older_than_s=900):
    """Delete test servers a crashed run left behind (they hold GPU quota).

    Only servers older than 15 min: a concurrent test session's are younger.
    Best effort: a failure here is reported, never fatal.
    """
    try:
        admin = cloud.connect("devcloud-admin")
        servers = nova(admin, "GET", "/servers/detail?all_tenants=1")["servers"]
        now = datetime.datetime.now(datetime.UTC)
        for s in servers:
            created = datetime.datetime.fromisoformat(s["created"].replace("Z", "+00:00"))
            if (TEST_SERVER_NAME.match(s["name"])
                    and (now - created).total_seconds() > older_than_s):
                sys.stderr.write(f"[devcloud] deleting leftover test server {s['name']}\n")
                nova(admin, "DELETE", f"/servers/{s['id']}", ok=(204, 404))
    except Exception as e:  # a sweep must never stop the session
        sys.stderr.write(f"[devcloud] could not sweep leftover test servers: {e}\n")


@pytest.fixture(scope="session")
def admin(devcloud):
    return devcloud.connect("devcloud-admin")


@pytest.fixture(scope="session")
def alice(devcloud):
    return devcloud.connect("devcloud-alice")


@pytest.fixture(scope="session")
def bob(devcloud):
    return devcloud.connect("devcloud-bob")


@pytest.fixture(scope="session")
def reader(devcloud):
    return devcloud.connect("devcloud-reader")


# --- nova over REST (one keystone session per user, explicit microversions) ---

class ApiError(AssertionError):
    pass


def call(proxy, method, url, ok=(200, 201, 202, 204), microversion=None,
         **kw):
    """proxy: an openstacksdk service proxy (a keystoneauth adapter)."""
    if microversion:
        kw["microversion"] = microversion
    resp = proxy.request(url, method, **kw)
    if resp.status_code not in ok:
        raise ApiError(f"{method} {url} -> {resp.status_code}: {resp.text[:800]}")
    return resp.json() if resp.content else {}


def nova(conn, method, url, ok=(200, 201, 202, 204), **kw):
    return call(conn.compute, method, url, ok, microversion=NOVA_MV, **kw)


def wait_until(check, timeout=60, interval=0.5, what="condition"):
    """``check()``'s first truthy answer, asked every ``interval`` s for ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def why_error(server):
    """A server in ERROR: nova's fault and what nova's services logged at ERROR about it."""
    fault = server.get("fault") or {}
    logged = [line.strip()[:400] for log in (state_dir() / "logs").glob("nova-*.log")
              for line in log.read_text(errors="replace").splitlines()
              if server["id"] in line and " ERROR " in line]
    return (f"server {server['id']} went to ERROR: {fault.get('code')} {fault.get('message')}"
            + "".join(f"\n  {line}" for line in logged[-6:]))


def wait_server(conn, server_id, statuses=("ACTIVE",), timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        server = nova(conn, "GET", f"/servers/{server_id}")["server"]
        if server["status"] in statuses and not server.get("OS-EXT-STS:task_state"):
            return server
        if server["status"] == "ERROR":
            raise ApiError(why_error(server))
        if time.monotonic() > deadline:
            raise ApiError(f"server {server_id} still {server['status']}/"
                           f"{server.get('OS-EXT-STS:task_state')} after "
                           f"{timeout} s (wanted {statuses})")
        time.sleep(0.5)


def desktop_metadata(experiment, profile, hours=8):
    """What a desktop made outside the plugin carries: no owner (nova's user_id is the
    owner) and an unsigned expiry (the plugin believes the signed one only, and falls
    back to creation + the default lifetime)."""
    expires = (datetime.datetime.now(datetime.UTC)
               + datetime.timedelta(hours=hours)).replace(microsecond=0)
    return {"heps:experiment": experiment, "heps:profile": profile,
            "heps:expires_at": expires.isoformat().replace("+00:00", "Z")}


@dataclass
class ServerFactory:
    devcloud: DevCloud
    made: list = field(default_factory=list)

    def create(self, conn, name, flavor="heps.cpu.std",
               image="heps-imaging-desktop-2026.1", project="experiment-a",
               desktop=True, metadata=None, wait=True):
        """Boot a server as conn; desktop=True adds the tag and metadata."""
        m = self.devcloud.manifest
        body = {"name": name, "flavorRef": m["flavors"][flavor],
                "imageRef": m["images"][image],
                "networks": [{"uuid": m["desktop_networks"][project]}],
                "security_groups": [{"name": SEED.SECURITY_GROUP}]}
        if desktop:
            body["tags"] = [DESKTOP_TAG]
            body["metadata"] = desktop_metadata(
                SEED.PROJECTS[project]["experiment"], flavor)
        if metadata:
            body.setdefault("metadata", {}).update(metadata)
        try:
            server = nova(conn, "POST", "/servers", json={"server": body})["server"]
        except ApiError as e:
            if "over a limit" in str(e):  # say who holds the project's quota
                held = nova(conn, "GET", "/servers/detail")["servers"]
                raise ApiError(f"{e}\n  servers of the project: " + ", ".join(
                    f"{s['name']} ({s['flavor']['original_name']})" for s in held)
                    ) from None
            raise
        self.made.append((conn, server["id"]))
        if wait:
            return wait_server(conn, server["id"])
        return server

    def cleanup(self, timeout=90):
        errors = []
        for conn, sid in self.made:
            try:
                nova(conn, "DELETE", f"/servers/{sid}", ok=(204, 404))
            except Exception as e:  # keep deleting the others
                errors.append(f"{sid}: {e}")
        deadline = time.monotonic() + timeout
        for conn, sid in self.made:
            while time.monotonic() < deadline:
                resp = conn.compute.get(f"/servers/{sid}", microversion=NOVA_MV)
                if resp.status_code == 404:
                    break
                if resp.json()["server"]["status"] == "ERROR":
                    # a failed delete leaves the GPU allocated: retry once
                    conn.compute.delete(f"/servers/{sid}", microversion=NOVA_MV)
                time.sleep(0.5)
            else:
                errors.append(f"{sid}: not deleted after {timeout} s")
        self.made.clear()
        if errors:
            raise ApiError("cleanup failed: " + "; ".join(errors))


@pytest.fixture
def server_factory(devcloud):
    factory = ServerFactory(devcloud)
    yield factory
    factory.cleanup()
