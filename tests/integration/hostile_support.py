"""Helpers of the hostile-input suite (tests/integration/test_hostile_*.py): Horizon in
process through Django's test client WITH CSRF enforced (middleware, sessions,
messages as a browser gets them), logged in against the dev cloud's keystone; what a
response says; what nova and Manila say about a desktop, to prove nothing changed."""

import contextlib
import json
import logging
import os
import re
import secrets
import sys
import time
import urllib.parse
import uuid

from cloud_fixtures import SEED
from cloud_fixtures import nova
from django.test import Client
from django.test import override_settings
from django.urls import reverse

from heps_desktop_dashboard.core import conventions
from integration import experiment_support
from integration.horizon_request import credentials

# A value every URL pattern of the plugin accepts, replaced by the hostile id.
PLACEHOLDER = "00000000-0000-4000-8000-000000000000"
_FORM_ERRORS = re.compile(r'class="[^"]*(?:has-error|alert-danger|error)[^"]*"')


@contextlib.contextmanager
def horizon_settings(devcloud, **heps):
    """Horizon's settings pointed at the dev cloud for a whole module (pytest-django's
    ``settings`` fixture is per test)."""
    from django.conf import settings

    plugin = {**getattr(settings, "HEPS_DESKTOPS", {}), "network": SEED.DESKTOP_NETWORK,
              "security_group": SEED.SECURITY_GROUP, **heps}
    with override_settings(
            OPENSTACK_KEYSTONE_URL=devcloud.keystone_url, AVAILABLE_REGIONS=[],
            OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT=False,
            OPENSTACK_KEYSTONE_DEFAULT_DOMAIN="Default",
            OPENSTACK_ENDPOINT_TYPE="publicURL", OPENSTACK_SSL_NO_VERIFY=True,
            HEPS_DESKTOPS=plugin):
        yield


# Seconds per request of this session (the module reports how many and how long).
STATS = []


class Browser:
    """A logged-in Django test client that sends the CSRF token like a browser."""

    def __init__(self, username, password, label=None):
        self.label = label or username
        self.client = Client(enforce_csrf_checks=True)
        self.client.get("/auth/login/")
        resp = self.post("/auth/login/", {"region": "default", "username": username,
                                          "password": password})
        assert resp.status_code == 302 and "/auth/login" not in resp["Location"], \
            (username, resp.status_code)

    def token(self):
        cookie = self.client.cookies.get("csrftoken")
        if cookie is None:
            self.client.get("/auth/login/")
            cookie = self.client.cookies["csrftoken"]
        return cookie.value

    def post(self, path, data, csrf=True):
        data = dict(data)
        if csrf:
            data["csrfmiddlewaretoken"] = self.token()
        started = time.monotonic()
        ADDED.clear()
        resp = self.client.post(path, data)
        STATS.append(time.monotonic() - started)
        # a browser shows the messages once; here they would pile up in the cookie
        self.client.cookies.pop("messages", None)
        if os.environ.get("HEPS_HOSTILE_TRACE"):
            sys.stderr.write(f"{STATS[-1]:6.2f}s {resp.status_code} {self.label} "
                             f"{path[:90]} {sorted(data)[:4]}\n")
        return resp

    def get(self, path, data=None):
        ADDED.clear()
        resp = self.client.get(path, data or {})
        self.client.cookies.pop("messages", None)
        return resp


def login(devcloud, username, label=None):
    return Browser(username, credentials(devcloud, username)["password"], label)


@contextlib.contextmanager
def temporary_user(admin, project_name, role, prefix):
    """A keystone user with ``role`` on ``project_name`` (deleted at the end):
    yields (user, password)."""
    identity = admin.identity
    project = identity.find_project(project_name)
    password = secrets.token_hex(12)
    user = identity.create_user(name=f"{prefix}-{uuid.uuid4().hex[:8]}", password=password,
                                domain_id="default", default_project_id=project.id)
    try:
        identity.assign_project_role_to_user(project, user, identity.find_role(role))
        yield user, password
    finally:
        identity.delete_user(user)


def url(url_name, target_id=None):
    """The URL of ``url_name`` for ``target_id``, whatever it holds (quoted): a value
    the URL's pattern refuses gives a 404, which is what a browser would get."""
    if target_id is None:
        return reverse(url_name)
    path = reverse(url_name, args=[PLACEHOLDER])
    return path.replace(PLACEHOLDER, urllib.parse.quote(str(target_id), safe=""))


