"""Process bookkeeping: start detached services, find them again, stop them by process group."""

import os
import signal
import socket
import subprocess
import time

from .paths import LOGS
from .paths import PIDS
from .paths import STATE
from .paths import log_of

# every process we start (and its children) carries this in its environment, so `down`
# finds leftovers even without pid files
# (a variable of its own: HEPS_DEVCLOUD_STATE may well be exported in a developer's shell)
TAG = f"HEPS_DEVCLOUD_PROCESS_OF={STATE}"


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def session_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def start_time(pid):
    """Kernel start time of pid (clock ticks since boot): tells a pid from a reused one."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def read_pid(path):
    """pid recorded in path if that very process still lives. Our pid files hold
    "<pid> <start time>"; files with a bare pid (the driver's displays) are trusted when alive."""
    try:
        fields = path.read_text().split()
        pid = int(fields[0])
    except (OSError, ValueError, IndexError):
        return None
    if not alive(pid) or (len(fields) > 1 and fields[1] != start_time(pid)):
        return None
    return pid


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def pid_of(name):
    """pid of a service started by us (session leader), or None."""
    return read_pid(PIDS / f"{name}.pid")


def listener_pids(port):
    """pids listening on 127.0.0.1:port (any owner), from ss."""
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True,
                         text=True).stdout
    pids = set()
    for part in out.split("pid=")[1:]:
        pids.add(int(part.split(",")[0]))
    return pids


def port_owned_by(port, leader):
    """True when the listener on port belongs to the session of our service leader."""
    return any(session_of(p) == leader for p in listener_pids(port))


def start(name, argv, env=None, cwd=None):
    """Start argv in its own session; output appended to logs/<name>.log; pid in pids/."""
    LOGS.mkdir(parents=True, exist_ok=True)
    PIDS.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["HEPS_DEVCLOUD_PROCESS_OF"] = str(STATE)
    with open(log_of(name), "ab") as log:
        log.write(f"\n===== {time.strftime('%F %T')} starting {name}: {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                env=full_env, cwd=cwd, start_new_session=True)
    (PIDS / f"{name}.pid").write_text(f"{proc.pid} {start_time(proc.pid)}\n")
    return proc


def kill_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def group_members(leader):
    """Every live process whose session is leader's (children that outlive the leader too)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and session_of(int(entry)) == leader and alive(int(entry)):
            pids.append(int(entry))
    return pids


def stop_pids(leaders, timeout=15.0):
    """SIGTERM each session, wait, then SIGKILL whatever is left. Returns the leaders that
    needed SIGKILL."""
    leaders = [p for p in leaders if p]
    for pid in leaders:
        kill_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(p) or group_members(p) for p in leaders):
            return []
        time.sleep(0.2)
    hard = []
    for pid in leaders:
        for member in set(group_members(pid)) | ({pid} if alive(pid) else set()):
            if pid not in hard:
                hard.append(pid)
            try:
                os.kill(member, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return hard


def tagged():
    """pids of live processes whose environment carries our TAG (not this process's family)."""
    mine = {os.getpid(), os.getppid()}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in mine:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if TAG.encode() in env and alive(int(entry)):
            found.append(int(entry))
    return found


def sweep(timeout=10.0):
    """TERM, then KILL, every tagged leftover. Returns how many there were."""
    pids = tagged()
    for pid in pids:
        kill_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and tagged():
        time.sleep(0.2)
    for pid in tagged():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(pids)


def tail(path, lines=25):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
