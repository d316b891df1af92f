#!/usr/bin/env python3
"""Seed the dev cloud: experiments, demo users, desktop profiles, golden
images, desktop networks, quotas, experiment shares and the volume type.

Idempotent: every object is looked up by name first; a second run creates
nothing and prints "0 created, 0 updated". One Python process, plain REST
through one keystoneauth session per identity (the `openstack` CLI costs
2-3 s per call).

Run by `devcloud/cloud up` with the cloud venv's python and
  HEPS_DEVCLOUD_STATE    the state directory (clouds.yaml, logs, ...)
  OS_CLIENT_CONFIG_FILE  <state>/clouds.yaml (cloud devcloud-admin)
  OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, ... (admin)
Needs only keystoneauth1 and PyYAML. What is seeded lives in seed_data.py.
Writes <state>/clouds.yaml (adds devcloud-alice/-bob/-reader),
<state>/demo-credentials.txt and <state>/seed-manifest.json.
"""

import json
import os
import pathlib
import sys
import time

import yaml
from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import seed_cinder  # noqa: E402
import seed_data as D  # noqa: E402

NOVA_MV = "2.90"
MANILA_MV = "2.65"
SHARE_WAIT_S = 120


class SeedError(Exception):
    pass


class Report:
    def __init__(self):
        self.counts = {"created": 0, "updated": 0, "unchanged": 0}
        self.started = time.monotonic()

    def _line(self, mark, kind, name, note=""):
        t = time.monotonic() - self.started
        print(f"[{t:6.1f}s] {mark} {kind:<14} {name}{'  ' + note if note else ''}",
              flush=True)

    def created(self, kind, name, note=""):
        self.counts["created"] += 1
        self._line("+", kind, name, note)

    def updated(self, kind, name, note=""):
        self.counts["updated"] += 1
        self._line("~", kind, name, note)

    def unchanged(self, kind, name, note=""):
        self.counts["unchanged"] += 1
        self._line("=", kind, name, note)

    def warn(self, msg):
        self._line("!", "warning", msg)

    def summary(self):
        c = self.counts
        return (f"seed: {c['created']} created, {c['updated']} updated, "
                f"{c['unchanged']} unchanged in "
                f"{time.monotonic() - self.started:.1f} s")


# --- REST plumbing -------------------------------------------------------------

class Api:
    """A keystoneauth adapter that raises SeedError with the response body."""

    def __init__(self, sess, endpoint, headers=None, name=""):
        self.name = name
        self.adapter = ks_adapter.Adapter(session=sess, endpoint_override=endpoint,
                                          additional_headers=headers or {})
        self.endpoint = endpoint

    def request(self, method, url, ok=(200, 201, 202, 204), **kw):
        kw.setdefault("raise_exc", False)
        resp = self.adapter.request(url, method, **kw)
        if resp.status_code not in ok:
            raise SeedError(f"{self.name} {method} {url} -> {resp.status_code}: "
                            f"{resp.text[:500]}")
        return resp

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def json(self, method, url, body=None, **kw):
        resp = self.request(method, url, json=body, **kw)
        return resp.json() if resp.content else {}


def endpoint(sess, types, suffix=None):
    """Public URL of the first catalog entry whose type is exactly one of types.

    Exact match on purpose: keystoneauth's alias matching would let
    "shared-file-system" pick manila's v1 "share" entry.
    """
    catalog = sess.auth.get_access(sess).service_catalog.catalog
    for stype in types:
        for svc in catalog:
            if svc.get("type") != stype:
                continue
            for ep in svc.get("endpoints", []):
                if ep.get("interface") == "public" and ep.get("region_id",
                                                             ep.get("region")) == D.REGION:
                    url = ep["url"].rstrip("/")
                    if suffix and not url.endswith("/" + suffix) and f"/{suffix}/" not in url:
                        url += "/" + suffix
                    return url
    raise SeedError(f"no public endpoint of type {types} in region {D.REGION}")