@contextlib.contextmanager
def recording_messages():
    """Record every message a request adds, also those a rendered page then shows
    (Django's storage forgets those once displayed)."""
    from django.contrib.messages.storage import base

    original = base.BaseStorage.add

    def add(storage, level, message, extra_tags=""):
        ADDED.setdefault(id(storage.request), []).append((level, str(message)))
        return original(storage, level, message, extra_tags)

    base.BaseStorage.add = add
    try:
        yield
    finally:
        base.BaseStorage.add = original


# id(request) -> [(level, text)] of the messages added while handling it.
ADDED = {}


def messages(resp, level=None):
    """The Horizon messages this request added (not older ones still in the cookie)."""
    added = ADDED.get(id(resp.wsgi_request), [])
    return [text for lvl, text in added if level is None or lvl == level]


def form_errors(resp):
    context = resp.context
    form = context.get("form") if context is not None else None
    if form is not None and form.errors:
        return [f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items()]
    return []


def said(resp):
    """What the user is told: Horizon messages, form errors, or the page of a refusal
    (403 not-authorized, 404 not found, 405 method not allowed)."""
    told = messages(resp) + form_errors(resp)
    if not told and resp.status_code in (403, 404, 405):
        told = [f"HTTP {resp.status_code}"]
    return told


def check(resp, what):
    """No 500, and the user is told something; returns what they were told."""
    assert resp.status_code < 500, (what, resp.status_code, resp.content[-1500:])
    told = said(resp)
    assert told, (what, resp.status_code, resp.get("Location"))
    return told


# Written by the reconciler (any running one, with its own signing key): a pass signs an
# expiry it cannot verify and marks warnings. A user's Extend is caught by the audit
# trail instead (AuditTrail below).
RECONCILER_KEYS = ("heps:expires_at", "heps:expires_sig", "heps:warned_at")


class AuditTrail(logging.Handler):
    """The plugin's audit events of this process (every Horizon request here)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.events = []

    def emit(self, record):
        self.events.append(json.loads(record.getMessage()))

    @contextlib.contextmanager
    def attached(self):
        logger = logging.getLogger(conventions.AUDIT_LOGGER)
        level = logger.level
        logger.addHandler(self)
        logger.setLevel(logging.INFO)
        try:
            yield self
        finally:
            logger.removeHandler(self)
            logger.setLevel(level)

    def done_on(self, ids):
        """Events that did something (result "ok") to one of ``ids``."""
        return [e for e in self.events if e.get("target_id") in ids and e.get("result") == "ok"]


def state(admin, shares, server_id):
    """What nova and Manila say about a server, as the admin sees it: status, task,
    name, metadata (but what the reconciler writes), tags, lock, share attachments
    and the Manila rules made for it."""
    server = nova(admin, "GET", f"/servers/{server_id}", ok=(200, 404))
    if "server" not in server:
        return {"gone": True}
    server = server["server"]
    attached = nova(admin, "GET", f"/servers/{server_id}/shares", ok=(200, 404, 409))
    rules = sorted((share_id, rule["access_to"], rule["access_level"])
                   for share_id in shares
                   for rule in experiment_support.desktop_rules(admin, share_id, server_id))
    return {"status": server["status"], "task": server.get("OS-EXT-STS:task_state"),
            "name": server["name"],
            "metadata": {k: v for k, v in server["metadata"].items()
                         if k not in RECONCILER_KEYS},
            "tags": sorted(server.get("tags") or ()), "locked": server.get("locked"),
            "shares": sorted(s["share_id"] for s in (attached or {}).get("shares", ())),
            "rules": rules}


def actions_by(admin, server_id, user_ids, since):
    """nova's instance actions on the server by one of ``user_ids`` since ``since``
    (ISO time): who stopped, started, deleted... it, whatever the dashboard says."""
    found = nova(admin, "GET", f"/servers/{server_id}/os-instance-actions", ok=(200, 404))
    return [(a["action"], a["user_id"]) for a in found.get("instanceActions", ())
            if a.get("user_id") in user_ids and a.get("start_time", "") >= since]


def compare(before, after, foreign_actions):
    """``after`` equals ``before``; nova fields a reconciler may have changed meanwhile
    (status, task, a deletion by its operator) only when it did not act."""
    if foreign_actions or after.get("gone"):
        keep = ("name", "metadata", "tags", "shares", "rules")
        if after.get("gone"):
            return True
        return {k: after[k] for k in keep} == {k: before[k] for k in keep}
    return after == before


def all_share_ids(devcloud):
    return [share_id for shares in devcloud.manifest["shares"].values()
            for share_id in shares.values()]
