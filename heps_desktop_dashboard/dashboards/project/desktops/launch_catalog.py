"""What the Launch Desktop modal offers: golden images, profiles with free GPUs, and
the project's quota (instances, vCPUs, RAM, GPUs) with what each profile would add.

A render costs a constant number of API calls whatever the size of the cloud: glance
(golden images), nova (flavors, /limits), placement (the project's usages), keystone
(limits, plus registered limits only when a GPU class has no project limit), and, when
capacity is readable, one allocation-candidates call per distinct GPU request. The
independent ones run in parallel.
"""

import dataclasses
import logging

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from horizon import messages

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import images as golden
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import quota
from heps_desktop_dashboard.services import parallel

LOG = logging.getLogger(__name__)

# nova's /limits is the slowest read of the form (about a second with unified limits:
# nova asks keystone and counts placement). The form's POST uses what its GET read
# moments before, for LIMITS_TTL seconds, and a launch forgets it: the pre-check is a
# courtesy (every limit named at once); nova still checks the quota atomically, and its
# refusal becomes the same form error.
LIMITS_KEY = "heps-desktops:launch-nova-limits:%s"
LIMITS_TTL = 60

QUOTA_LABELS = {
    quota.INSTANCES: _("Instances"),
    quota.CORES: _("vCPUs"),
    quota.RAM: _("RAM (GB)"),
}


def _gb(megabytes):
    return f"{megabytes / 1024:g}"


def image_label(image):
    techniques = ", ".join(golden.techniques(image))
    return f"{image.name} ({techniques})" if techniques else image.name


def gpu_text(profile):
    if profile.gpu_kind == profiles.GPU_NONE:
        return _("CPU only")
    return profile.gpu_model or profile.gpu_kind


def profile_label(profile, free=None, over_quota=False):
    label = _("%(name)s — %(gpu)s, %(vcpus)s vCPU, %(ram)s GB RAM") % {
        "name": profile.name, "gpu": gpu_text(profile), "vcpus": profile.vcpus,
        "ram": _gb(profile.ram_mb)}
    if free is not None:
        # ngettext: the launch template uses the same msgid with a plural.
        label += " · " + (ngettext("%(free)s free now", "%(free)s free now", free)
                          % {"free": free} if free else str(_("none free now")))
    if over_quota:
        label += " · " + str(_("over your quota"))
    return label


@dataclasses.dataclass
class _Call:
    """The outcome of one API call made while building the form."""

    value: object = None
    error: Exception | None = None

    @property
    def ok(self):
        return self.error is None


def _outcomes(*calls):
    """``(function, *args)`` calls at once (services/parallel.py); each one's _Call."""
    return [_Call(error=found) if isinstance(found, Exception) else _Call(found)
            for found in parallel.call_all(list(calls))]




def nova_limits(ctx, reuse=False):
    """nova's absolute limits of the project (the form's GET read them; a POST may reuse
    them)."""
    key = LIMITS_KEY % ctx.project_id
    found = cache.get(key) if reuse else None
    if found is None:
        found = api.nova_flavors.absolute_limits(ctx)
        cache.set(key, found, LIMITS_TTL)
    return found


def forget_nova_limits(ctx):
    """After a launch: the project's usage has changed."""
    cache.delete(LIMITS_KEY % ctx.project_id)


