"""Placement: free GPU capacity and the project's GPU usage, for the launch form.

Who can read what, by placement's default policy (openstack-placement 2023.1+):

- ``GET /usages?project_id=<own project>``: the project's members and readers. The
  launch form reads the project's GPU usage with the user's own token (one call).
- ``GET /allocation_candidates`` (and every provider read): admin or service only. GPU
  capacity is read with the ``capacity_credential`` application credential when the
  deployment configures one (its role must pass placement's policy: ``admin``,
  ``service``, or a reader role the deployment's placement policy allows for
  ``placement:allocation_candidates:list``), else with the user's own token when the
  user is an admin. Otherwise capacity is unknown and the form shows no number.

Calls go over keystoneauth sessions built from the user's existing token (no new token
per request) or, for the capacity credential, one process-wide session whose token is
reused until it expires.
"""

import logging
import threading

from django.conf import settings
from horizon.utils import memoized
from keystoneauth1 import adapter
from keystoneauth1 import session
from keystoneauth1 import token_endpoint
from keystoneauth1.identity import v3
from openstack_auth import utils as auth_utils
from openstack_dashboard.api import base

from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import quota

LOG = logging.getLogger(__name__)

# 1.35: root_required (nova keeps disabled computes out with !COMPUTE_STATUS_DISABLED).
CANDIDATES_VERSION = "placement 1.35"
# 1.9: GET /usages?project_id=
USAGES_VERSION = "placement 1.9"
# What nova's scheduler adds to every request (compute_status_filter).
ROOT_REQUIRED = "!COMPUTE_STATUS_DISABLED"

_credential_lock = threading.Lock()
_credential_adapters = {}


def _verify():
    if getattr(settings, "OPENSTACK_SSL_NO_VERIFY", False):
        return False
    return getattr(settings, "OPENSTACK_SSL_CACERT", None) or True


def _interface():
    endpoint_type = getattr(settings, "OPENSTACK_ENDPOINT_TYPE", "publicURL") or "publicURL"
    return endpoint_type[:-3] if endpoint_type.endswith("URL") else endpoint_type


@memoized.memoized
def _user_adapter(request):
    """Placement with the user's own token, memoized per request."""
    auth = token_endpoint.Token(endpoint=base.url_for(request, "placement"),
                                token=request.user.token.id)
    return adapter.Adapter(
        session.Session(auth=auth, verify=_verify(),
                        original_ip=auth_utils.get_client_ip(request)),
        service_type="placement",
    )


def _credential(value):
    """``capacity_credential``: {"id": ..., "secret": ...} (optional "auth_url") or a
    2-tuple (id, secret)."""
    if not value:
        return None
    if isinstance(value, dict):
        cred_id, secret = value.get("id"), value.get("secret")
        auth_url = value.get("auth_url")
    else:
        cred_id, secret = value
        auth_url = None
    if not cred_id or not secret:
        return None
    return cred_id, secret, auth_url or settings.OPENSTACK_KEYSTONE_URL


def _credential_adapter(request, cred):
    cred_id, secret, auth_url = cred
    region = getattr(request.user, "services_region", None)
    key = (cred_id, auth_url, region)
    with _credential_lock:
        found = _credential_adapters.get(key)
        if found is None:
            auth = v3.ApplicationCredential(
                auth_url=auth_url,
                application_credential_id=cred_id,
                application_credential_secret=secret,
            )
            found = adapter.Adapter(
                session.Session(auth=auth, verify=_verify()),
                service_type="placement",
                interface=_interface(),
                region_name=region,
            )
            _credential_adapters[key] = found
    return found


def capacity_reader(request):
    """The placement adapter that may read capacity, or None when nobody can."""
    cred = _credential(conf.get("capacity_credential"))
    if cred:
        return _credential_adapter(request, cred)
    if getattr(request.user, "is_superuser", False):
        return _user_adapter(request)
    return None


def can_read_capacity(request):
    return capacity_reader(request) is not None


def _get(reader, path, version, params=None):
    response = reader.get(path, params=params, headers={"OpenStack-API-Version": version},
                          raise_exc=True)
    return response.json()


def gpu_free(request, gpu_requests):
    """Free GPU units now, per request: ``{GpuRequest: int}``, or None when unreadable.

    One ``GET /allocation_candidates`` per distinct request (resource class + traits),
    whatever the number of hosts: the provider summaries carry each provider's capacity
    ((total - reserved) x allocation_ratio) and usage. Raises keystoneauth errors
    (e.g. Forbidden when the deployment's policy refuses the reader).
    """
    reader = capacity_reader(request)
    if reader is None:
        return None
    found = {}
    for wanted in dict.fromkeys(gpu_requests):
        traits = list(wanted.required) + ["!" + t for t in wanted.forbidden]
        params = {"resources": f"{wanted.resource_class}:1", "root_required": ROOT_REQUIRED}
        if traits:
            params["required"] = ",".join(traits)
        body = _get(reader, "/allocation_candidates", CANDIDATES_VERSION, params)
        found[wanted] = quota.free_from_candidates(body, wanted.resource_class)
    return found


def project_usages(request):
    """The project's placement usages: ``{"VGPU": 1, "VCPU": 12, ...}`` (one call).

    Readable by the project's members and readers under placement's default policy.
    """
    body = _get(_user_adapter(request), "/usages", USAGES_VERSION,
                {"project_id": request.user.project_id})
    return {rc: int(amount) for rc, amount in (body.get("usages") or {}).items()}
