"""Django requests carrying a real keystone token, for calling the plugin's api/ and
services/ functions and forms against the dev cloud without a browser or a login round
trip.

``request.user`` is openstack_auth's User built from a real project-scoped token (what
Horizon builds at login: service catalog, roles, region), with a session and message
storage, so the plugin's api context (``api.context.for_request``: the token plus the
catalog's endpoints), ``messages`` and ``exceptions.handle`` work.

    from integration.horizon_request import make_request, use_devcloud, user_context

    def test_x(settings, devcloud):
        use_devcloud(settings, devcloud)
        request = make_request(devcloud, "alice")              # GET, alice's project
        ctx = api.context.for_request(request)                  # what a view passes on
        admin = user_context(devcloud, "admin")                 # the cloud's admin
        post = make_request(devcloud, "alice", method="POST", data={...})

Users are the clouds of the seeded clouds.yaml (``devcloud-<user>``): admin, alice,
bob, reader.
"""

import yaml
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from openstack_auth import user as auth_user

from heps_desktop_dashboard import api


def use_devcloud(settings, devcloud):
    """Point Horizon's settings (pytest-django ``settings`` fixture) at the dev cloud."""
    settings.OPENSTACK_KEYSTONE_URL = devcloud.keystone_url
    settings.AVAILABLE_REGIONS = []
    settings.OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = False
    settings.OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = "Default"
    settings.OPENSTACK_ENDPOINT_TYPE = "publicURL"
    settings.OPENSTACK_SSL_NO_VERIFY = True
    return settings


def credentials(devcloud, username):
    """The ``auth`` section of cloud ``devcloud-<username>`` in the seeded clouds.yaml."""
    clouds = yaml.safe_load(devcloud.clouds_yaml.read_text())["clouds"]
    return clouds[f"devcloud-{username}"]["auth"]


def token_for(devcloud, username, project=None):
    """openstack_auth's Token for a fresh project-scoped keystone token."""
    auth = credentials(devcloud, username)
    plugin = v3.Password(
        auth_url=devcloud.keystone_url,
        username=auth["username"], password=auth["password"],
        user_domain_name=auth.get("user_domain_name", "Default"),
        project_name=project or auth["project_name"],
        project_domain_name=auth.get("project_domain_name", "Default"),
    )
    return auth_user.Token(plugin.get_access(ks_session.Session(auth=plugin)))


def make_request(devcloud, username, project=None, method="GET", path="/project/desktops/",
                 data=None):
    """A request as Horizon would see it after ``username`` logged in to ``project``
    (default: the user's project in clouds.yaml)."""
    factory = RequestFactory()
    if method.upper() == "POST":
        request = factory.post(path, data or {})
    else:
        request = factory.get(path, data or {})
    request.session = SessionStore()
    request._messages = default_storage(request)
    token = token_for(devcloud, username, project)
    request.user = auth_user.create_user_from_token(
        request, token, devcloud.keystone_url,
        services_region=devcloud.manifest.get("region") or "RegionOne")
    return request


def messages_of(request):
    return [str(m) for m in request._messages]


def user_context(devcloud, username, project=None):
    """The plugin's api context of a fresh request of ``username`` (a view's ``ctx``)."""
    return api.context.for_request(make_request(devcloud, username, project))
