"""Passwords and the service configuration files rendered from devcloud/etc-templates."""

import os
import secrets
import shutil
from string import Template

from .paths import ETC
from .paths import KEYSTONE
from .paths import STATE
from .paths import TEMPLATES
from .paths import VENV

PASSWORDS = STATE / "passwords.env"
COMPUTE_HOSTS = {  # host: options of its [heps_fake] section
    "heps-gpu-01": {"vnc_port_base": 5950, "spice_port_base": 5990, "display_base": 50},
    "heps-gpu-02": {"vnc_port_base": 5970, "spice_port_base": 6010, "display_base": 70},
}


def write_private(path, text):
    """Write a file that holds secrets: created 0600 (never readable by others, not even
    for a moment), an existing one made 0600 before it is rewritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.chmod(0o600)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def passwords():
    """ADMIN_PASSWORD, SERVICE_PASSWORD, DB_PASSWORD: generated once per state dir."""
    if not PASSWORDS.exists():
        STATE.mkdir(parents=True, exist_ok=True)
        lines = [f"{k}={secrets.token_hex(10)}\n"
                 for k in ("ADMIN_PASSWORD", "SERVICE_PASSWORD", "DB_PASSWORD")]
        write_private(PASSWORDS, "# generated once for this state dir (demo only)\n"
                      + "".join(lines))
    vals = {}
    for line in PASSWORDS.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            vals[k.strip()] = v.strip()
    return vals


def db_url(pw):
    return f"mysql+pymysql://root:{pw['DB_PASSWORD']}@127.0.0.1:13306"


def transport_url():
    return "rabbit://guest:guest@127.0.0.1:5672/"


def _values(pw):
    auth = (f"auth_url = {KEYSTONE}\nauth_type = password\n"
            "user_domain_name = Default\nproject_domain_name = Default\n"
            f"project_name = service\npassword = {pw['SERVICE_PASSWORD']}")
    return {
        "state": str(STATE), "db_url": db_url(pw), "transport_url": transport_url(),
        "service_password": pw["SERVICE_PASSWORD"],
        "authtoken": (f"www_authenticate_uri = {KEYSTONE}\n{auth}\n"
                      "service_token_roles_required = true"),
        "service_auth": auth,
    }


def _render(template, dest, values):
    text = Template((TEMPLATES / template).read_text()).substitute(values)
    write_private(dest, text)


def write_all(pw, compute_driver, mechanism_drivers):
    """(Re)write every config under state/etc; cheap, so done on each `up`."""
    v = _values(pw)
    for svc, files in {
        "keystone": ["keystone.conf"], "placement": ["placement.conf"],
        "glance": ["glance-api.conf"], "nova": ["nova.conf"], "manila": ["manila.conf"],
        "neutron": ["neutron.conf", "ml2_conf.ini"], "cinder": ["cinder.conf"],
    }.items():
        for f in files:
            _render(f, ETC / svc / f, dict(v, mechanism_drivers=mechanism_drivers,
                                          venv_bin=str(VENV / "bin")))
    for host, opts in COMPUTE_HOSTS.items():
        _render("nova-compute.conf", ETC / "nova" / f"nova-compute-{host}.conf",
                dict(v, host=host, compute_driver=compute_driver, **opts))
        for d in (STATE / "compute" / host, STATE / "nova" / host / "instances"):
            d.mkdir(parents=True, exist_ok=True)
    _render("rabbitmq.conf", STATE / "rabbitmq" / "rabbitmq.conf", v)
    # paste pipelines shipped in the wheels (data files under the venv's etc/)
    for src, dest in (("nova/api-paste.ini", "nova/api-paste.ini"),
                      ("glance/glance-api-paste.ini", "glance/glance-api-paste.ini"),
                      ("manila/api-paste.ini", "manila/api-paste.ini"),
                      ("neutron/api-paste.ini", "neutron/api-paste.ini"),
                      ("cinder/api-paste.ini", "cinder/api-paste.ini"),
                      ("cinder/resource_filters.json", "cinder/resource_filters.json")):
        shutil.copyfile(VENV / "etc" / src, ETC / dest)
    for d in ("nova/locks", "glance/images", "glance/staging", "glance/tasks", "glance/cache",
              "glance/locks", "manila/locks", "neutron/locks", "keystone",
              "cinder/locks", "cinder/volumes/snapshots", "cinder/backups",
              "cinder/coordination"):
        (STATE / d).mkdir(parents=True, exist_ok=True)
