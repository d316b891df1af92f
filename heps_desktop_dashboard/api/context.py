"""Who talks to OpenStack: a user (the token of a Horizon request) or the operator.

An ``ApiContext`` carries one keystoneauth session (with the deployment's timeout) and
the scope facts the services need; every client of every api/ module is built from it
and cached on it. The service layer takes a context, never a Django request, so the
same code runs under a view and under the reconciler.
"""

import logging
import threading

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import plugin
from keystoneauth1 import session as ks_session

from heps_desktop_dashboard import conf

LOG = logging.getLogger(__name__)
USER_AGENT = "heps-desktop-dashboard"
_REQUEST_ATTR = "_heps_api_context"


class CatalogTokenAuth(plugin.BaseAuthPlugin):
    """The user's existing token, with endpoints from the token's catalog.

    Sent as it is: no re-authentication, so no fresh keystone token per page (Horizon's
    own clients mint one per call site).
    """

    def __init__(self, token, endpoint_for, user_id, project_id):
        super().__init__()
        self._token = token
        self._endpoint_for = endpoint_for
        self._user_id = user_id
        self._project_id = project_id

    def get_token(self, session, **kwargs):
        return self._token

    def get_endpoint(self, session, service_type=None, **kwargs):
        if not service_type:
            return None
        try:
            return self._endpoint_for(service_type)
        except Exception as exc:  # Horizon's ServiceCatalogException and friends
            raise ks_exceptions.EndpointNotFound(
                f"no {service_type} endpoint in the catalog") from exc

    def get_user_id(self, session, **kwargs):
        return self._user_id

    def get_project_id(self, session, **kwargs):
        return self._project_id


class ApiContext:
    """A keystoneauth session plus who it acts for.

    ``project_id`` is the project the context is scoped to; an operator context
    (``operator=True``) acts on every project and is what the reconciler uses.
    """

    def __init__(self, session, *, project_id, user_id, username="", region=None,
                 interface="public", operator=False, catalog=None, is_admin=False,
                 request_id="", source_ip="", roles=()):
        self.session = session
        self.project_id = project_id
        self.user_id = user_id
        self.username = username
        self.region = region
        self.interface = interface
        self.operator = operator
        self.is_admin = is_admin or operator
        # Role names of the token in its project (support access, services/access.py).
        self.roles = tuple(roles or ())
        self.catalog = catalog or []
        # Where a user's request came from (audit trail); empty for the operator.
        self.request_id = request_id
        self.source_ip = source_ip
        self.clients = {}
        # Re-entrant: building one cached value may need another (a lookup that needs
        # a client), in the same thread.
        self._lock = threading.RLock()

    def __repr__(self):
        kind = "operator" if self.operator else "user"
        return f"<ApiContext {kind} user={self.user_id} project={self.project_id}>"

    def adapter(self, service_type, **kwargs):
        return adapter.Adapter(self.session, service_type=service_type,
                               interface=self.interface, region_name=self.region, **kwargs)

    def endpoint(self, service_type):
        return self.session.get_endpoint(service_type=service_type, interface=self.interface,
                                         region_name=self.region)

    def cached(self, key, build):
        """The client ``key`` of this context, built once."""
        with self._lock:
            if key not in self.clients:
                self.clients[key] = build()
            return self.clients[key]

    def service_id(self, service_type):
        for service in self.catalog:
            if service.get("type") == service_type:
                return service.get("id")
        return None


def _verify():
    from django.conf import settings

    if getattr(settings, "OPENSTACK_SSL_NO_VERIFY", False):
        return False
    return getattr(settings, "OPENSTACK_SSL_CACERT", None) or True


def _interface():
    from django.conf import settings

    endpoint_type = getattr(settings, "OPENSTACK_ENDPOINT_TYPE", "publicURL") or "publicURL"
    return endpoint_type[:-3] if endpoint_type.endswith("URL") else endpoint_type