def password_session(auth_url, username, password, project_name,
                     user_domain="Default", project_domain="Default"):
    auth = v3.Password(auth_url=auth_url, username=username, password=password,
                       project_name=project_name, user_domain_name=user_domain,
                       project_domain_name=project_domain)
    return ks_session.Session(auth=auth, timeout=60)


def admin_settings(state):
    """Admin auth from OS_* env, else from the devcloud-admin cloud."""
    env = os.environ
    if env.get("OS_AUTH_URL") and env.get("OS_PASSWORD"):
        return {
            "auth_url": env["OS_AUTH_URL"],
            "username": env.get("OS_USERNAME", "admin"),
            "password": env["OS_PASSWORD"],
            "project_name": env.get("OS_PROJECT_NAME", "admin"),
            "user_domain": env.get("OS_USER_DOMAIN_NAME", "Default"),
            "project_domain": env.get("OS_PROJECT_DOMAIN_NAME", "Default"),
        }
    clouds = load_clouds(state)
    admin = clouds.get("clouds", {}).get("devcloud-admin")
    if not admin:
        raise SeedError("no OS_AUTH_URL/OS_PASSWORD in the environment and no "
                        f"devcloud-admin cloud in {state / 'clouds.yaml'}")
    a = admin["auth"]
    return {
        "auth_url": a["auth_url"], "username": a["username"],
        "password": a["password"], "project_name": a.get("project_name", "admin"),
        "user_domain": a.get("user_domain_name", "Default"),
        "project_domain": a.get("project_domain_name", "Default"),
    }


def load_clouds(state):
    path = state / "clouds.yaml"
    if not path.exists():
        return {"clouds": {}}
    with open(path) as f:
        return yaml.safe_load(f) or {"clouds": {}}


def write_private(path, text):
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# --- keystone ------------------------------------------------------------------

def one(items, what):
    if len(items) > 1:
        raise SeedError(f"{len(items)} objects match {what}; expected at most one")
    return items[0] if items else None


def ensure_role(ks, rep, name):
    role = one(ks.get(f"/roles?name={name}").json()["roles"], f"role {name}")
    if role:
        return role["id"]
    role = ks.json("POST", "/roles", {"role": {"name": name}})["role"]
    rep.created("role", name)
    return role["id"]


def ensure_project(ks, rep, name, spec):
    found = one(ks.get(f"/projects?name={name}&domain_id={D.DOMAIN_ID}")
                .json()["projects"], f"project {name}")
    if not found:
        p = ks.json("POST", "/projects", {"project": {
            "name": name, "domain_id": D.DOMAIN_ID,
            "description": spec["description"], "enabled": True}})["project"]
        rep.created("project", name, p["id"])
        return p["id"]
    if found.get("description") != spec["description"] or not found["enabled"]:
        ks.json("PATCH", f"/projects/{found['id']}", {"project": {
            "description": spec["description"], "enabled": True}})
        rep.updated("project", name, "description/enabled")
    else:
        rep.unchanged("project", name)
    return found["id"]


def password_works(auth_url, username, password):
    auth = v3.Password(auth_url=auth_url, username=username, password=password,
                       user_domain_id=D.DOMAIN_ID, unscoped=True)
    try:
        ks_session.Session(auth=auth, timeout=30).get_token()
        return True
    except ks_exc.Unauthorized:
        return False


def ensure_user(ks, rep, auth_url, name, spec, project_ids):
    want = {"default_project_id": project_ids[spec["default_project"]],
            "email": spec["email"], "description": spec["description"],
            "enabled": True}
    found = one(ks.get(f"/users?name={name}&domain_id={D.DOMAIN_ID}")
                .json()["users"], f"user {name}")
    if not found:
        u = ks.json("POST", "/users", {"user": dict(
            want, name=name, domain_id=D.DOMAIN_ID,
            password=spec["password"])})["user"]
        rep.created("user", name, u["id"])
        return u["id"]
    changes = {k: v for k, v in want.items() if found.get(k) != v}
    if not password_works(auth_url, name, spec["password"]):
        changes["password"] = spec["password"]
    if changes:
        ks.json("PATCH", f"/users/{found['id']}", {"user": changes})
        rep.updated("user", name, ",".join(sorted(changes)))
    else:
        rep.unchanged("user", name)
    return found["id"]


