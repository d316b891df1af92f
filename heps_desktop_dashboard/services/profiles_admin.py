"""Desktop profiles for Admin › Desktop Profiles: every profile (retired ones too) with who
may use it, which desktops use it and whether placement has its GPU anywhere; create,
edit (nova flavors are immutable: a new flavor, the old one retired) and delete (retired
instead while desktops use it), each one audited.

A board costs one flavor list, one desktop list of every project, the keystone project
list, placement's providers with their inventories (and traits of GPU providers), and
one flavor-access call per private profile, read side by side.
"""

import dataclasses
import logging

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import gpu_capacity
from heps_desktop_dashboard.core import profile_specs
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.services import audit
from heps_desktop_dashboard.services import parallel

LOG = logging.getLogger(__name__)

# What could not be read (Board.missing).
DESKTOPS = "desktops"
PLACEMENT = "placement"
NAMES = "names"
ACCESS = "access"
# What delete() did.
DELETED = "deleted"
RETIRED = "retired"


class ProfileRefused(Exception):
    """Input or a nova refusal, in words for the admin; nothing was left behind."""


@dataclasses.dataclass
class ProfileRow:
    id: str
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int
    specs: dict
    is_public: bool
    profile: object = None        # core.profiles.Profile (None: inconsistent specs)
    projects: list = dataclasses.field(default_factory=list)      # ids (private ones)
    project_names: list = dataclasses.field(default_factory=list)
    desktops: list = dataclasses.field(default_factory=list)
    problem: str = ""             # why no host can satisfy it ("" when one can), English
    problem_code: str = ""        # its core.profile_specs code, with problem_params
    problem_params: dict = dataclasses.field(default_factory=dict)

    @property
    def retired(self):
        return profiles.is_retired(self.specs)

    @property
    def replaced_by(self):
        return str(self.specs.get(names.SPEC_REPLACED_BY) or "")


@dataclasses.dataclass
class Board:
    profiles: list = dataclasses.field(default_factory=list)
    offers: list = dataclasses.field(default_factory=list)       # GpuOffers
    projects: dict = dataclasses.field(default_factory=dict)     # id -> name
    taken: set = dataclasses.field(default_factory=set)          # every flavor name
    missing: set = dataclasses.field(default_factory=set)


def gpu_lines(ctx):
    """ProviderLines of every GPU inventory in placement (usage not read)."""
    providers = api.placement_inventory.resource_providers(ctx)
    inventories = parallel.call_all([(api.placement_inventory.inventories, ctx, rp["uuid"])
                                for rp in providers])
    parallel.raise_first(inventories)
    gpu = [(rp, inv) for rp, inv in zip(providers, inventories, strict=True)
           if any(gpu_capacity.is_gpu_class(rc) for rc in inv)]
    traits = parallel.raise_first(parallel.call_all(
        [(api.placement_inventory.traits, ctx, rp["uuid"]) for rp, _inv in gpu]))
    roots = {rp["uuid"]: rp.get("name") or rp["uuid"] for rp in providers}
    lines = []
    for (rp, inventory), found in zip(gpu, traits, strict=True):
        root = rp.get("root_provider_uuid") or rp["uuid"]
        lines += gpu_capacity.provider_lines(rp, roots.get(root, root), inventory, {},
                                             found)
    return lines


def _desktops_by_flavor(ctx):
    found = {}
    for server in api.nova_admin.desktops_all_projects(ctx):
        found.setdefault(desktops.flavor_name(server), []).append(server)
    return found


def _row(flavor, specs, lines, users):
    row = ProfileRow(str(flavor.id), flavor.name, int(flavor.vcpus or 0),
                     int(flavor.ram or 0), int(flavor.disk or 0), dict(specs),
                     bool(getattr(flavor, "is_public", True)),
                     desktops=users.get(flavor.name, []))
    try:
        row.profile = profiles.profile_from_flavor(row.id, row.name, row.vcpus,
                                                   row.ram_mb, row.disk_gb, specs)
    except profiles.InvalidProfile as exc:
        row.problem = str(exc)
        return row
    found = profile_specs.unsatisfiable_reason(specs, lines) if lines is not None else None
    if found:
        row.problem_code, row.problem_params = found
        row.problem = profile_specs.UNSATISFIABLE_REASONS[row.problem_code] % found[1]
    return row