def new_session(auth):
    return ks_session.Session(auth=auth, verify=_verify(), user_agent=USER_AGENT,
                              timeout=conf.get("api_timeout_seconds"))


def _request_id(request):
    meta = getattr(request, "META", {}) or {}
    return str(meta.get("HTTP_X_OPENSTACK_REQUEST_ID") or meta.get("HTTP_X_REQUEST_ID")
               or id(request))


def _source_ip(request):
    from openstack_auth import utils as auth_utils

    try:
        return auth_utils.get_client_ip(request) or ""
    except Exception:
        return str((getattr(request, "META", {}) or {}).get("REMOTE_ADDR", ""))


def _role_names(user):
    return [role.get("name", "") for role in getattr(user, "roles", None) or ()
            if isinstance(role, dict)]


def for_request(request):
    """The context of a Horizon request's user (one per request)."""
    found = getattr(request, _REQUEST_ATTR, None)
    if found is not None:
        return found
    from openstack_dashboard.api import base

    user = request.user

    def endpoint_for(service_type):
        return base.url_for(request, service_type)

    auth = CatalogTokenAuth(user.token.id, endpoint_for, user.id, user.tenant_id)
    found = ApiContext(
        new_session(auth), project_id=user.tenant_id, user_id=user.id,
        username=getattr(user, "username", ""),
        region=getattr(user, "services_region", None), interface=_interface(),
        catalog=getattr(user, "service_catalog", None) or [],
        is_admin=bool(getattr(user, "is_superuser", False)),
        request_id=_request_id(request), source_ip=_source_ip(request),
        roles=_role_names(user))
    setattr(request, _REQUEST_ATTR, found)
    return found


_operator_lock = threading.Lock()
_operators = {}


def for_operator(cloud=None):
    """The operator's context, from a clouds.yaml cloud (``cloud``, else the setting
    ``operator_cloud``, else OS_CLOUD / OS_* variables) or the application credential
    in ``operator_credential``. One per process and cloud: tokens are reused until they
    expire."""
    cloud = cloud or conf.get("operator_cloud")
    key = cloud or "__default__"
    with _operator_lock:
        if key not in _operators:
            _operators[key] = _build_operator(cloud)
        return _operators[key]


def _build_operator(cloud):
    credential = conf.get("operator_credential")
    if credential and not cloud:
        from keystoneauth1.identity import v3

        auth = v3.ApplicationCredential(
            auth_url=credential["auth_url"],
            application_credential_id=credential["id"],
            application_credential_secret=credential["secret"])
        session = new_session(auth)
        region = credential.get("region_name")
        interface = credential.get("interface") or _interface()
    else:
        import openstack.config

        config = openstack.config.OpenStackConfig().get_one(cloud=cloud)
        session = new_session(config.get_auth())
        region = config.get_region_name()
        # clouds.yaml `interface` / OS_INTERFACE: deployments often want "internal".
        interface = config.get_interface() or _interface()
    access = session.auth.get_access(session)
    return ApiContext(session, project_id=None, user_id=access.user_id,
                      username=access.username or "", region=region, interface=interface,
                      operator=True,
                      catalog=access.service_catalog.catalog if access.service_catalog
                      else [])


def operator_in_project(ops, project_id):
    """The operator re-scoped to one project (a token for ``project_id`` from the
    operator's own), so what it creates there belongs to that project (Cinder puts a
    backup in the caller's project). Needs a role of the operator's user in that
    project; keystone refuses otherwise (Unauthorized). Built per call: the operator's
    token it comes from is renewed by its own session."""
    from keystoneauth1.identity import generic

    auth = generic.Token(auth_url=ops.session.auth.auth_url,
                         token=ops.session.get_token(), project_id=project_id)
    session = new_session(auth)
    access = session.auth.get_access(session)
    return ApiContext(session, project_id=project_id, user_id=access.user_id,
                      username=access.username or "", region=ops.region,
                      interface=ops.interface, operator=False,
                      catalog=access.service_catalog.catalog
                      if access.service_catalog else [], is_admin=True)