def ensure_role_assignment(ks, rep, project, pid, user, uid, role, rid):
    url = f"/projects/{pid}/users/{uid}/roles/{rid}"
    if ks.request("HEAD", url, ok=(200, 204, 404)).status_code == 404:
        ks.request("PUT", url)
        rep.created("role grant", f"{user} {role} on {project}")
    else:
        rep.unchanged("role grant", f"{user} {role} on {project}")


def ensure_limits(ks, rep, project_ids):
    """Project limits (unified limits, service compute) overriding defaults."""
    services = ks.get("/services?type=compute").json()["services"]
    if not services:
        rep.warn("no compute service in keystone: skipping unified limits")
        return
    service_id = services[0]["id"]
    registered = {r["resource_name"]: r for r in ks.get(
        f"/registered_limits?service_id={service_id}").json()["registered_limits"]}
    for resource, value in D.PROJECT_LIMITS.items():
        reg = registered.get(resource)
        if reg is None:
            body = {"service_id": service_id, "resource_name": resource,
                    "default_limit": value, "region_id": D.REGION,
                    "description": "registered by devcloud/seed (missing)"}
            reg = ks.json("POST", "/registered_limits",
                          {"registered_limits": [body]})["registered_limits"][0]
            registered[resource] = reg
            rep.created("registered lim", f"{resource}={value}",
                        "(was not registered by devcloud/cloud)")
    existing = ks.get(f"/limits?service_id={service_id}").json()["limits"]
    by_key = {(lim["project_id"], lim["resource_name"]): lim for lim in existing}
    new = []
    for project, pid in project_ids.items():
        for resource, value in D.PROJECT_LIMITS.items():
            lim = by_key.get((pid, resource))
            name = f"{project} {resource}={value}"
            if lim is None:
                body = {"service_id": service_id, "project_id": pid,
                        "resource_name": resource, "resource_limit": value}
                region = registered[resource].get("region_id")
                if region:
                    body["region_id"] = region
                new.append((name, body))
            elif lim["resource_limit"] != value:
                ks.json("PATCH", f"/limits/{lim['id']}",
                        {"limit": {"resource_limit": value}})
                rep.updated("project limit", name,
                            f"was {lim['resource_limit']}")
            else:
                rep.unchanged("project limit", name)
    if new:
        ks.json("POST", "/limits", {"limits": [b for _, b in new]})
        for name, _ in new:
            rep.created("project limit", name)


# --- glance --------------------------------------------------------------------

def ensure_image(glance, rep, name, spec):
    found = one(glance.get(f"/images?name={name}").json()["images"], f"image {name}")
    props = dict(spec["properties"])
    if not found:
        body = dict(props, name=name, disk_format=spec["disk_format"],
                    container_format=spec["container_format"],
                    visibility="public")
        found = glance.json("POST", "/images", body)
        rep.created("image", name, found["id"])
    else:
        patch = []
        for k, v in props.items():
            if found.get(k) != v:
                patch.append({"op": "replace" if k in found else "add",
                              "path": f"/{k}", "value": v})
        if found.get("visibility") != "public":
            patch.append({"op": "replace", "path": "/visibility",
                          "value": "public"})
        if patch:
            glance.json("PATCH", f"/images/{found['id']}", patch, headers={
                "Content-Type": "application/openstack-images-v2.1-json-patch"})
            rep.updated("image", name, ",".join(p["path"][1:] for p in patch))
        elif found["status"] == "active":
            rep.unchanged("image", name)
    if found["status"] == "queued":
        glance.request("PUT", f"/images/{found['id']}/file",
                       data=b"\0" * D.IMAGE_SIZE,
                       headers={"Content-Type": "application/octet-stream"})
        rep.created("image data", name, f"{D.IMAGE_SIZE} bytes")
    elif found["status"] != "active":
        rep.warn(f"image {name} is {found['status']}")
    return found["id"]


