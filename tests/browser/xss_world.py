"""The objects of the stored-XSS sweep (tests/browser/test_stored_xss.py): everything a
user or an admin can name in OpenStack and the plugin shows, named with script
payloads, made through the real APIs and deleted again.

Every name starts with a marker unique to the run (``XssWorld.mark``) so a test can find
its rows, and sorts after the seeded objects ("zz-", "br-" for the server: the leftover
sweep of tests/cloud_fixtures.py knows that prefix), so the launch form's defaults of a
concurrent test stay the seeded image and profile.
"""

import contextlib
import datetime
import secrets
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from dataclasses import field

from cloud_fixtures import DESKTOP_TAG
from cloud_fixtures import SEED
from cloud_fixtures import ApiError
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import wait_server
from cloud_fixtures import wait_until

MANILA_MV = "2.45"
PROJECT = "experiment-a"

SCRIPT = "<script>window.__xss=1</script>"
IMG = '"><img src=x onerror=window.__xss=1>'
SVG = "'><svg onload=window.__xss=1>"
JS_URL = "javascript:window.__xss=1"
# Horizon's AngularJS compiles the whole page body (ng-app on <body>) with {$ $} as its
# interpolation symbols (framework.module.js); {{ }} and {% %} are Django's.
NG = "{$constructor.constructor('window.__xss=1')()$}"
# evaluated, it shows "XSSNGEVAL", which its literal text does not contain (nor nova's
# lower-case hostname made of the server name, in the console log)
NG_MATH = "{$'XSS'+'NG'+'EVAL'$}"
DJANGO = "{{7*7}}{% now 'Y' %}"
UNICODE = "数据☃é"
# format characters (bidi override, zero width): glance, Manila and keystone take them,
# nova's names and descriptions do not (none of them takes 4-byte characters: emoji)
BIDI = "\u202egnp.exe\u200b"
# payloads with no white space (mount metadata is split on it)
SCRIPT_NOSPACE = "<script>window.__xss=1</script>"
IMG_NOSPACE = '"><img/src=x/onerror=window.__xss=1>'


def _manila(conn, method, url, ok=(200, 201, 202, 204), **kw):
    return call(conn.shared_file_system, method, url, ok,
                headers={"X-OpenStack-Manila-API-Version": MANILA_MV}, **kw)


@dataclass
class XssWorld:
    mark: str
    experiment: str
    server: dict = field(default_factory=dict)
    server_names: list = field(default_factory=list)
    flavor: dict = field(default_factory=dict)
    image: dict = field(default_factory=dict)
    shares: dict = field(default_factory=dict)
    project: dict = field(default_factory=dict)
    user: dict = field(default_factory=dict)
    security_group: dict = field(default_factory=dict)
    port_name: str = ""
    _undo: list = field(default_factory=list)

    def later(self, what, fn, *args, **kw):
        self._undo.append((what, fn, args, kw))

    def cleanup(self, patience=120):
        """Undo in reverse order; a service that is briefly down (another test stops one
        at a time) is waited for, up to ``patience`` seconds in all."""
        errors, deadline = [], time.monotonic() + patience
        while self._undo:
            what, fn, args, kw = self._undo.pop()
            while True:
                try:
                    fn(*args, **kw)
                    break
                except Exception as e:  # keep deleting the rest
                    if _transient(e) and time.monotonic() < deadline:
                        time.sleep(1)
                        continue
                    errors.append(f"{what}: {e}")
                    break
        if errors:
            sys.stderr.write("[xss] cleanup: " + "; ".join(errors) + "\n")
        return errors


def _transient(exc):
    text = f"{type(exc).__name__} {exc}"
    return any(sign in text for sign in (
        "Unable to establish connection", "Connection refused", "ConnectFailure",
        "NotSupported", "-> 503", "-> 502", "Service Unavailable"))


def _wait(check, what, timeout=120, interval=0.5):
    return wait_until(check, timeout, interval, what)


def _keystone_objects(world, admin):
    project_id = admin.identity.find_project(PROJECT).id
    body = call(admin.identity, "POST", "/projects", json={"project": {
        "name": f"zz-{world.mark}{SVG}"[:64], "domain_id": "default",
        "description": f"{world.mark} {SCRIPT} {NG}"}})["project"]
    world.project = body
    world.later("project", call, admin.identity, "DELETE", f"/projects/{body['id']}",
                ok=(204, 404))
    user = call(admin.identity, "POST", "/users", json={"user": {
        "name": f"zz-{world.mark} {IMG}", "domain_id": "default",
        "password": secrets.token_hex(12), "default_project_id": project_id,
        "description": SCRIPT}})["user"]
    world.user = user
    world.later("user", call, admin.identity, "DELETE", f"/users/{user['id']}",
                ok=(204, 404))
    member = admin.identity.find_role("member").id
    call(admin.identity, "PUT", f"/projects/{project_id}/users/{user['id']}/roles/{member}")


