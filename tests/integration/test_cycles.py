"""Launch / attach experiment data / delete, over and over, against the dev cloud, with
the reconciler looping beside (in process, as ``--loop`` runs next to Horizon): zero
leftovers afterwards — access rules, share attachments, neutron ports, unused
``heps-exp-*`` security groups — checked through the real APIs as admin
(integration/leftovers.py).

``make test`` runs HEPS_CYCLES (default 20); ``make soak`` runs HEPS_SOAK_CYCLES
(default 100). Cycles run WORKERS at a time, like busy users of one project.
"""

import concurrent.futures
import os
import time

import pytest

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import revocation
from integration import leftovers
from integration import reconciler_support as support
from integration.reconciler_support import launcher_fixture  # noqa: F401

pytestmark = pytest.mark.integration
WORKERS = 4
ATTACH_TIMEOUT = 90


@pytest.fixture
def ops(settings, devcloud, monkeypatch):
    return support.settings_for(settings, devcloud, monkeypatch)


def _attached(launcher, server_id):
    server = launcher.get(server_id)
    return server["metadata"].get(names.META_DATA_STATE) == mounts.STATE_ATTACHED


def _cycle(launcher, user):
    server = launcher.launch(ctx=user)
    deadline = time.monotonic() + ATTACH_TIMEOUT
    while not _attached(launcher, server.id):
        assert time.monotonic() < deadline, "attach did not finish"
        time.sleep(0.3)
    report = revocation.delete_desktop(user, server.id)
    assert not report.failed, report.failed
    return server.id


def run_cycles(count, ops, launcher, admin, devcloud):
    t0 = time.monotonic()
    users = [launcher.user() for _ in range(WORKERS)]
    with support.LoopingReconciler(ops, interval=0.2) as loop:
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            ids = list(pool.map(lambda i: _cycle(launcher, users[i % WORKERS]),
                                range(count)))
        for server_id in ids:
            launcher.wait(server_id, ("GONE",))
    assert not loop.errors, loop.errors
    assert len(set(ids)) == count
    report = support.run_pass(ops)   # the pass after the last delete
    assert not [line for line in report.lines if line.startswith("FAILED")
                and any(sid in line for sid in ids)], report.lines
    assert leftovers.of_desktops(admin, devcloud, ids) == []
    print(f"\n{count} launch/attach/delete cycles in {time.monotonic() - t0:.0f} s, "
          f"{WORKERS} at a time: nothing left")


def test_launch_attach_delete_cycles_leave_nothing(ops, launcher, admin, devcloud):
    run_cycles(int(os.environ.get("HEPS_CYCLES", "20")), ops, launcher, admin, devcloud)


@pytest.mark.soak
def test_soak_launch_attach_delete_cycles_leave_nothing(ops, launcher, admin, devcloud):
    run_cycles(int(os.environ.get("HEPS_SOAK_CYCLES", "100")), ops, launcher, admin,
               devcloud)