class LaunchCatalog:
    """Everything the form offers, read once per form."""

    def __init__(self, request):
        self.request = request
        self.notes = []
        self._load()

    def _load(self):
        request = self.request
        ctx = api.context.for_request(request)
        images, catalog, limits, usages = _outcomes(
            (api.glance.golden_image_list, ctx),
            (api.nova_flavors.profile_list_with_specs, ctx),
            (nova_limits, ctx, request.method == "POST"),
            (api.placement.project_usages, ctx),
        )
        self.images = self._value(images, _("Unable to retrieve golden images."), [])
        catalog = self._value(catalog, _("Unable to retrieve desktop profiles."), [])
        self.profiles = [profile for profile, _specs in catalog]
        self._gpu_requests = {profile.id: quota.gpu_requests(specs)
                              for profile, specs in catalog}
        gpu_classes = list(dict.fromkeys(
            rc for profile in self.profiles for rc in quota.placement_classes(profile)))

        stage = []
        if gpu_classes:
            stage.append((api.keystone.compute_limits, ctx,
                                  [quota.gpu_resource_name(rc) for rc in gpu_classes]))
        wanted = [req for reqs in self._gpu_requests.values() for req in reqs]
        if wanted:
            stage.append((api.placement.gpu_free, ctx, wanted))
        if gpu_classes and not usages.ok:
            LOG.info("Placement usages unreadable (%s); counting GPUs from servers",
                     usages.error)
            stage.append((api.nova_flavors.gpu_usage_from_servers, ctx))
        results = _outcomes(*stage)
        gpu_limits = results.pop(0) if gpu_classes else _Call({})
        free = results.pop(0) if wanted else _Call(None)
        if gpu_classes and not usages.ok:
            usages = results.pop(0)

        if not limits.ok:
            LOG.warning("Unable to read nova limits: %s", limits.error)
        if not gpu_limits.ok:
            LOG.warning("Unable to read keystone limits: %s", gpu_limits.error)
        if not usages.ok:
            LOG.warning("Unable to read the project's GPU usage: %s", usages.error)
        if not (limits.ok and gpu_limits.ok and usages.ok):
            self.notes.append(_("Part of the quota could not be read; the compute service "
                                "still checks it when the desktop is launched."))
        if not free.ok:
            LOG.info("GPU capacity unreadable: %s", free.error)
        self._free = free.value if free.ok else None

        self.quota_lines = quota.nova_lines(limits.value if limits.ok else None)
        self.quota_lines.update(quota.gpu_lines(
            gpu_classes, gpu_limits.value if gpu_limits.ok else None,
            usages.value if usages.ok else None))
        self._gpu_labels = {}
        for profile in self.profiles:
            for rclass in quota.placement_classes(profile):
                models = self._gpu_labels.setdefault(quota.gpu_resource_name(rclass), [])
                text = str(gpu_text(profile))
                if text not in models:
                    models.append(text)

    def _value(self, call, message, default):
        if call.ok:
            return call.value
        LOG.warning("%s %s", message, call.error)
        messages.error(self.request, message)
        return default


    def free_gpus(self, profile):
        """Free GPUs for this profile now (the scarcest of its GPU requests), or None."""
        requests = self._gpu_requests.get(profile.id) or ()
        if self._free is None or not requests:
            return None
        counts = [self._free.get(req) for req in requests]
        if any(count is None for count in counts):
            return None
        return min(counts)

    def over_quota(self, profile):
        return quota.exceeded(self.quota_lines, quota.launch_needs(profile))


    def quota_label(self, resource):
        if resource in QUOTA_LABELS:
            return QUOTA_LABELS[resource]
        models = self._gpu_labels.get(resource) or [resource.removeprefix(quota.CLASS_PREFIX)]
        return _("GPU: %(model)s") % {"model": " / ".join(models)}

    def shown(self, resource, value):
        if value is None:
            return _("unlimited")
        return _gb(value) if resource == quota.RAM else value

    def quota_rows(self):
        rows = []
        for resource, line in self.quota_lines.items():
            adds = []
            for profile in self.profiles:
                amount = quota.launch_needs(profile).get(resource, 0)
                adds.append({
                    "profile": profile.id,
                    "amount": self.shown(resource, amount) if amount else "",
                    "over": not line.fits(amount),
                })
            rows.append({
                "label": self.quota_label(resource),
                "known": line.known,
                "used": self.shown(resource, line.used or 0),
                "limit": self.shown(resource, line.limit),
                "adds": adds,
            })
        return rows

    def image_details(self):
        return [{"name": image.name, "techniques": ", ".join(golden.techniques(image)),
                 "description": golden.description(image)} for image in self.images]

    def profile_details(self):
        return [{"name": p.name, "gpu": gpu_text(p), "vcpus": p.vcpus, "ram": _gb(p.ram_mb),
                 "description": p.description, "free": self.free_gpus(p)}
                for p in self.profiles]

    # --- validation ---------------------------------------------------------------

