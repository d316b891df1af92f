"""What the services themselves need in keystone (idempotent): service users and roles,
catalog endpoints and nova's registered (default) unified limits."""

import json

from .paths import DONE

ENDPOINTS = {  # type: (name, url)
    "compute": ("nova", "http://127.0.0.1:8774/v2.1"),
    "placement": ("placement", "http://127.0.0.1:8778"),
    "image": ("glance", "http://127.0.0.1:9292"),
    "network": ("neutron", "http://127.0.0.1:9696"),
    "share": ("manila", "http://127.0.0.1:8786/v1/%(project_id)s"),
    "sharev2": ("manilav2", "http://127.0.0.1:8786/v2"),
    "volumev3": ("cinderv3", "http://127.0.0.1:8776/v3/%(project_id)s"),
}
SERVICE_USERS = ("nova", "placement", "glance", "neutron", "manila", "cinder")
# defaults for every project; the seed may set per-project limits on top
REGISTERED_LIMITS = {
    "servers": 20, "class:VCPU": 64, "class:MEMORY_MB": 131072, "class:DISK_GB": 2000,
    "class:VGPU": 8, "class:CUSTOM_HEPS_GPU_A100": 4,
    "server_metadata_items": 128, "server_injected_files": 5,
    "server_injected_file_content_bytes": 10240, "server_injected_file_path_bytes": 255,
    "server_key_pairs": 100, "server_groups": 10, "server_group_members": 10,
}


def _one(session, path, key, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    items = session.ks("GET", f"{path}?{q}")[key]
    return items[0] if items else None


def ensure(session, service_password):
    """Skipped (one marker file) while this module's wanted state is unchanged."""
    spec = json.dumps([ENDPOINTS, SERVICE_USERS, REGISTERED_LIMITS], sort_keys=True)
    marker = DONE / "keystone-setup"
    if marker.exists() and marker.read_text() == spec:
        return False
    _ensure(session, service_password)
    DONE.mkdir(parents=True, exist_ok=True)
    marker.write_text(spec)
    return True


def _ensure(session, service_password):
    ks = session.ks
    project = _one(session, "/projects", "projects", name="service") or ks(
        "POST", "/projects", {"project": {"name": "service", "domain_id": "default",
                                          "description": "OpenStack service users"}})["project"]
    roles = {r["name"]: r["id"] for r in ks("GET", "/roles")["roles"]}
    for name in ("service", "reader", "member"):
        if name not in roles:
            roles[name] = ks("POST", "/roles", {"role": {"name": name}})["role"]["id"]
    for name in SERVICE_USERS:
        user = _one(session, "/users", "users", name=name, domain_id="default") or ks(
            "POST", "/users", {"user": {"name": name, "domain_id": "default",
                                        "password": service_password}})["user"]
        for role in ("admin", "service"):
            ks("PUT", f"/projects/{project['id']}/users/{user['id']}/roles/{roles[role]}")
        if name == "nova":  # [oslo_limit] reads limits with a system-scoped reader token
            ks("PUT", f"/system/users/{user['id']}/roles/{roles['reader']}")
    ids = {}
    for stype, (name, url) in ENDPOINTS.items():
        svc = _one(session, "/services", "services", type=stype) or ks("POST", "/services", {
            "service": {"type": stype, "name": name, "enabled": True}})["service"]
        ids[stype] = svc["id"]
        eps = ks("GET", f"/endpoints?service_id={svc['id']}")["endpoints"]
        have = {e["interface"]: e for e in eps}
        for iface in ("public", "internal"):
            if iface not in have:
                ks("POST", "/endpoints", {"endpoint": {
                    "service_id": svc["id"], "interface": iface, "url": url,
                    "region_id": "RegionOne"}})
            elif have[iface]["url"] != url:
                ks("PATCH", f"/endpoints/{have[iface]['id']}", {"endpoint": {"url": url}})
    existing = {r["resource_name"] for r in ks(
        "GET", f"/registered_limits?service_id={ids['compute']}")["registered_limits"]}
    new = [{"service_id": ids["compute"], "region_id": "RegionOne", "resource_name": k,
            "default_limit": v} for k, v in REGISTERED_LIMITS.items() if k not in existing]
    if new:
        ks("POST", "/registered_limits", {"registered_limits": new})