# --- nova ----------------------------------------------------------------------

def ensure_flavor(nova, rep, flavors, name, spec):
    found = one([f for f in flavors if f["name"] == name], f"flavor {name}")
    created = found is None
    if created:
        found = nova.json("POST", "/flavors", {"flavor": {
            "name": name, "vcpus": spec["vcpus"], "ram": spec["ram"],
            "disk": spec["disk"], "description": spec["description"],
            "os-flavor-access:is_public": True}})["flavor"]
        rep.created("flavor", name, found["id"])
    else:
        drift = [k for k in ("vcpus", "ram", "disk") if found[k] != spec[k]]
        if drift:
            rep.warn(f"flavor {name} differs in {drift}; flavors are "
                     "immutable: `devcloud/cloud reset` to re-seed")
        if not found.get("os-flavor-access:is_public", True):
            rep.warn(f"flavor {name} is private")
    fid = found["id"]
    have = nova.get(f"/flavors/{fid}/os-extra_specs").json()["extra_specs"]
    want = spec["extra_specs"]
    stale = [k for k in have if k not in want]
    missing = {k: v for k, v in want.items() if have.get(k) != v}
    for k in stale:
        nova.request("DELETE", f"/flavors/{fid}/os-extra_specs/{k}")
    if missing:
        nova.json("POST", f"/flavors/{fid}/os-extra_specs",
                  {"extra_specs": missing})
    if created:
        pass
    elif stale or missing:
        rep.updated("extra specs", name, f"set {sorted(missing)} removed {stale}")
    else:
        rep.unchanged("flavor", name)
    return fid


# --- neutron -------------------------------------------------------------------

def find(neutron, collection, **filters):
    q = "&".join(f"{k}={v}" for k, v in filters.items())
    key = collection.replace("-", "_")
    return one(neutron.get(f"/{collection}?{q}").json()[key],
               f"{collection} {filters}")


def ensure_external_network(neutron, rep):
    ext = D.EXTERNAL_NETWORK
    net = find(neutron, "networks", name=ext["name"])
    if not net:
        net = neutron.json("POST", "/networks", {"network": {
            "name": ext["name"], "router:external": True, "shared": False,
            "provider:network_type": "flat",
            "provider:physical_network": ext["physical_network"]}})["network"]
        rep.created("network", ext["name"], "external flat")
    else:
        if not net.get("router:external"):
            neutron.json("PUT", f"/networks/{net['id']}",
                         {"network": {"router:external": True}})
            rep.updated("network", ext["name"], "router:external=true")
        else:
            rep.unchanged("network", ext["name"])
    if not net.get("subnets"):
        neutron.json("POST", "/subnets", {"subnet": {
            "name": ext["subnet_name"], "network_id": net["id"],
            "ip_version": 4, "cidr": ext["cidr"], "gateway_ip": ext["gateway_ip"],
            "enable_dhcp": False, "allocation_pools": [
                {"start": ext["pool"][0], "end": ext["pool"][1]}]}})
        rep.created("subnet", ext["subnet_name"], ext["cidr"])
    return net["id"]