def _flavor(world, admin, devcloud):
    body = nova(admin, "POST", "/flavors", json={"flavor": {
        "name": f"zz-{world.mark} {SCRIPT}{NG_MATH}", "ram": 512, "vcpus": 1, "disk": 1,
        "os-flavor-access:is_public": False, "description": f"{IMG} {UNICODE}"}})["flavor"]
    world.flavor = body
    world.later("flavor", nova, admin, "DELETE", f"/flavors/{body['id']}", ok=(202, 404))
    nova(admin, "POST", f"/flavors/{body['id']}/action", json={"addTenantAccess": {
        "tenant": devcloud.project_id(PROJECT)}})
    nova(admin, "POST", f"/flavors/{body['id']}/os-extra_specs", json={"extra_specs": {
        "heps:profile": "true", "heps:gpu_kind": "none", "heps:gpu_model": SVG,
        "heps:description": f"{SCRIPT} {NG} {JS_URL}", "heps:video_model": IMG}})


def _image(world, admin, alice, devcloud):
    project_id = devcloud.project_id(PROJECT)
    body = call(admin.image, "POST", "/images", json={
        "name": f"zz-{world.mark} {IMG}{DJANGO}", "disk_format": "raw",
        "container_format": "bare", "visibility": "shared", "min_disk": 0,
        "heps_golden": "true", "heps_techniques": f"{SCRIPT},{NG_MATH}",
        "heps_description": f"{SVG} {NG} {UNICODE}{BIDI}", "heps_gpu_driver": JS_URL,
        "hw_video_model": "virtio"})
    world.image = body
    world.later("image", call, admin.image, "DELETE", f"/images/{body['id']}",
                ok=(204, 404))
    call(admin.image, "PUT", f"/images/{body['id']}/file", data=b"\0" * 4096,
         headers={"Content-Type": "application/octet-stream"})
    call(admin.image, "POST", f"/images/{body['id']}/members",
         json={"member": project_id})
    call(alice.image, "PUT", f"/images/{body['id']}/members/{project_id}",
         json={"status": "accepted"})
    _wait(lambda: call(admin.image, "GET", f"/images/{body['id']}")["status"] == "active",
          "the payload image to become active", timeout=60)


def _shares(world, alice, devcloud):
    for kind, payload in (("raw", SCRIPT), ("results", IMG)):
        body = _manila(alice, "POST", "/shares", json={"share": {
            "name": f"zz-{world.mark} {kind} {payload}", "description": f"{SVG} {NG} {BIDI}",
            "share_proto": SEED.SHARE_PROTO, "size": SEED.SHARE_SIZE_GB,
            "share_type": devcloud.manifest.get("share_type") or "default",
            "metadata": {"heps:experiment": world.experiment, "heps:kind": kind,
                         "note": SCRIPT}}})["share"]
        world.shares[kind] = body
        world.later(f"share {kind}", _delete_share, alice, body["id"])


def _delete_share(conn, share_id):
    # Manila deletes only a share that is no longer being created
    _wait(lambda: conn.shared_file_system.delete(
        f"/shares/{share_id}", headers={"X-OpenStack-Manila-API-Version": MANILA_MV}
    ).status_code in (202, 404), "the payload share to be deletable", timeout=120)


def _wait_shares(world, alice):
    for kind, share in world.shares.items():
        def ready(share_id=share["id"], kind=kind):
            status = _manila(alice, "GET", f"/shares/{share_id}")["share"]["status"]
            if status == "error":
                raise AssertionError(f"payload share {kind} went to error")
            return status == "available"
        _wait(ready, f"the {kind} payload share")


