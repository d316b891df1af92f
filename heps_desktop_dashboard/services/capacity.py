"""The GPU capacity board (Admin › GPU Capacity): placement's GPU inventories and usages
per class and provider, and who holds each GPU.

Calls, whatever the number of consumers: ``GET /resource_providers``, one
``/inventories`` per provider, then per GPU provider ``/usages`` and ``/allocations``
(and ``/traits`` for vGPU providers, the vGPU type); nova's desktops of every project
(one call per 500) and keystone's project and user names (one call each), read in
parallel. Reads only.
"""

import dataclasses
import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import gpu_capacity
from heps_desktop_dashboard.services import parallel

LOG = logging.getLogger(__name__)

# What could not be read (Board.missing); the page says so.
DESKTOPS = "desktops"
NAMES = "names"


@dataclasses.dataclass
class Board:
    classes: list = dataclasses.field(default_factory=list)
    providers: list = dataclasses.field(default_factory=list)  # ProviderLines
    holders: list = dataclasses.field(default_factory=list)
    projects: dict = dataclasses.field(default_factory=dict)
    users: dict = dataclasses.field(default_factory=dict)
    missing: set = dataclasses.field(default_factory=set)


def _desktops(ctx):
    return {server.id: server for server in api.nova_admin.desktops_all_projects(ctx)}


def _read_placement(ctx, providers):
    """ProviderLines and ``{provider uuid: allocations}`` of the GPU providers."""
    inventories = parallel.raise_first(parallel.call_all(
        [(api.placement_inventory.inventories, ctx, rp["uuid"]) for rp in providers]))
    roots = {rp["uuid"]: rp.get("name") or rp["uuid"] for rp in providers}
    gpu = [(rp, inv) for rp, inv in zip(providers, inventories, strict=True)
           if any(gpu_capacity.is_gpu_class(rc) for rc in inv)]
    calls = []
    for rp, inventory in gpu:
        calls.append((api.placement_inventory.usages, ctx, rp["uuid"]))
        calls.append((api.placement_inventory.allocations, ctx, rp["uuid"]))
        calls.append((api.placement_inventory.traits, ctx, rp["uuid"])
                     if gpu_capacity.VGPU in inventory else (tuple,))
    results = iter(parallel.raise_first(parallel.call_all(calls)))
    lines, allocations = [], {}
    for rp, inventory in gpu:
        usages, held, traits = next(results), next(results), next(results)
        root = rp.get("root_provider_uuid") or rp["uuid"]
        lines += gpu_capacity.provider_lines(rp, roots.get(root, root), inventory, usages,
                                             traits)
        allocations[rp["uuid"]] = held
    return lines, allocations


def board(ctx):
    """The Board. Placement unreadable raises (keystoneauth errors); nova or keystone
    unreadable leaves desktops or names out (``Board.missing``)."""
    providers, desktops, projects, users = parallel.call_all([
        (api.placement_inventory.resource_providers, ctx),
        (_desktops, ctx),
        (api.identity_names.project_names, ctx),
        (api.identity_names.user_names, ctx),
    ])
    parallel.raise_first([providers])
    found = Board()
    if isinstance(desktops, Exception):
        LOG.warning("GPU capacity: desktops unavailable: %s", desktops)
        found.missing.add(DESKTOPS)
        desktops = {}
    if isinstance(projects, Exception) or isinstance(users, Exception):
        LOG.warning("GPU capacity: keystone names unavailable: %s / %s", projects, users)
        found.missing.add(NAMES)
    found.projects = projects if isinstance(projects, dict) else {}
    found.users = users if isinstance(users, dict) else {}
    lines, allocations = _read_placement(ctx, providers)
    found.providers = lines
    found.classes = gpu_capacity.group(lines)
    found.holders = gpu_capacity.holders(lines, allocations, desktops)
    return found