def ensure_project_network(neutron, rep, project, pid, cidr, public_id):
    net = find(neutron, "networks", name=D.DESKTOP_NETWORK, project_id=pid)
    label = f"{project}/{D.DESKTOP_NETWORK}"
    if not net:
        net = neutron.json("POST", "/networks", {"network": {
            "name": D.DESKTOP_NETWORK, "project_id": pid,
            "description": "Network for the experiment's desktops"}})["network"]
        rep.created("network", label, net["id"])
    else:
        rep.unchanged("network", label)
    subnet = find(neutron, "subnets", network_id=net["id"], name=D.DESKTOP_SUBNET)
    if not subnet:
        subnet = neutron.json("POST", "/subnets", {"subnet": {
            "name": D.DESKTOP_SUBNET, "network_id": net["id"], "project_id": pid,
            "ip_version": 4, "cidr": cidr,
            "dns_nameservers": []}})["subnet"]
        rep.created("subnet", f"{project}/{D.DESKTOP_SUBNET}", cidr)
    else:
        rep.unchanged("subnet", f"{project}/{D.DESKTOP_SUBNET}")
    router = find(neutron, "routers", name=D.DESKTOP_ROUTER, project_id=pid)
    rlabel = f"{project}/{D.DESKTOP_ROUTER}"
    if not router:
        router = neutron.json("POST", "/routers", {"router": {
            "name": D.DESKTOP_ROUTER, "project_id": pid,
            "external_gateway_info": {"network_id": public_id}}})["router"]
        rep.created("router", rlabel, "gateway public")
    else:
        gw = router.get("external_gateway_info") or {}
        if gw.get("network_id") != public_id:
            neutron.json("PUT", f"/routers/{router['id']}", {"router": {
                "external_gateway_info": {"network_id": public_id}}})
            rep.updated("router", rlabel, "gateway public")
        else:
            rep.unchanged("router", rlabel)
    ports = neutron.get(f"/ports?device_id={router['id']}&network_id={net['id']}"
                        ).json()["ports"]
    if not ports:
        neutron.json("PUT", f"/routers/{router['id']}/add_router_interface",
                     {"subnet_id": subnet["id"]})
        rep.created("router iface", f"{rlabel} -> {D.DESKTOP_SUBNET}")
    return net["id"]


def ensure_security_group(neutron, rep, project, pid, cidr):
    label = f"{project}/{D.SECURITY_GROUP}"
    sg = find(neutron, "security-groups", name=D.SECURITY_GROUP, project_id=pid)
    if not sg:
        sg = neutron.json("POST", "/security-groups", {"security_group": {
            "name": D.SECURITY_GROUP, "project_id": pid,
            "description": D.SECURITY_GROUP_DESCRIPTION}})["security_group"]
        rep.created("security group", label, sg["id"])
    else:
        rep.unchanged("security group", label)
    rules = neutron.get(f"/security-group-rules?security_group_id={sg['id']}"
                        ).json()["security_group_rules"]
    for rule in rules:
        if rule["direction"] == "ingress" and not (
                rule["protocol"] == "icmp" and rule["remote_ip_prefix"] == cidr):
            neutron.request("DELETE", f"/security-group-rules/{rule['id']}")
            rep.updated("sg rule", label, f"removed ingress rule {rule['id']}")
    if not any(r["direction"] == "ingress" and r["protocol"] == "icmp"
               and r["remote_ip_prefix"] == cidr for r in rules):
        neutron.json("POST", "/security-group-rules", {"security_group_rule": {
            "security_group_id": sg["id"], "direction": "ingress",
            "ethertype": "IPv4", "protocol": "icmp", "remote_ip_prefix": cidr,
            "project_id": pid}})
        rep.created("sg rule", label, f"ingress icmp from {cidr}")
    return sg["id"]


# --- manila --------------------------------------------------------------------

def ensure_share_type(manila_admin, rep):
    """The share type user shares are created with (the cloud's default)."""
    resp = manila_admin.get("/types/default", ok=(200, 404))
    if resp.status_code == 200:
        return resp.json()["share_type"]["name"]
    types = manila_admin.get("/types").json()["share_types"]
    if types:
        return types[0]["name"]
    manila_admin.json("POST", "/types", {"share_type": {
        "name": "default", "share_type_access:is_public": True,
        "extra_specs": {"driver_handles_share_servers": False,
                        "snapshot_support": True}}})
    rep.created("share type", "default", "dhss=False (no default existed)")
    return "default"


def ensure_shares(manila, rep, project, share_type):
    """Create (as the project's user) the experiment shares; returns pending."""
    ids = {}
    for name, description, metadata in D.shares_for(project):
        label = f"{project}/{name}"
        found = manila.get(f"/shares/detail?name={name}").json()["shares"]
        found = [s for s in found if s["status"] not in ("deleting",)]
        share = one(found, f"share {label}")
        if share is None:
            share = manila.json("POST", "/shares", {"share": {
                "name": name, "description": description,
                "share_proto": D.SHARE_PROTO, "size": D.SHARE_SIZE_GB,
                "share_type": share_type, "metadata": metadata}})["share"]
            rep.created("share", label, share["id"])
        else:
            have = share.get("metadata") or {}
            diff = {k: v for k, v in metadata.items() if have.get(k) != v}
            if diff:
                manila.json("POST", f"/shares/{share['id']}/metadata",
                            {"metadata": diff})
                rep.updated("share", label, f"metadata {sorted(diff)}")
            else:
                rep.unchanged("share", label)
        ids[name] = share["id"]
    return ids


