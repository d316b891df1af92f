"""Django requests carrying a real keystone token, to call the plugin's api/ and service
functions (desktops/experiments.py) against the dev cloud without a browser.

The request is what Horizon builds after a login: ``request.user`` is openstack_auth's
User made from a real project-scoped token (service catalog included), with a session
and message storage, so Horizon's per-request clients and ``exceptions.handle`` work.
"""

from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from openstack_auth import user as auth_user


def make_request(devcloud, username, project=None, path="/project/desktops/"):
    """A GET request for ``path`` logged in as ``username`` on ``project`` (default: the
    user's seeded default project)."""
    seed_user = devcloud_seed_user(username)
    project = project or seed_user["default_project"]
    auth = v3.Password(auth_url=devcloud.keystone_url, username=username,
                       password=devcloud.password(username), user_domain_id="default",
                       project_name=project, project_domain_id="default")
    session = ks_session.Session(auth=auth)
    token = auth_user.Token(auth.get_access(session))
    request = RequestFactory().get(path)
    request.session = SessionStore()
    request._messages = default_storage(request)
    request.user = auth_user.create_user_from_token(
        request, token, devcloud.keystone_url,
        services_region=devcloud.manifest.get("region") or "RegionOne")
    return request


def devcloud_seed_user(username):
    from cloud_fixtures import SEED

    return SEED.USERS[username]


def messages_of(request):
    return [str(m) for m in request._messages]
