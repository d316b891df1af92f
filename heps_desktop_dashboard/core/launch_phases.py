"""Boot progress of a desktop in phases, from what nova and the server's metadata say.

Plain Python: the Console tab and its status endpoint word the phases
(dashboards/project/desktops/launch_status.py).
"""

import dataclasses

from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.core import profiles

SCHEDULED = "scheduled"
GPU_ALLOCATED = "gpu_allocated"
BOOTING = "booting"
DATA_ATTACHING = "data_attaching"
READY = "ready"

# The state of one phase.
DONE = "done"
ACTIVE = "active"
WAITING = "waiting"
FAILED = "failed"

# nova tasks of a desktop on its way to running (launch, start, unshelve). A reboot is
# not one: the Console tab says the desktop is not running, as for any other task.
SCHEDULING_TASKS = frozenset({"scheduling", "unshelving"})
COMING_UP_TASKS = SCHEDULING_TASKS | frozenset({
    "block_device_mapping", "networking", "spawning", "powering-on"})
RUNNING_POWER_STATE = 1  # nova's power_state RUNNING
NO_HOST_FAULT = "no valid host"


@dataclasses.dataclass(frozen=True)
class Progress:
    """``phases``: ((phase, state), ...) in order; ``coming_up``: the desktop is on its
    way to a console (worth polling); ``running``: nova says it runs with no task and no
    data step, so its console can answer; ``failed``: nova put it in ERROR."""

    phases: tuple
    coming_up: bool
    running: bool
    failed: bool


def _field(server, key, default=None):
    value = getattr(server, key, default)
    return default if value is None else value


def has_gpu(server):
    flavor = _field(server, "flavor", {})
    specs = flavor.get("extra_specs") if isinstance(flavor, dict) else None
    return bool(profiles.gpu_resources(specs or {}))


def _data_state(server):
    """The experiment-data phase's own state, or None without experiment data."""
    metadata = _field(server, "metadata", {})
    state = mounts.read_data_state(metadata if isinstance(metadata, dict) else {}).state
    if not state or state in mounts.DETACHING_STATES:
        return None
    if state == mounts.STATE_ERROR:
        return FAILED
    return ACTIVE if state in mounts.ATTACHING_STATES else DONE


def _no_host(server):
    fault = _field(server, "fault", {})
    message = fault.get("message", "") if isinstance(fault, dict) else ""
    return NO_HOST_FAULT in str(message).lower()


def _current(server, status, task, runs, attaching, console_answers):
    """The phase the desktop is in now, or None when every phase is done."""
    if status == "error":
        return SCHEDULED if _no_host(server) else BOOTING
    if task in SCHEDULING_TASKS or (status == "build" and not task):
        return SCHEDULED
    if attaching and status != "build":
        return DATA_ATTACHING
    if not runs:
        return BOOTING
    return None if console_answers else READY


def progress(server, console_answers=False):
    """The desktop's boot progress. ``console_answers``: a console was just obtained
    for it (the status endpoint asks nova only once the desktop runs)."""
    status = str(_field(server, "status", "")).lower()
    task = _field(server, "OS-EXT-STS:task_state", "") or ""
    power = _field(server, "OS-EXT-STS:power_state", None)
    data = _data_state(server)
    attaching = data == ACTIVE and status not in mounts.STUCK_SERVER_STATES
    runs = status == "active" and not task and power in (None, RUNNING_POWER_STATE)
    order = [SCHEDULED] + ([GPU_ALLOCATED] if has_gpu(server) else []) + [BOOTING]
    order += ([DATA_ATTACHING] if data else []) + [READY]
    current = _current(server, status, task, runs, attaching, console_answers)
    reached = order.index(current) if current in order else len(order)
    failed = status == "error"
    phases = []
    for index, phase in enumerate(order):
        state = DONE if index < reached else WAITING
        if index == reached:
            state = FAILED if failed else ACTIVE
        if phase == DATA_ATTACHING and data == FAILED:
            state = FAILED
        phases.append((phase, state))
    return Progress(phases=tuple(phases),
                    coming_up=not failed and (status == "build" or task in COMING_UP_TASKS
                                              or attaching),
                    running=runs and not attaching, failed=failed)
