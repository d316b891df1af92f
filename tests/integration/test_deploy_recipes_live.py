"""The plain-pip recipes run for real against the dev cloud: deploy/uwsgi/horizon.ini serves
Horizon with the panel (only its paths and port changed for this machine), and the
reconciler runs as deploy/systemd/heps-desktops-reconcile.service runs it, with nothing but
Horizon's settings and the OS_* variables of deploy/systemd/reconcile.env.example (an
application credential made for the test)."""

import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests
from cloud_fixtures import REPO
from cloud_fixtures import tail

VENV = pathlib.Path(sys.prefix)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def installed(devcloud, horizon_state):
    """The plugin installed into the venv's Horizon as the README says (scripts/horizon-install:
    enabled files, settings snippets, static files collected and compressed)."""
    env = dict(os.environ, HEPS_HORIZON_STATE=str(horizon_state))
    subprocess.run([str(REPO / "scripts" / "horizon-install")], check=True, env=env,
                   capture_output=True, timeout=600)
    return horizon_state


def uwsgi_ini(state, port, keystone_url):
    """deploy/uwsgi/horizon.ini with this machine's venv, static dir and a free port; no
    uid/gid (no horizon user here); the dev settings find their state dir by variable."""
    text = (REPO / "deploy" / "uwsgi" / "horizon.ini").read_text()
    text = re.sub(r"^(uid|gid) = .*\n", "", text, flags=re.M)
    for recipe, here in (("/opt/horizon", str(VENV)), ("/var/lib/horizon/static",
                         str(state / "static")), ("127.0.0.1:8080", f"127.0.0.1:{port}"),
                         ("processes = 4", "processes = 1")):
        assert recipe in text, recipe
        text = text.replace(recipe, here)
    return text + f"env = HEPS_HORIZON_STATE={state}\nenv = OPENSTACK_KEYSTONE_URL={keystone_url}\n"


def test_uwsgi_recipe_serves_the_panel(installed, devcloud, artifacts_dir, tmp_path):
    port = free_port()
    ini = tmp_path / "horizon.ini"
    ini.write_text(uwsgi_ini(installed, port, devcloud.keystone_url))
    log = artifacts_dir / f"uwsgi-recipe-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(VENV / "bin" / "uwsgi"), "--ini", str(ini)], stdout=out,
                                stderr=subprocess.STDOUT, cwd=installed, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        session = requests.Session()
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"uWSGI exited: {tail(log)}"
            try:
                page = session.get(base + "/auth/login/", timeout=30)
                if page.status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"uWSGI not answering: {tail(log)}"
            time.sleep(0.5)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        landed = session.post(base + "/auth/login/", timeout=120,
                              headers={"Referer": base + "/auth/login/"},
                              data={"csrfmiddlewaretoken": token, "region": "default",
                                    "username": "alice", "password": devcloud.password("alice")})
        assert landed.status_code == 200 and "/auth/login" not in landed.url
        desktops = session.get(base + "/project/desktops/", timeout=120)
        assert desktops.status_code == 200
        assert "Launch Desktop" in desktops.text
        script = session.get(base + "/static/heps_desktops/js/console.js", timeout=30)
        assert script.status_code == 200 and script.text
        assert session.get(base + "/admin/desktops/", timeout=60).status_code == 403
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def env_file(path, **values):
    """KEY=VALUE lines of the recipe's env file, its placeholders replaced."""
    env = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = values.get(key, value)
    return env


@pytest.fixture
def app_credential(admin):
    user = admin.current_user_id
    credential = admin.identity.create_application_credential(
        user=user, name=f"it-recipe-{uuid.uuid4().hex[:8]}", description="test_deploy_recipes_live")
    yield credential
    admin.identity.delete_application_credential(user, credential.id)


def test_reconciler_runs_with_the_env_file_credential(installed, devcloud, app_credential,
                                                      tmp_path):
    env = env_file(REPO / "deploy" / "systemd" / "reconcile.env.example",
                   OS_AUTH_URL=devcloud.keystone_url,
                   OS_APPLICATION_CREDENTIAL_ID=app_credential.id,
                   OS_APPLICATION_CREDENTIAL_SECRET=app_credential.secret)
    assert env["OS_AUTH_TYPE"] == "v3applicationcredential"
    # As the unit runs it: no clouds.yaml anywhere, Horizon's settings, the OS_* variables.
    env.update(PATH="/usr/bin:/bin", HOME=str(tmp_path), PYTHONWARNINGS="ignore",
               DJANGO_SETTINGS_MODULE="openstack_dashboard.settings",
               HEPS_HORIZON_STATE=str(installed))
    done = subprocess.run([str(VENV / "bin" / "django-admin"), "heps_desktops_reconcile",
                           "--dry-run"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"desktop\(s\) seen; 0 action\(s\) done, \d+ planned \(dry run\)",
                     done.stdout), done.stdout[-2000:]