def _server_metadata(world, devcloud, bob_id):
    expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=4)
               ).strftime("%Y-%m-%dT%H:%M:%SZ")
    raw, results = world.shares["raw"]["id"], world.shares["results"]["id"]
    return {
        "heps:experiment": world.experiment, "heps:profile": world.flavor["name"],
        "heps:expires_at": f"{expires}{IMG}", "heps:owner": SCRIPT,
        "heps:warned_at": SVG, "heps:public_ip": NG, "heps:data_mode": "access-rule",
        "heps:data_state": "attached", "heps:data_error": f"{SCRIPT} {NG}",
        "heps:mount:raw": f"nfs {SCRIPT_NOSPACE}:/x /mnt/{IMG_NOSPACE} ro {raw}",
        "heps:mount:results": f"nfs {JS_URL} /mnt/{NG} rw {results}",
        f"heps:grant:{bob_id}": f"v1 view {SCRIPT}",
        f"heps:support:{bob_id}": f"v1 {expires} 00ff {IMG} {NG}",
    }


def _server(world, alice, admin, devcloud):
    m = devcloud.manifest
    name = f"br-{world.mark} {SCRIPT} {NG_MATH} {UNICODE}"
    bob_id = admin.identity.find_user("bob").id
    body = {"name": name, "flavorRef": world.flavor["id"], "imageRef": world.image["id"],
            "networks": [{"uuid": m["desktop_networks"][PROJECT]}],
            "security_groups": [{"name": SEED.SECURITY_GROUP},
                                {"name": world.security_group["id"]}],
            "tags": [DESKTOP_TAG], "metadata": _server_metadata(world, devcloud, bob_id)}
    server = nova(alice, "POST", "/servers", json={"server": body})["server"]
    world.later("server", _delete_server, alice, server["id"])
    world.server_names.append(name)
    world.server = wait_server(alice, server["id"], timeout=120)


def _delete_server(conn, server_id, timeout=90):
    nova(conn, "DELETE", f"/servers/{server_id}", ok=(204, 404))
    deadline = time.monotonic() + timeout
    while conn.compute.get(f"/servers/{server_id}", microversion="2.97").status_code != 404:
        if time.monotonic() > deadline:
            raise ApiError(f"server {server_id} not deleted after {timeout} s")
        time.sleep(0.5)


def _security_group(world, alice):
    """A security group with a payload name (the desktop boots with it)."""
    group = call(alice.network, "POST", "/security-groups", json={"security_group": {
        "name": f"zz-{world.mark} {SVG}", "description": f"{SCRIPT} {NG}"}})["security_group"]
    world.security_group = group
    world.later("security group", _delete_group, alice, group["id"])


def _delete_group(conn, group_id):
    # the desktop's port may outlive the server for a moment: 409 "in use"
    _wait(lambda: conn.network.delete(f"/security-groups/{group_id}").status_code
          in (204, 404), "the payload security group to be deletable", timeout=60)


def _port_name(world, alice):
    """The desktop's port gets a payload name."""
    ports = call(alice.network, "GET", f"/ports?device_id={world.server['id']}")["ports"]
    world.port_name = f"zz-{world.mark} {IMG}"
    for port in ports:
        call(alice.network, "PUT", f"/ports/{port['id']}",
             json={"port": {"name": world.port_name}})


# keystone, nova, glance, neutron, manila on the dev cloud (their version documents)
ENDPOINTS = ("http://127.0.0.1:5000/v3", "http://127.0.0.1:8774/", "http://127.0.0.1:9292/",
             "http://127.0.0.1:9696/", "http://127.0.0.1:8786/")


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=3):  # noqa: S310 (loopback http)
            return True
    except urllib.error.HTTPError as e:  # 300 Multiple Choices (glance, manila), 401
        return e.code < 500
    except (urllib.error.URLError, OSError):
        return False


def _services_up(timeout=120):
    """Wait (bounded) while another engineer's fault test has one service stopped."""
    for url in ENDPOINTS:
        _wait(lambda url=url: _answers(url), f"{url} to answer", timeout=timeout, interval=1)


@contextlib.contextmanager
def payload_world(devcloud, admin, alice):
    """Make every payload object (about 20-40 s on the dev cloud); delete them after."""
    mark = f"xss{uuid.uuid4().hex[:6]}"
    world = XssWorld(mark=mark, experiment=f"zz-{mark}")
    try:
        _services_up()
        _keystone_objects(world, admin)
        _flavor(world, admin, devcloud)
        _image(world, admin, alice, devcloud)
        _shares(world, alice, devcloud)
        _security_group(world, alice)
        _wait_shares(world, alice)
        _server(world, alice, admin, devcloud)
        _port_name(world, alice)
        yield world
        _services_up()
    finally:
        errors = world.cleanup()
        assert not errors, f"cleanup of the payload objects failed: {errors}"
