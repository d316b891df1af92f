"""A minimal keystone-authenticated JSON client (urllib) for setup and health checks."""

import json
import urllib.error
import urllib.request

from .paths import KEYSTONE


class ApiError(Exception):
    pass


def call(method, url, body=None, headers=None, token=None, timeout=20):
    """Returns (status, parsed JSON or None, response headers). Never raises on HTTP errors."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"dev cloud URLs are loopback only: {url}")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - checked above
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310
            raw, status, hdrs = r.read(), r.status, r.headers
    except urllib.error.HTTPError as e:
        raw, status, hdrs = e.read(), e.code, e.headers
    except (urllib.error.URLError, OSError) as e:
        return 0, {"error": str(e)}, {}
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = {"raw": raw[:300].decode(errors="replace")}
    return status, doc, hdrs


def get_token(password, user="admin", project="admin", system=False):
    scope = {"system": {"all": True}} if system else {
        "project": {"name": project, "domain": {"id": "default"}}}
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}}, "scope": scope}}
    status, doc, hdrs = call("POST", f"{KEYSTONE}/v3/auth/tokens", body, timeout=10)
    if status != 201:
        raise ApiError(f"keystone token for {user}: HTTP {status} {doc}")
    return hdrs["X-Subject-Token"]


class Session:
    """Admin session: a project-scoped token for service APIs, a system one for keystone."""

    def __init__(self, admin_password):
        self.project_token = get_token(admin_password)
        self.system_token = get_token(admin_password, system=True)

    def ks(self, method, path, body=None, ok=(200, 201, 204)):
        status, doc, _ = call(method, f"{KEYSTONE}/v3{path}", body, token=self.system_token)
        if status not in ok:
            raise ApiError(f"keystone {method} {path}: HTTP {status} {doc}")
        return doc

    def api(self, method, url, body=None, headers=None):
        return call(method, url, body, headers=headers, token=self.project_token)[:2]
