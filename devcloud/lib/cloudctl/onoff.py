"""`devcloud/cloud stop|start SERVICE...`: take single services down and back up (fault
tests), without touching the rest of the running cloud."""

import sys
import time

from . import commands
from . import configs
from . import health
from . import procs
from .paths import PIDS
from .paths import log_of
from .rest import ApiError
from .rest import Session

START_TIMEOUT = 120


def _known(names):
    svcs = {s.name: s for s in commands._services()}
    unknown = [n for n in names if n not in svcs]
    if unknown:
        print(f"ERROR: unknown service(s): {', '.join(unknown)} (known: "
              f"{', '.join(svcs)})", file=sys.stderr)
        return None
    return [svcs[n] for n in names]


def stop(args):
    """Stop the named services (their process groups); the rest keeps running."""
    svcs = _known(args.service)
    if svcs is None:
        return 2
    t = time.monotonic()
    hard = commands._stop_ordered([s.name for s in svcs])
    print(f"stopped {', '.join(s.name for s in svcs)} in {time.monotonic() - t:.1f}s"
          + (f" (SIGKILL needed for {', '.join(hard)})" if hard else ""))
    return 0


def _checks_of(name):
    """The readiness checks (health.CHECKS) that depend on this process."""
    return [check for check, procs_ in health.PROCESSES.items() if name in procs_]


def start(args):
    """Start the named services if stopped, and wait until each answers its readiness
    check (the other services they need must be running: this is not `up`)."""
    svcs = _known(args.service)
    if svcs is None:
        return 2
    if not (PIDS / "keystone.pid").exists():
        print("ERROR: the dev cloud was never brought up here: run `devcloud/cloud up`",
              file=sys.stderr)
        return 1
    t, started = time.monotonic(), []
    for svc in svcs:
        commands._start(svc, started)
    try:
        for svc in svcs:
            if svc.port:
                commands._wait(svc.name, lambda p=svc.port: None if procs.port_open(p)
                               else f"port {p} closed", START_TIMEOUT, [svc.name], started)
        session = Session(configs.passwords()["ADMIN_PASSWORD"])
        for check in dict.fromkeys(c for s in svcs for c in _checks_of(s.name)):
            commands._wait(check, lambda c=check: health.CHECKS[c](session), START_TIMEOUT,
                           health.PROCESSES[check], started)
    except (commands.Failed, ApiError) as e:
        name = getattr(e, "service", None) or svcs[0].name
        print(f"ERROR: {e}\n--- last lines of {log_of(name)} ---\n"
              f"{procs.tail(log_of(name))}\n---", file=sys.stderr)
        return 1
    print(f"started {', '.join(started) or 'nothing (all were running)'}; "
          f"{', '.join(s.name for s in svcs)} ready in {time.monotonic() - t:.1f}s")
    return 0