def wait_shares(pending, rep):
    """pending: [(manila api, label, id)] -> waits until all are available."""
    deadline = time.monotonic() + SHARE_WAIT_S
    todo = list(pending)
    while todo:
        left = []
        for manila, label, sid in todo:
            status = manila.get(f"/shares/{sid}").json()["share"]["status"]
            if status == "available":
                continue
            if status.startswith("error"):
                raise SeedError(f"share {label} ({sid}) went to {status}; see "
                                "the manila-share log in the state's logs/")
            left.append((manila, label, sid))
        todo = left
        if todo:
            if time.monotonic() > deadline:
                raise SeedError(f"shares not available after {SHARE_WAIT_S} s: "
                                + ", ".join(t[1] for t in todo))
            time.sleep(1)


# --- outputs -------------------------------------------------------------------

def write_clouds(state, auth_url, admin_cloud):
    clouds = load_clouds(state)
    entries = clouds.setdefault("clouds", {})
    template = {k: v for k, v in (admin_cloud or {}).items() if k != "auth"}
    template.setdefault("region_name", D.REGION)
    template.setdefault("identity_api_version", 3)
    changed = False
    for cloud, user in D.CLOUDS.items():
        spec = D.USERS[user]
        want = dict(template, auth={
            "auth_url": auth_url, "username": user, "password": spec["password"],
            "project_name": spec["default_project"],
            "user_domain_name": "Default", "project_domain_name": "Default"})
        if entries.get(cloud) != want:
            entries[cloud] = want
            changed = True
    if changed or not (state / "clouds.yaml").exists():
        write_private(state / "clouds.yaml",
                      yaml.safe_dump(clouds, default_flow_style=False,
                                     sort_keys=False))
    return changed


def credentials_text(state, auth_url):
    lines = [
        "HEPS dev cloud demo accounts -- DEMO-ONLY passwords, fixed in",
        "devcloud/seed/seed_data.py; the cloud listens on 127.0.0.1 only.",
        "",
        f"Keystone:    {auth_url}   (domain Default, region {D.REGION})",
        "Horizon:     http://127.0.0.1:8000/  (make run)",
        f"clouds.yaml: {state / 'clouds.yaml'}",
        "             e.g. OS_CLIENT_CONFIG_FILE=<that> OS_CLOUD=devcloud-alice",
        "",
        f"  {'user':<8}{'password':<14}{'cloud':<17}roles",
    ]
    for cloud, user in D.CLOUDS.items():
        spec = D.USERS[user]
        roles = ", ".join(f"{r} on {p}" for p, r in spec["roles"].items())
        lines.append(f"  {user:<8}{spec['password']:<14}{cloud:<17}{roles}")
    lines += ["", "  admin   see admin-openrc.sh / cloud devcloud-admin", ""]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------

