"""Placement: free GPU capacity and the project's GPU usage, for the launch form.

By placement's default policy a project's members may read ``GET /usages`` of their own
project; capacity reads (``/allocation_candidates``, providers) need admin or service.
Capacity is read with the ``capacity_credential`` application credential when the
deployment configures one, else with an admin user's own token; otherwise it is unknown
and the form shows no number.
"""

import logging
import threading

from django.conf import settings
from keystoneauth1 import adapter
from keystoneauth1.identity import v3

from heps_desktop_dashboard import conf
from heps_desktop_dashboard.api import context
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


def _user_adapter(ctx):
    return ctx.cached("placement", lambda: ctx.adapter("placement"))


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


def _credential_adapter(ctx, cred):
    cred_id, secret, auth_url = cred
    region = ctx.region
    key = (cred_id, auth_url, region)
    with _credential_lock:
        found = _credential_adapters.get(key)
        if found is None:
            auth = v3.ApplicationCredential(
                auth_url=auth_url,
                application_credential_id=cred_id,
                application_credential_secret=secret,
            )
            found = adapter.Adapter(context.new_session(auth), service_type="placement",
                                    interface=ctx.interface, region_name=region)
            _credential_adapters[key] = found
    return found


def capacity_reader(ctx):
    """The placement adapter that may read capacity, or None when nobody can."""
    cred = _credential(conf.get("capacity_credential"))
    if cred:
        return _credential_adapter(ctx, cred)
    if ctx.is_admin:
        return _user_adapter(ctx)
    return None


def can_read_capacity(ctx):
    return capacity_reader(ctx) is not None


def _get(reader, path, version, params=None):
    response = reader.get(path, params=params, headers={"OpenStack-API-Version": version},
                          raise_exc=True)
    return response.json()


def gpu_free(ctx, gpu_requests):
    """Free GPU units now, per request: ``{GpuRequest: int}``, or None when unreadable.

    One ``GET /allocation_candidates`` per distinct request (resource class + traits),
    whatever the number of hosts: the provider summaries carry each provider's capacity
    ((total - reserved) x allocation_ratio) and usage. Raises keystoneauth errors
    (e.g. Forbidden when the deployment's policy refuses the reader).
    """
    reader = capacity_reader(ctx)
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


def project_usages(ctx):
    """The project's placement usages: ``{"VGPU": 1, "VCPU": 12, ...}`` (one call).

    Readable by the project's members and readers under placement's default policy.
    """
    body = _get(_user_adapter(ctx), "/usages", USAGES_VERSION,
                {"project_id": ctx.project_id})
    return {rc: int(amount) for rc, amount in (body.get("usages") or {}).items()}
