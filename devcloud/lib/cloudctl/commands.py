"""The subcommands of devcloud/cloud."""

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time

from . import configs
from . import db
from . import health
from . import install
from . import keystone_setup
from . import procs
from .paths import LOGS
from .paths import PIDS
from .paths import SEED
from .paths import STATE
from .paths import VBIN
from .paths import WORK
from .paths import log_of
from .rest import ApiError
from .rest import Session
from .services import rabbit_env
from .services import table

T0 = time.monotonic()


def say(msg):
    print(f"[{time.monotonic() - T0:5.1f}s] {msg}", flush=True)


class Failed(Exception):
    """A service did not come up: message names it and its log."""

    def __init__(self, msg, service=None):
        super().__init__(msg)
        self.service = service


def _services():
    launcher, _ = install.driver_installed()
    return table(launcher)


def _running(svc):
    pid = procs.pid_of(svc.name)
    if pid and svc.port and not procs.port_owned_by(svc.port, pid):
        return pid if not procs.port_open(svc.port) else None  # starting, or port taken by another
    return pid


def _foreign_ports(svcs):
    problems = []
    for s in svcs:
        if s.port and procs.port_open(s.port) and not procs.pid_of(s.name):
            owners = ", ".join(str(p) for p in procs.listener_pids(s.port)) or "unknown"
            problems.append(f"port 127.0.0.1:{s.port} needed by {s.name} is in use by another "
                            f"process (pid {owners})")
    return problems


