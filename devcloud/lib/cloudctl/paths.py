"""Where everything lives: all paths derive from the repository holding this file."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEVCLOUD = REPO / "devcloud"
TEMPLATES = DEVCLOUD / "etc-templates"
LIB = DEVCLOUD / "lib"
DRIVER_PKG = DEVCLOUD / "python"
SEED = DEVCLOUD / "seed" / "seed.py"
WORK = REPO / ".devcloud"
VENV = WORK / "venv"
VBIN = VENV / "bin"
STATE = WORK / "state"
LOGS = STATE / "logs"
PIDS = STATE / "pids"
ETC = STATE / "etc"
DONE = STATE / "done"  # markers of one-time steps (db syncs, bootstrap)
MYSQL_SOCK = STATE / "mysql" / "mysqld.sock"
KEYSTONE = "http://127.0.0.1:5000"

def log_of(name):
    return LOGS / f"{name}.log"