def main():
    state = pathlib.Path(os.environ.get("HEPS_DEVCLOUD_STATE")
                         or HERE.parent.parent / ".devcloud" / "state").resolve()
    state.mkdir(parents=True, exist_ok=True)
    rep = Report()
    print(f"seeding the dev cloud (state {state})", flush=True)

    adm = admin_settings(state)
    auth_url = adm["auth_url"].rstrip("/")
    sess = password_session(auth_url, adm["username"], adm["password"],
                            adm["project_name"], adm["user_domain"],
                            adm["project_domain"])
    ks = Api(sess, auth_url if auth_url.endswith("/v3") else auth_url + "/v3",
             name="keystone")
    nova = Api(sess, endpoint(sess, ["compute"]),
               {"OpenStack-API-Version": f"compute {NOVA_MV}",
                "X-OpenStack-Nova-API-Version": NOVA_MV}, name="nova")
    glance = Api(sess, endpoint(sess, ["image"], "v2"), name="glance")
    neutron = Api(sess, endpoint(sess, ["network"], "v2.0"), name="neutron")
    manila_types = ["sharev2", "shared-file-system"]
    manila_headers = {"X-OpenStack-Manila-API-Version": MANILA_MV}
    manila_admin = Api(sess, endpoint(sess, manila_types), manila_headers,
                       name="manila")

    # keystone
    role_ids = {r: ensure_role(ks, rep, r)
                for r in sorted({r for u in D.USERS.values()
                                 for r in u["roles"].values()})}
    project_ids = {name: ensure_project(ks, rep, name, spec)
                   for name, spec in D.PROJECTS.items()}
    user_ids = {name: ensure_user(ks, rep, auth_url, name, spec, project_ids)
                for name, spec in D.USERS.items()}
    for user, spec in D.USERS.items():
        for project, role in spec["roles"].items():
            ensure_role_assignment(ks, rep, project, project_ids[project], user,
                                   user_ids[user], role, role_ids[role])
    ensure_limits(ks, rep, project_ids)
    volume_type = seed_cinder.seed(sess, Api, endpoint, SeedError, rep, project_ids)

    # manila first: shares take seconds to become available, the rest runs
    # meanwhile
    share_type = ensure_share_type(manila_admin, rep)
    pending, share_ids = [], {}
    for project in D.PROJECTS:
        user = next(u for u, s in D.USERS.items()
                    if s["roles"].get(project) == "member")
        usess = password_session(auth_url, user, D.USERS[user]["password"],
                                 project)
        manila = Api(usess, endpoint(usess, manila_types), manila_headers,
                     name=f"manila({user})")
        ids = ensure_shares(manila, rep, project, share_type)
        share_ids[project] = ids
        pending += [(manila, f"{project}/{n}", i) for n, i in ids.items()]

    # glance, nova, neutron
    image_ids = {n: ensure_image(glance, rep, n, s) for n, s in D.IMAGES.items()}
    flavors = nova.get("/flavors/detail?is_public=None").json()["flavors"]
    flavor_ids = {n: ensure_flavor(nova, rep, flavors, n, s)
                  for n, s in D.FLAVORS.items()}
    public_id = ensure_external_network(neutron, rep)
    networks, groups = {}, {}
    for project, spec in D.PROJECTS.items():
        pid = project_ids[project]
        networks[project] = ensure_project_network(neutron, rep, project, pid,
                                                   spec["cidr"], public_id)
        groups[project] = ensure_security_group(neutron, rep, project, pid,
                                                spec["cidr"])

    wait_shares(pending, rep)
    print(f"[{time.monotonic() - rep.started:6.1f}s]   shares available",
          flush=True)

    # outputs
    clouds = load_clouds(state)
    if write_clouds(state, auth_url, clouds.get("clouds", {}).get("devcloud-admin")):
        rep.updated("file", str(state / "clouds.yaml"),
                    "clouds " + ", ".join(D.CLOUDS))
    creds = credentials_text(state, auth_url)
    cpath = state / "demo-credentials.txt"
    if not cpath.exists() or cpath.read_text() != creds:
        write_private(cpath, creds)
    manifest = {
        "auth_url": auth_url, "region": D.REGION,
        "projects": project_ids, "users": user_ids, "flavors": flavor_ids,
        "images": image_ids, "public_network": public_id,
        "desktop_networks": networks, "security_groups": groups,
        "shares": share_ids, "share_type": share_type, "volume_type": volume_type,
    }
    mtext = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    mpath = state / "seed-manifest.json"
    if not mpath.exists() or mpath.read_text() != mtext:
        write_private(mpath, mtext)
    print(rep.summary(), flush=True)
    print(f"wrote {cpath}, {mpath}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except (SeedError, ks_exc.ClientException) as e:
        print(f"seed FAILED: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