def _wait(what, check, timeout, svc_names, started, timings=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if timings is not None and "rabbitmq" not in timings and procs.port_open(5672):
            timings["rabbitmq"] = time.monotonic() - T0  # rabbit starts in the background
        for name in svc_names:
            if name in started and not procs.pid_of(name):
                raise Failed(f"{name} exited during start-up", name)
        try:
            result = check()
        except (ApiError, OSError) as e:
            result = str(e)
        if result is None:
            return
        time.sleep(0.5)
    raise Failed(f"{what} not ready after {timeout}s: {result}", svc_names[0])


def _start(svc, started):
    if _running(svc):
        return False
    if svc.name == "rabbitmq":
        r = STATE / "rabbitmq"
        for d in ("mnesia", "log"):
            (r / d).mkdir(parents=True, exist_ok=True)
        (r / "enabled_plugins").write_text("[].\n")
    procs.start(svc.name, svc.argv, svc.env)
    started.append(svc.name)
    return True


def up(_args):
    t_install = time.monotonic()
    try:
        did_apt = install.install_debs(say)
        did_pip = install.ensure_venv(say)
        did_drv = install.ensure_driver_package(say)
    except install.InstallError as e:
        print(f"ERROR (install): {e}", file=sys.stderr)
        return 1
    if did_apt or did_pip or did_drv:
        say(f"install done in {time.monotonic() - t_install:.0f}s")
    launcher, mech = install.driver_installed()
    if not launcher:
        say("note: heps-devcloud-compute not installed: computes run stock nova-compute "
            "with fake.FakeDriver")
    if not mech:
        say("note: ML2 mechanism driver heps_fake not installed: ports will not bind")
    LOGS.mkdir(parents=True, exist_ok=True)
    pw = configs.passwords()
    configs.write_all(pw, "heps_fake.HepsFakeDriver" if launcher else "fake.FakeDriver",
                      "heps_fake" if mech else "")
    svcs = table(launcher)
    by_name = {s.name: s for s in svcs}
    if did_drv:  # new driver code: restart the processes that load it
        users = [s.name for s in svcs if s.name.startswith("nova-compute-") or
                 s.name in ("neutron-api", "cinder-volume", "cinder-backup")]
        if any(procs.pid_of(n) for n in users):
            say(f"devcloud/python changed: restarting {', '.join(users)}")
            _stop_names(users)
    problems = _foreign_ports(svcs)
    if problems:
        print("ERROR: " + "\n       ".join(problems), file=sys.stderr)
        return 1
    started, timings = [], {}
    try:
        _up(pw, svcs, by_name, started, timings)
    except (Failed, db.SyncError, ApiError, subprocess.CalledProcessError) as e:
        name = getattr(e, "service", None)
        print(f"\nERROR: {e}", file=sys.stderr)
        if name:
            print(f"--- last lines of {log_of(name)} ---\n{procs.tail(log_of(name))}\n---",
                  file=sys.stderr)
        if started:
            print(f"stopping what this run started: {', '.join(started)}", file=sys.stderr)
            _stop_ordered(started)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what this run started", file=sys.stderr)
        _stop_ordered(started)
        return 130
    except BaseException:
        print(f"unexpected error: stopping what this run started: {started}", file=sys.stderr)
        _stop_ordered(started)
        raise
    return _after_up(pw, timings)


def _up(pw, svcs, by_name, started, timings):
    fresh = db.init_datadir()
    for name in ("mariadb", "rabbitmq"):
        _start(by_name[name], started)
    _wait("mariadb", lambda: None if db.sql("SELECT 1").returncode == 0 else "no answer",
          60, ["mariadb"], started)
    timings["mariadb"] = time.monotonic() - T0
    say(f"mariadb ready{' (new data dir)' if fresh else ''}")
    db.ensure_databases(pw)
    db.sync_all(pw, say)
    for s in svcs:
        if s.stage == 1:
            _start(s, started)
    _wait("keystone", lambda: health.keystone(None), 90, ["keystone"], started, timings)
    timings["keystone"] = time.monotonic() - T0
    session = Session(pw["ADMIN_PASSWORD"])
    keystone_setup.ensure(session, pw["SERVICE_PASSWORD"])
    say("keystone ready; catalog, service users and registered limits in place")
    _wait("rabbitmq", lambda: None if procs.port_open(5672) else "port 5672 closed",
          60, ["rabbitmq"], started, timings)
    for s in svcs:
        if s.stage == 2:
            _start(s, started)
    say("started API servers and workers")
    _wait("placement", lambda: None if session.api("GET", health.PLACEMENT + "/")[0] == 200
          else "placement not answering", 120, ["placement"], started)
    for s in svcs:
        if s.stage == 3:
            _start(s, started)
    pending = dict(health.CHECKS)
    last = {}
    deadline = time.monotonic() + 240
    next_note = time.monotonic() + 20
    while pending and time.monotonic() < deadline:
        if time.monotonic() > next_note:
            next_note += 20
            say("waiting for: " + "; ".join(f"{k} ({last.get(k)})" for k in pending))
        for name, check in list(pending.items()):
            for proc_name in health.PROCESSES[name]:
                if proc_name in started and not procs.pid_of(proc_name):
                    raise Failed(f"{proc_name} exited during start-up", proc_name)
            try:
                last[name] = check(session)
            except (ApiError, OSError, KeyError, TypeError) as e:
                last[name] = str(e)
            if last[name] is None:
                timings.setdefault(name, time.monotonic() - T0)
                del pending[name]
                say(f"{name} healthy")
        time.sleep(1)
    dead = [s.name for s in svcs if s.name in started and not procs.pid_of(s.name)]
    if dead:
        raise Failed(f"{dead[0]} exited during start-up", dead[0])
    if pending:
        name = sorted(pending)[0]
        proc = next((p for p in health.PROCESSES[name] if p in by_name), name)
        raise Failed(f"{name} not healthy after 240s: {last.get(name)} "
                     f"(logs: {', '.join(str(log_of(p)) for p in health.PROCESSES[name])})", proc)
    _share_type(session)


# Results shares are snapshotted and cloned (results export): the dummy driver does both.
SHARE_TYPE_SPECS = {"driver_handles_share_servers": False, "snapshot_support": True,
                    "create_share_from_snapshot_support": True}


def _share_type(session):
    hdr = {"X-OpenStack-Manila-API-Version": "2.46"}
    status, doc = session.api("GET", f"{health.MANILA}/types?is_public=all", headers=hdr)
    found = [t for t in doc["share_types"] if t["name"] == "default"] if status == 200 else []
    if found:
        specs = found[0].get("extra_specs") or {}
        missing = {k: str(v) for k, v in SHARE_TYPE_SPECS.items()
                   if k != "driver_handles_share_servers" and str(specs.get(k)) != str(v)}
        if missing:
            status, doc = session.api("POST", f"{health.MANILA}/types/{found[0]['id']}"
                                      "/extra_specs", {"extra_specs": missing}, headers=hdr)
    else:
        status, doc = session.api("POST", f"{health.MANILA}/types", {"share_type": {
            "name": "default", "share_type_access:is_public": True,
            "extra_specs": SHARE_TYPE_SPECS}}, headers=hdr)
    if status != 200:
        raise Failed(f"manila: creating share type 'default' failed: HTTP {status} {doc}",
                     "manila-api")


def _write_client_files(pw):
    clouds = STATE / "clouds.yaml"
    admin = ("  devcloud-admin:\n    region_name: RegionOne\n    identity_api_version: 3\n"
             "    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      username: admin\n"
             f"      password: {pw['ADMIN_PASSWORD']}\n      project_name: admin\n"
             "      user_domain_name: Default\n      project_domain_name: Default\n")
    if not clouds.exists() or "devcloud-admin:" not in clouds.read_text():
        rest = clouds.read_text().split("clouds:", 1)[-1] if clouds.exists() else ""
        configs.write_private(clouds, "clouds:\n" + admin + rest.lstrip("\n"))
    configs.write_private(STATE / "admin-openrc.sh",
        "# source me: admin credentials of the dev cloud (demo only)\n"
        "export OS_AUTH_URL=http://127.0.0.1:5000/v3 OS_IDENTITY_API_VERSION=3\n"
        f"export OS_USERNAME=admin OS_PASSWORD={pw['ADMIN_PASSWORD']} OS_PROJECT_NAME=admin\n"
        "export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default\n"
        "export OS_REGION_NAME=RegionOne\n"
        f"export OS_CLOUD= OS_CLIENT_CONFIG_FILE={clouds}\n")
    return clouds


def _seed(pw, clouds):
    if not SEED.exists():
        say(f"no {SEED.relative_to(SEED.parents[2])}: skipping seed")
        return 0
    env = dict(os.environ, HEPS_DEVCLOUD_STATE=str(STATE), OS_CLIENT_CONFIG_FILE=str(clouds),
               OS_AUTH_URL="http://127.0.0.1:5000/v3", OS_USERNAME="admin",
               OS_PASSWORD=pw["ADMIN_PASSWORD"], OS_PROJECT_NAME="admin",
               OS_USER_DOMAIN_NAME="Default", OS_PROJECT_DOMAIN_NAME="Default",
               OS_REGION_NAME="RegionOne", OS_IDENTITY_API_VERSION="3")
    t = time.monotonic()
    say("seeding: devcloud/seed/seed.py")
    with open(log_of("seed"), "ab") as log:
        rc = subprocess.run([str(VBIN / "python"), str(SEED)], env=env, stdout=log,
                            stderr=subprocess.STDOUT).returncode
    if rc:
        print(f"ERROR: seed failed (exit {rc}); the cloud is running. Log: {log_of('seed')}\n"
              f"{procs.tail(log_of('seed'))}", file=sys.stderr)
    else:
        say(f"seeded in {time.monotonic() - t:.0f}s")
    return rc


def _after_up(pw, timings):
    clouds = _write_client_files(pw)
    rc = _seed(pw, clouds)
    total = time.monotonic() - T0
    print("\nReady timings (s since start): " + ", ".join(
        f"{k} {v:.1f}" for k, v in sorted(timings.items(), key=lambda kv: kv[1])))
    print(f"Total: {total:.1f}s\n")
    print("Endpoints (127.0.0.1 only): keystone :5000/v3  nova :8774/v2.1  placement :8778  "
          "glance :9292\n  neutron :9696  manila :8786/v2  cinder :8776/v3  novnc :6080  "
          "spice-html5 :6082")
    print(f"Admin: admin / {pw['ADMIN_PASSWORD']} (project admin; {STATE / 'passwords.env'})")
    creds = STATE / "demo-credentials.txt"
    if creds.exists():
        print(creds.read_text().rstrip())
    print(f"clouds.yaml: {clouds}  (export OS_CLIENT_CONFIG_FILE={clouds} OS_CLOUD=devcloud-admin)")
    print(f"admin rc:    source {STATE / 'admin-openrc.sh'}\nLogs:        {LOGS}/")
    return 1 if rc else 0


def _display_pids():
    pids = []
    for f in STATE.glob("compute/*/displays/*.pid"):
        pid = procs.read_pid(f)  # a bare pid: make sure it is still a display server
        if pid and any(x in procs.cmdline(pid) for x in ("Xvnc", "Xorg", "Xspice")):
            pids.append(pid)
    return pids


def _stop_names(names):
    leaders = {n: procs.pid_of(n) for n in names}  # only if still the process we started
    leaders = {n: p for n, p in leaders.items() if p}
    hard = procs.stop_pids(list(leaders.values()))
    for name in names:
        (PIDS / f"{name}.pid").unlink(missing_ok=True)
    hard = [n for n, p in leaders.items() if p in hard]
    if "rabbitmq" in names and shutil.which("epmd"):
        subprocess.run(["epmd", "-kill"], env=dict(os.environ, **rabbit_env()),
                       capture_output=True)
    return hard


INFRA = ("rabbitmq", "mariadb")


def _stop_ordered(names):
    """OpenStack services first (they would log DB/AMQP errors otherwise), then rabbit/mariadb."""
    hard = _stop_names([n for n in reversed(names) if n not in INFRA])
    return hard + _stop_names([n for n in names if n in INFRA])


def down(_args):
    t = time.monotonic()
    svcs = _services()
    hard = _stop_names([s.name for s in reversed(svcs) if s.name not in INFRA])
    displays = _display_pids()
    hard += ["display"] * len(procs.stop_pids(displays, timeout=5))
    for f in STATE.glob("compute/*/displays/*.pid"):
        f.unlink(missing_ok=True)
    hard += _stop_names(list(INFRA))
    leftovers = procs.sweep()
    if leftovers:
        print(f"stopped {leftovers} leftover process(es) of this dev cloud without pid files")
    print(f"stopped in {time.monotonic() - t:.1f}s"
          + (f" (SIGKILL needed for {', '.join(hard)})" if hard else "")
          + (f"; {len(displays)} display server(s)" if displays else ""))
    return 0


def locked(func):
    """One up/down/reset at a time per state dir (others wait)."""
    def run(args):
        WORK.mkdir(parents=True, exist_ok=True)
        with open(WORK / "cloud.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print("another devcloud/cloud up/down/reset is running: waiting for it...",
                      flush=True)
                fcntl.flock(lock, fcntl.LOCK_EX)
            return func(args)
    return run


def restart(args):
    """Stop the named services (all when none), wait until they are gone, then `up`."""
    names = args.service or [s.name for s in _services()]
    unknown = [n for n in names if n not in {s.name for s in _services()}]
    if unknown:
        print(f"ERROR: unknown service(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.service:
        _stop_ordered(names)
    else:
        down(args)
    return up(args)


def reset(args):
    down(args)
    if STATE.exists():
        shutil.rmtree(STATE)
    print(f"removed {STATE} (venv kept)")
    return 0


def status(_args):
    rc = 0
    print(f"{'service':24} {'state':8} {'pid':>8} {'port':>6}  log")
    for s in _services():
        pid = procs.pid_of(s.name)
        if pid and s.port and not procs.port_open(s.port):
            state = "starting"
        else:
            state = "running" if pid else "stopped"
        rc |= state != "running"
        print(f"{s.name:24} {state:8} {pid or '-':>8} {s.port or '-':>6}  {log_of(s.name)}")
    displays = _display_pids()
    if displays:
        print(f"display servers (Xvnc/Xorg): {len(displays)} running")
    return 3 if rc else 0


def logs(args):
    names = args.service or []
    if not names:
        for f in sorted(LOGS.glob("*.log")):
            print(f"{f.stat().st_size:>10}  {f}")
        return 0
    files = [log_of(n) for n in names]
    if args.follow:
        try:
            cmd = ["tail", "-n", str(args.lines), "-F", *map(str, files)]
            return subprocess.run(cmd).returncode
        except KeyboardInterrupt:
            return 0
    for f in files:
        print(f"==> {f} <==\n{procs.tail(f, args.lines)}")
    return 0


signal.signal(signal.SIGTERM, signal.default_int_handler)
