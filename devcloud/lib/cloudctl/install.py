"""First-use installation: Debian packages, the cloud venv, the project's driver package."""

import hashlib
import os
import subprocess
import sys
import time

from .paths import DEVCLOUD
from .paths import DRIVER_PKG
from .paths import LIB
from .paths import VBIN
from .paths import VENV

APT_LIST = DEVCLOUD / "apt-packages.txt"
CONSTRAINTS = DEVCLOUD / "constraints.txt"
REQUIREMENTS = LIB / "requirements.txt"
VENV_MARK = VENV / ".heps-devcloud-installed"
DRIVER_MARK = VENV / ".heps-devcloud-driver"
POLICY_RC = "/usr/sbin/policy-rc.d"
# debugging aid: don't (re)install devcloud/python; computes run stock nova-compute (FakeDriver)
NO_DRIVER = os.environ.get("HEPS_DEVCLOUD_NO_DRIVER") == "1"


class InstallError(Exception):
    pass


def _wanted(path):
    return [w for line in path.read_text().splitlines()
            for w in [line.split("#", 1)[0].strip()] if w]


def missing_debs():
    pkgs = _wanted(APT_LIST)
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *pkgs],
                         capture_output=True, text=True).stdout
    installed = {ln.split()[0].split(":")[0] for ln in out.splitlines()
                 if ln.endswith(" installed")}
    return [p for p in pkgs if p not in installed]


def _apt(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-q", *args]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    return r.returncode, r.stdout[-3000:] + r.stderr[-3000:]


def install_debs(say):
    missing = missing_debs()
    if not missing:
        return False
    if os.geteuid() != 0:
        raise InstallError("missing Debian packages (run as root or install them): "
                           + " ".join(missing))
    say(f"apt: installing {' '.join(missing)}")
    # never let package scripts start system-wide rabbitmq/mariadb (they would take our ports)
    own_policy = not os.path.exists(POLICY_RC)
    if own_policy:
        with open(POLICY_RC, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(POLICY_RC, 0o755)  # noqa: S103 - must be executable, like Debian's own
    try:
        rc, out = _apt("install", "--no-install-recommends", *missing)
        if rc != 0:
            _apt("update")
            rc, out = _apt("install", "--no-install-recommends", *missing)
        if rc != 0:
            raise InstallError(f"apt-get install failed:\n{out}")
    finally:
        if own_policy:
            os.unlink(POLICY_RC)
    return True


def _digest(*paths):
    h = hashlib.sha256()
    for base in paths:
        files = [base] if base.is_file() else sorted(
            p for p in base.rglob("*") if p.is_file() and not _ignored(p.relative_to(base)))
        for p in files:
            h.update(str(p.relative_to(base.parent)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _ignored(p):
    parts = set(p.parts)
    # tests are not installed: editing them must not reinstall (and restart computes)
    return bool(parts & {"__pycache__", "build", "dist", ".pytest_cache", "tests",
                         "tests_cinder"}) or any(
        x.endswith(".egg-info") for x in p.parts) or p.suffix == ".pyc"


def _pip(*args):
    cmd = [str(VBIN / "pip"), "install", "-q", "--disable-pip-version-check", *args]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise InstallError(f"pip install {' '.join(args)} failed:\n"
                           f"{r.stdout[-2000:]}{r.stderr[-4000:]}")


def ensure_venv(say):
    digest = _digest(REQUIREMENTS, CONSTRAINTS)
    if VENV_MARK.exists() and VENV_MARK.read_text() == digest:
        return False
    if not (VBIN / "python").exists():
        say(f"venv: creating {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    say("venv: pip install (OpenStack services and clients, pinned by devcloud/constraints.txt)")
    t = time.monotonic()
    _pip("-c", str(CONSTRAINTS), "-r", str(REQUIREMENTS))
    VENV_MARK.write_text(digest)
    DRIVER_MARK.unlink(missing_ok=True)
    say(f"venv: ready in {time.monotonic() - t:.0f}s")
    return True


def ensure_driver_package(say):
    """pip install devcloud/python (heps_devcloud) when present; again whenever its files change."""
    if not (DRIVER_PKG / "pyproject.toml").exists() or NO_DRIVER:
        return False
    digest = _digest(DRIVER_PKG)
    if DRIVER_MARK.exists() and DRIVER_MARK.read_text() == digest:
        return False
    say("venv: installing devcloud/python (heps_devcloud)")
    _pip("-c", str(CONSTRAINTS), str(DRIVER_PKG))
    DRIVER_MARK.write_text(digest)
    return True


def driver_installed():
    """(compute launcher path or None, neutron mechanism driver entry point present?)."""
    launcher = VBIN / "heps-devcloud-compute"
    mech = False
    for ep in VENV.glob("lib/python3*/site-packages/*.dist-info/entry_points.txt"):
        text = ep.read_text(errors="replace")
        if "[neutron.ml2.mechanism_drivers]" in text and "heps_fake" in text.split(
                "[neutron.ml2.mechanism_drivers]", 1)[1].split("\n[", 1)[0]:
            mech = True
    return (launcher if launcher.exists() and not NO_DRIVER else None), mech