def board(ctx):
    """The Board. The flavor list unreadable raises; desktops, placement, names or
    flavor access unreadable are left out (``missing``)."""
    flavors, users, lines, projects = parallel.call_all([
        (api.nova_flavors.flavors_with_specs, ctx),
        (_desktops_by_flavor, ctx),
        (gpu_lines, ctx),
        (api.identity_names.project_names, ctx),
    ])
    parallel.raise_first([flavors])
    found = Board(taken={flavor.name for flavor, _specs in flavors})
    for key, result in ((DESKTOPS, users), (PLACEMENT, lines), (NAMES, projects)):
        if isinstance(result, Exception):
            LOG.warning("Desktop profiles: %s unavailable: %s", key, result)
            found.missing.add(key)
    found.projects = projects if isinstance(projects, dict) else {}
    lines = None if isinstance(lines, Exception) else lines
    users = {} if isinstance(users, Exception) else users
    found.profiles = [_row(flavor, specs, lines, users) for flavor, specs in flavors
                      if profiles.is_profile(specs)]
    found.profiles.sort(key=lambda row: (row.retired, row.name))
    _access(ctx, found)
    found.offers = profile_specs.offers(lines or [], profile_specs.pci_aliases(
        specs for _flavor, specs in flavors))
    return found


def _access(ctx, found):
    private = [row for row in found.profiles if not row.is_public]
    results = parallel.call_all([(api.flavors_admin.flavor_access_list, ctx, row.id)
                            for row in private])
    for row, result in zip(private, results, strict=True):
        if isinstance(result, Exception):
            found.missing.add(ACCESS)
        else:
            row.projects = list(result)
            row.project_names = [found.projects.get(pid, pid) for pid in row.projects]


def choices(ctx):
    """What the profile form offers: a Board with ``offers`` (placement's GPUs and the
    PCI aliases in use), ``taken`` flavor names and ``projects``; no desktops, no
    access lists. The flavor list unreadable raises."""
    flavors, lines, projects = parallel.call_all([
        (api.nova_flavors.flavors_with_specs, ctx),
        (gpu_lines, ctx),
        (api.identity_names.project_names, ctx),
    ])
    parallel.raise_first([flavors])
    found = Board(taken={flavor.name for flavor, _specs in flavors})
    if isinstance(lines, Exception):
        found.missing.add(PLACEMENT)
    if isinstance(projects, Exception):
        found.missing.add(NAMES)
    found.projects = projects if isinstance(projects, dict) else {}
    found.offers = profile_specs.offers(
        [] if isinstance(lines, Exception) else lines,
        profile_specs.pci_aliases(specs for _flavor, specs in flavors))
    return found


def profile(ctx, flavor_id):
    """``(ProfileRow, ProfileSpec)`` of one profile for its edit and delete forms; the
    row lists the desktops that use it. NotFound when it is not a profile."""
    flavor, specs = api.flavors_admin.flavor_get(ctx, flavor_id)
    if not profiles.is_profile(specs):
        raise api.flavors_admin.NotFound(404, f"flavor {flavor_id} is not a profile")
    projects = [] if getattr(flavor, "is_public", True) else \
        api.flavors_admin.flavor_access_list(ctx, flavor_id)
    row = _row(flavor, specs, None, {})
    row.projects = projects
    row.desktops = desktops_using(ctx, flavor.name)
    spec = profile_specs.spec_from_flavor(flavor.name, row.vcpus, row.ram_mb, row.disk_gb,
                                          specs, row.is_public, projects) \
        if row.profile is not None else None
    return row, spec


def desktops_using(ctx, flavor_name):
    """The desktops of every project whose flavor is ``flavor_name``."""
    return _desktops_by_flavor(ctx).get(flavor_name, [])


# --- changes ------------------------------------------------------------------------

