"""Helpers of the My storage and Boost integration tests: a Horizon request of a
temporary user, and the dev Horizon's signing key."""

import os
import pathlib

from cloud_fixtures import call
from cloud_fixtures import wait_until
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from openstack_auth import user as auth_user

PROJECT = "experiment-a"


def request_of(devcloud, username, password):
    plugin = v3.Password(auth_url=devcloud.keystone_url, username=username,
                         password=password, user_domain_name="Default",
                         project_name=PROJECT, project_domain_name="Default")
    token = auth_user.Token(plugin.get_access(ks_session.Session(auth=plugin)))
    request = RequestFactory().get("/project/desktops/")
    request.session = SessionStore()
    request._messages = default_storage(request)
    request.user = auth_user.create_user_from_token(
        request, token, devcloud.keystone_url,
        services_region=devcloud.manifest.get("region") or "RegionOne")
    return request


def horizon_key(settings):
    """Sign with the SECRET_KEY of the dev Horizon (.horizon): the reconciler that runs
    beside it (make run, the browser tests) acts on every project and takes records
    signed with another key for forged."""
    store = pathlib.Path(os.environ.get("HEPS_HORIZON_STATE")
                         or pathlib.Path(__file__).resolve().parents[2] / ".horizon")
    store = store / ".secret_key_store"
    if store.exists():
        settings.SECRET_KEY = store.read_text().strip()


CINDER_MV = {"OpenStack-API-Version": "volume 3.56"}


def cinder(conn, method, url, ok=(200, 201, 202, 204), **kw):
    """A Cinder REST call as ``conn`` (microversion 3.56: backups' metadata)."""
    return call(conn.block_storage, method, url, ok, headers=CINDER_MV, **kw)


def wait_for(check, what, timeout=90):
    """``check()``'s first truthy answer within ``timeout`` s (cloud_fixtures.wait_until)."""
    return wait_until(check, timeout, what=what)
