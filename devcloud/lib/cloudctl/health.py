"""Readiness checks, one per service: each returns None when healthy, else what is missing."""

from datetime import UTC
from datetime import datetime

from .configs import COMPUTE_HOSTS
from .db import sql
from .paths import KEYSTONE
from .paths import PIDS
from .procs import port_open
from .rest import call

HOSTS = sorted(COMPUTE_HOSTS)
NOVA = "http://127.0.0.1:8774/v2.1"
PLACEMENT = "http://127.0.0.1:8778"
MANILA = "http://127.0.0.1:8786/v2"


def _get(session, url, headers=None):
    status, doc = session.api("GET", url, headers=headers)
    return doc if status == 200 else None


def _fresh(service, proc_name):
    """Up, and heard from since our process started (the DB keeps 'up' for a minute after
    a process dies, so a stale record must not count)."""
    if service.get("state") != "up" or not service.get("updated_at"):
        return False
    try:
        started = (PIDS / f"{proc_name}.pid").stat().st_mtime
    except OSError:
        return True  # not started by us (should not happen): trust the API
    updated = datetime.fromisoformat(service["updated_at"]).replace(tzinfo=UTC).timestamp()
    return updated >= started - 1


def keystone(session):
    status, _, _ = call("GET", f"{KEYSTONE}/v3", timeout=5)
    return None if status == 200 else f"GET /v3 -> {status}"


def placement(session):
    doc = _get(session, f"{PLACEMENT}/resource_providers",
               {"OpenStack-API-Version": "placement 1.14"})
    if doc is None:
        return "placement API not answering"
    names = {rp["name"] for rp in doc["resource_providers"]}
    missing = [h for h in HOSTS if h not in names]
    return f"no resource provider yet for {', '.join(missing)}" if missing else None


def nova(session):
    doc = _get(session, f"{NOVA}/os-services")
    if doc is None:
        return "nova-api not answering"
    want = {"nova-conductor": ("nova-conductor", None), "nova-scheduler": ("nova-scheduler", None)}
    want.update({f"nova-compute-{h}": ("nova-compute", h) for h in HOSTS})
    missing = [proc for proc, (b, h) in want.items()
               if not any(s["binary"] == b and (h is None or s["host"] == h) and _fresh(s, proc)
                          for s in doc["services"])]
    if missing:
        return "services not up: " + ", ".join(missing)
    doc = _get(session, f"{NOVA}/os-hypervisors")
    names = {h["hypervisor_hostname"] for h in (doc or {}).get("hypervisors", [])}
    if any(h not in names for h in HOSTS):
        return "hypervisors not listed yet"
    mapped = set(sql("SELECT host FROM nova_api.host_mappings").stdout.split())
    missing = [h for h in HOSTS if h not in mapped]
    return f"hosts not mapped to cell1 yet: {', '.join(missing)}" if missing else None


def glance(session):
    return None if _get(session, "http://127.0.0.1:9292/v2/images?limit=1") is not None \
        else "GET /v2/images failed"


def neutron(session):
    return None if _get(session, "http://127.0.0.1:9696/v2.0/networks?limit=1") is not None \
        else "GET /v2.0/networks failed"


def manila(session):
    doc = _get(session, f"{MANILA}/services", {"X-OpenStack-Manila-API-Version": "2.7"})
    if doc is None:
        return "manila-api not answering"
    missing = [b for b in ("manila-scheduler", "manila-share")
               if not any(s["binary"] == b and s["status"] == "enabled" and _fresh(s, b)
                          for s in doc["services"])]
    return f"not up: {', '.join(missing)}" if missing else None


CINDER = "http://127.0.0.1:8776/v3"


def cinder(session):
    doc = _get(session, f"{CINDER}/os-services")
    if doc is None:
        return "cinder-api not answering"
    missing = [b for b in ("cinder-scheduler", "cinder-volume", "cinder-backup")
               if not any(s["binary"] == b and s["status"] == "enabled" and s["state"] == "up"
                          and _fresh(s, b) for s in doc["services"])]
    return f"not up: {', '.join(missing)}" if missing else None


def consoles(session):
    missing = [str(p) for p in (6080, 6082) if not port_open(p)]
    return f"proxy ports not open: {', '.join(missing)}" if missing else None


CHECKS = {"keystone": keystone, "placement": placement, "glance": glance, "neutron": neutron,
          "nova": nova, "manila": manila, "cinder": cinder, "consoles": consoles}
# which processes each check depends on (to name logs when it never passes)
PROCESSES = {
    "keystone": ["keystone"], "placement": ["placement"], "glance": ["glance-api"],
    "neutron": ["neutron-api"], "manila": ["manila-api", "manila-scheduler", "manila-share"],
    "cinder": ["cinder-api", "cinder-scheduler", "cinder-volume", "cinder-backup"],
    "nova": ["nova-api", "nova-conductor", "nova-scheduler"] + [f"nova-compute-{h}" for h in HOSTS],
    "consoles": ["nova-novncproxy", "nova-spicehtml5proxy"],
}