def _check(spec):
    if not profile_specs.NAME_RE.match(spec.name or ""):
        raise ProfileRefused("a profile name is 1-64 letters, digits, '.', '_' or '-'")
    if spec.gpu_kind not in profiles.GPU_KINDS:
        raise ProfileRefused(f"unknown GPU kind {spec.gpu_kind!r}")
    if spec.gpu_kind != profiles.GPU_NONE:
        try:
            kind, _value = profile_specs.parse_option(spec.gpu)
        except ValueError as exc:
            raise ProfileRefused(str(exc)) from exc
        if (kind == profile_specs.OPTION_VGPU) != (spec.gpu_kind == profiles.GPU_VGPU):
            raise ProfileRefused("the GPU does not match the GPU kind")
    if min(spec.vcpus, spec.ram_mb, spec.gpu_count) < 1 or spec.disk_gb < 0:
        raise ProfileRefused("vCPU, RAM and GPU count must be positive")


def _nova_refusal(exc):
    if isinstance(exc, api.flavors_admin.Conflict):
        return ProfileRefused(f"nova already has a flavor of that name or id: {exc}")
    return ProfileRefused(f"nova refused the profile: {getattr(exc, 'message', exc)}")


def create(ctx, spec):
    """Create a profile's flavor, its extra specs and its project access; returns the
    flavor. A failure after the flavor exists deletes it again. Raises ProfileRefused."""
    _check(spec)
    with audit.outcome(ctx, audit.PROFILE_CREATE, "", spec.name, refusals=(ProfileRefused,),
                       admin=True, public=spec.is_public, projects=list(spec.projects),
                       specs=spec.extra_specs()) as pending:
        try:
            flavor = api.flavors_admin.flavor_create(
                ctx, spec.name, spec.vcpus, spec.ram_mb, spec.disk_gb, spec.is_public,
                description=spec.description or None)
        except api.flavors_admin.REFUSALS as exc:
            raise _nova_refusal(exc) from exc
        pending.target_id = str(flavor.id)
        try:
            api.flavors_admin.flavor_set_specs(ctx, flavor.id, spec.extra_specs())
            if not spec.is_public:
                for project_id in spec.projects:
                    api.flavors_admin.flavor_access_add(ctx, flavor.id, project_id)
        except Exception as exc:
            _discard(ctx, flavor.id)
            if isinstance(exc, api.flavors_admin.REFUSALS):
                raise _nova_refusal(exc) from exc
            raise
    return flavor


def _discard(ctx, flavor_id):
    try:
        api.flavors_admin.flavor_delete(ctx, flavor_id)
    except Exception:
        LOG.exception("Unable to delete the half-made flavor %s", flavor_id)


def retire(ctx, flavor_id, flavor_name, successor="", reason=""):
    """Hide a profile from launch (``heps:retired``) and keep it for its desktops."""
    marks = {names.SPEC_RETIRED: desktops.format_expiry(desktops.utcnow())}
    if successor:
        marks[names.SPEC_REPLACED_BY] = successor
    with audit.outcome(ctx, audit.PROFILE_RETIRE, flavor_id, flavor_name, admin=True,
                       successor=successor or None, reason=reason or None):
        api.flavors_admin.flavor_set_specs(ctx, flavor_id, marks)


def edit(ctx, flavor_id, spec):
    """A new flavor made from ``spec``; the old one is retired (replaced by the new
    name). Returns the new flavor. Raises ProfileRefused (nothing changed)."""
    old, _specs = api.flavors_admin.flavor_get(ctx, flavor_id)
    if spec.name == old.name:
        raise ProfileRefused("nova flavors are immutable and their names unique: give the "
                             "changed profile a new name")
    flavor = create(ctx, spec)
    retire(ctx, flavor_id, old.name, successor=spec.name, reason="edited")
    return flavor


def delete(ctx, flavor_id):
    """Delete a profile, or retire it while desktops use it: ``(DELETED | RETIRED,
    desktops using it)``. The desktops are counted again here, not taken from a page."""
    flavor, specs = api.flavors_admin.flavor_get(ctx, flavor_id)
    if not profiles.is_profile(specs):
        raise ProfileRefused("this flavor is not a desktop profile")
    users = desktops_using(ctx, flavor.name)
    if users:
        retire(ctx, flavor_id, flavor.name, reason="deleted while in use")
        return RETIRED, users
    with audit.outcome(ctx, audit.PROFILE_DELETE, str(flavor.id), flavor.name, admin=True):
        api.flavors_admin.flavor_delete(ctx, flavor_id)
    return DELETED, []
