"""pytest plugin (loaded by tests/cloud_fixtures.py): real Horizon served next to the
tests, and the desktops reconciler running beside it as in production.

Fixtures (session scope):
  horizon_state   Horizon's state dir (SECRET_KEY, static files): HEPS_HORIZON_STATE,
                  else <repo>/.horizon. Horizon and the reconciler both get it, so they
                  share the SECRET_KEY and with it the lifetime signing key.
  reconciler      `scripts/reconciler --loop 2` (heps_desktops_reconcile with Horizon's
                  settings and the dev cloud's admin credential) in its own process
                  group, log in test-artifacts/reconciler.log; ready once its first pass
                  has run, stopped at the end of the session. Attaching experiment data
                  is its work: Horizon's pages only show the state and poll.
  horizon_server  `scripts/horizon-serve 8001` pointed at the dev cloud, log in
                  test-artifacts/horizon-serve-<port>.log; .url is its base URL.
                  Depends on ``reconciler``.

Environment knobs:
  HEPS_HORIZON_URL        use an already running Horizon instead of starting one
  HEPS_HORIZON_STATE      Horizon's state dir (default <repo>/.horizon)
  HEPS_TEST_HORIZON_PORT  port for the Horizon the tests start (default 8001, or a
                          free port if 8001 is taken, e.g. by another session)
  HEPS_TEST_RECONCILER=0  start no reconciler (one already runs next to the Horizon
                          under test, e.g. with HEPS_HORIZON_URL)
"""

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
from cloud_fixtures import REPO
from cloud_fixtures import http_ok
from cloud_fixtures import tail
from failure_logs import service_logs

RECONCILER_LOOP_SECONDS = 2
# What heps_desktops_reconcile prints after each pass ("N desktop(s) seen; ...").
PASS_DONE = b"desktop(s) seen"


@dataclass
class HorizonServer:
    url: str
    log: pathlib.Path = None
    proc: subprocess.Popen = None


@dataclass
class Reconciler:
    log: pathlib.Path = None
    proc: subprocess.Popen = None

    def passes(self):
        """How many passes the reconciler has finished so far (from its log)."""
        if self.log is None or not self.log.exists():
            return 0
        return self.log.read_bytes().count(PASS_DONE)

    def wait_passes(self, count=1, timeout=60):
        """Wait until ``count`` more passes have finished (none to wait for when the
        reconciler runs outside this session)."""
        if self.proc is None:
            return
        target = self.passes() + count
        deadline = time.monotonic() + timeout
        while self.passes() < target:
            if self.proc.poll() is not None:
                raise AssertionError(f"the reconciler exited with {self.proc.returncode}; "
                                     f"{self.log}:\n{tail(self.log)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no reconciler pass in {timeout} s; "
                                     f"{self.log}:\n{tail(self.log)}")
            time.sleep(0.2)


def _port_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_group(proc, grace=15):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def horizon_state():
    return pathlib.Path(os.environ.get("HEPS_HORIZON_STATE") or REPO / ".horizon").resolve()


@pytest.fixture(scope="session")
def reconciler(devcloud, artifacts_dir, horizon_state):
    if os.environ.get("HEPS_TEST_RECONCILER") == "0":
        yield Reconciler()
        return
    script = REPO / "scripts" / "reconciler"
    if not script.exists():
        pytest.fail(f"{script} is missing", pytrace=False)
    log = artifacts_dir / "reconciler.log"
    env = dict(os.environ, HEPS_HORIZON_STATE=str(horizon_state),
               HEPS_DEVCLOUD_STATE=str(devcloud.state),
               OS_CLIENT_CONFIG_FILE=str(devcloud.clouds_yaml),
               HEPS_OPERATOR_CLOUD="devcloud-admin")
    out = open(log, "wb")  # closed at the end of the session
    proc = subprocess.Popen([str(script), "--loop", str(RECONCILER_LOOP_SECONDS)],
                            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO,
                            start_new_session=True)
    running = Reconciler(log=log, proc=proc)
    service_logs.append(log)
    try:
        # The first pass also proves the install (scripts/horizon-install, shared with
        # horizon-serve: run one after the other) and the operator credential.
        deadline = time.monotonic() + 300
        while running.passes() < 1:
            if proc.poll() is not None:
                pytest.fail(f"scripts/reconciler exited with {proc.returncode}; "
                            f"{log}:\n{tail(log)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"no reconciler pass after 300 s; {log}:\n{tail(log)}",
                            pytrace=False)
            time.sleep(0.5)
        yield running
    finally:
        _stop_group(proc)
        out.close()


@pytest.fixture(scope="session")
def horizon_server(devcloud, artifacts_dir, horizon_state, reconciler):
    given = os.environ.get("HEPS_HORIZON_URL")
    if given:
        yield HorizonServer(url=given.rstrip("/"))
        return
    asked = os.environ.get("HEPS_TEST_HORIZON_PORT")
    port = int(asked or 8001)
    if not _port_free(port):
        if asked:
            pytest.fail(f"127.0.0.1:{port} (HEPS_TEST_HORIZON_PORT) is in use; set "
                        f"HEPS_HORIZON_URL=http://127.0.0.1:{port} to test against what "
                        "runs there", pytrace=False)
        port = _free_port()  # e.g. another test session's Horizon holds 8001
        sys.stderr.write(f"\n[horizon] 8001 is in use: serving on {port}\n")
    url = f"http://127.0.0.1:{port}"
    serve = REPO / "scripts" / "horizon-serve"
    if not serve.exists():
        pytest.fail(f"{serve} is missing", pytrace=False)
    log = artifacts_dir / f"horizon-serve-{port}.log"
    env = dict(os.environ, OPENSTACK_KEYSTONE_URL=devcloud.keystone_url,
               HEPS_HORIZON_STATE=str(horizon_state))
    out = open(log, "wb")  # closed at the end of the session
    proc = subprocess.Popen([str(serve), str(port)], stdout=out,
                            stderr=subprocess.STDOUT, env=env, cwd=REPO,
                            start_new_session=True)
    server = HorizonServer(url=url, log=log, proc=proc)
    service_logs.insert(0, log)
    try:
        deadline = time.monotonic() + 180
        while not http_ok(url + "/auth/login/", timeout=5):
            if proc.poll() is not None:
                pytest.fail(f"horizon-serve exited with {proc.returncode}; "
                            f"{log}:\n{tail(log)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"Horizon not answering on {url}/auth/login/ after "
                            f"180 s; {log}:\n{tail(log)}", pytrace=False)
            time.sleep(0.5)
        yield server
    finally:
        _stop_group(proc)
        out.close()
