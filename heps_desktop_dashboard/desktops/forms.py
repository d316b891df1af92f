"""The Launch Desktop modal.

One form, every field with a valid default: golden image (with its techniques and
description), desktop profile (GPU kind/model, vCPU, RAM and, where placement can be
read, how many of its GPUs are free now), experiment, name, lifetime. The project's
quota (instances, vCPUs, RAM, GPUs) is shown with what the selected profile would add,
and checked before nova is asked.

A render costs a constant number of API calls, whatever the size of the cloud or of
the project: glance (golden images), nova (flavors, /limits), placement (the project's
usages), keystone (limits, plus registered limits only when a GPU class has no project
limit), and, when capacity is readable, one placement allocation-candidates call per
distinct GPU request of the profiles. The independent ones run in parallel.
"""

import concurrent.futures
import dataclasses
import logging
import unicodedata
import uuid

from django.core import validators
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages
from keystoneauth1 import exceptions as ks_exceptions
from novaclient import exceptions as nova_exceptions

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import images as golden
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import quota
from heps_desktop_dashboard.desktops import experiments

LOG = logging.getLogger(__name__)

# A second launch of the same name, image and profile within this many seconds is taken
# for a double submit.
DOUBLE_SUBMIT_SECONDS = 60
# The session remembers the one-time tokens of the last launch forms it submitted.
USED_TOKENS_KEY = "heps_desktops_launch_tokens"
USED_TOKENS_KEPT = 20
TOKEN_MAX = 64

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
        label += " · " + (_("%(free)s free now") % {"free": free} if free
                          else str(_("none free now")))
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


def _attempt(func, *args):
    def run():
        try:
            return _Call(func(*args))
        except Exception as exc:
            return _Call(error=exc)
    return run


def _parallel(*calls):
    """Run the calls in threads; results in order.

    Not Horizon's futurist_utils.call_functions_parallel: futurist's executor joins
    workers that poll their queue once a second, which adds ~1 s to every use.
    """
    if len(calls) == 1:
        return (calls[0](),)
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
    return tuple(future.result() for future in futures)


def _nova_message(exc):
    return str(getattr(exc, "message", None) or exc)


def _status(exc):
    return getattr(exc, "code", None) or getattr(exc, "http_status", None)


class LaunchForm(forms.SelfHandlingForm):
    image = forms.ThemableChoiceField(
        label=_("Golden image"),
        error_messages={"invalid_choice": _(
            "That image is not in the golden image catalog (it may just have been "
            "deleted). Choose one from the list.")},
    )
    profile = forms.ThemableChoiceField(
        label=_("Desktop profile"),
        error_messages={"invalid_choice": _(
            "That is not a desktop profile (it may just have been deleted). Choose one "
            "from the list.")},
    )
    # The project's experiments (Manila shares, desktops/experiments.py) or "None".
    experiment = forms.ThemableChoiceField(
        label=_("Experiment"), required=False,
        help_text=_("Its raw data is mounted read-only at /data/raw and its results "
                    "read-write at /data/results."),
        error_messages={"invalid_choice": _(
            "That is not one of this project's experiments. Choose one from the list.")},
    )
    name = forms.CharField(
        label=_("Desktop name"), max_length=desktops.NAME_MAX, required=False,
        error_messages={"max_length": _(
            "A desktop name is at most %(limit_value)d characters (this one has "
            "%(show_value)d).")},
    )
    lifetime_hours = forms.IntegerField(label=_("Lifetime (hours)"), min_value=1)
    launch_token = forms.CharField(widget=forms.HiddenInput(), required=False)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self._setup_lifetime()
        username = request.user.username
        self.fields["name"].initial = desktops.default_name(username)
        self.fields["name"].help_text = _(
            "Defaults to <user>-<experiment>-desktop.")
        self.fields["name"].widget.attrs["data-heps-user"] = username
        if not self.is_bound:
            self.fields["launch_token"].initial = uuid.uuid4().hex
        self.notes = []
        self._load()
        self._setup_choices()
        self.fields["experiment"].choices = experiments.experiment_choices(request)

    # --- building the form --------------------------------------------------------

    def _setup_lifetime(self):
        max_hours = conf.get("max_lifetime_hours")
        field = self.fields["lifetime_hours"]
        field.max_value = max_hours
        field.widget.attrs["max"] = max_hours
        field.validators.append(validators.MaxValueValidator(max_hours))
        field.initial = min(conf.get("default_lifetime_hours"), max_hours)
        field.help_text = _("At most %(max)s hours; it can be extended later.") % {
            "max": max_hours}

    def _load(self):
        request = self.request
        images, catalog, limits, usages = _parallel(
            _attempt(api.glance.golden_image_list, request),
            _attempt(api.nova.profile_list_with_specs, request),
            _attempt(api.nova.absolute_limits, request),
            _attempt(api.placement.project_usages, request),
        )
        self._images = self._value(images, _("Unable to retrieve golden images."), [])
        catalog = self._value(catalog, _("Unable to retrieve desktop profiles."), [])
        self._profiles = [profile for profile, _specs in catalog]
        self._gpu_requests = {profile.id: quota.gpu_requests(specs)
                              for profile, specs in catalog}
        gpu_classes = list(dict.fromkeys(
            rc for profile in self._profiles for rc in quota.placement_classes(profile)))

        stage = []
        if gpu_classes:
            stage.append(_attempt(api.keystone.compute_limits, request,
                                  [quota.gpu_resource_name(rc) for rc in gpu_classes]))
        wanted = [req for reqs in self._gpu_requests.values() for req in reqs]
        if wanted:
            stage.append(_attempt(api.placement.gpu_free, request, wanted))
        if gpu_classes and not usages.ok:
            LOG.info("Placement usages unreadable (%s); counting GPUs from servers",
                     usages.error)
            stage.append(_attempt(api.nova.gpu_usage_from_servers, request))
        results = list(_parallel(*stage)) if stage else []
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
        for profile in self._profiles:
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

    def _setup_choices(self):
        self.fields["image"].choices = [(i.id, image_label(i)) for i in self._images] or [
            ("", _("No golden image available"))]
        choices = []
        usable = []
        for profile in self._profiles:
            free = self.free_gpus(profile)
            over = bool(self.over_quota(profile))
            choices.append((profile.id, profile_label(profile, free, over)))
            if not over and free != 0:
                usable.append(profile.id)
        self.fields["profile"].choices = choices or [
            ("", _("No desktop profile available"))]
        # Every field has a valid default: the first profile that fits the quota and
        # has a free GPU (when that can be known).
        if usable:
            self.fields["profile"].initial = usable[0]
        elif self._profiles:
            self.fields["profile"].initial = self._profiles[0].id
        if self._images:
            self.fields["image"].initial = self._images[0].id

    # --- what the template shows --------------------------------------------------

    @property
    def selected_profile(self):
        if self.is_bound:
            return self.data.get("profile") or ""
        return self.fields["profile"].initial or ""

    def quota_label(self, resource):
        if resource in QUOTA_LABELS:
            return QUOTA_LABELS[resource]
        models = self._gpu_labels.get(resource) or [resource.removeprefix(quota.CLASS_PREFIX)]
        return _("GPU: %(model)s") % {"model": " / ".join(models)}

    def _shown(self, resource, value):
        if value is None:
            return _("unlimited")
        return _gb(value) if resource == quota.RAM else value

    def quota_rows(self):
        rows = []
        for resource, line in self.quota_lines.items():
            adds = []
            for profile in self._profiles:
                amount = quota.launch_needs(profile).get(resource, 0)
                adds.append({
                    "profile": profile.id,
                    "amount": self._shown(resource, amount) if amount else "",
                    "over": not line.fits(amount),
                })
            rows.append({
                "label": self.quota_label(resource),
                "known": line.known,
                "used": self._shown(resource, line.used or 0),
                "limit": self._shown(resource, line.limit),
                "adds": adds,
            })
        return rows

    def image_details(self):
        return [{"name": image.name, "techniques": ", ".join(golden.techniques(image)),
                 "description": golden.description(image)} for image in self._images]

    def profile_details(self):
        return [{"name": p.name, "gpu": gpu_text(p), "vcpus": p.vcpus, "ram": _gb(p.ram_mb),
                 "description": p.description, "free": self.free_gpus(p)}
                for p in self._profiles]

    # --- validation ---------------------------------------------------------------

    def clean_experiment(self):
        try:
            return desktops.validate_experiment(self.cleaned_data.get("experiment", "").strip())
        except desktops.InvalidDesktopMetadata as exc:
            raise forms.ValidationError(
                _("Use letters, digits, '.', '_', ':' or '-' (at most 64).")) from exc

    def clean_name(self):
        username = self.request.user.username
        name = (self.cleaned_data.get("name") or "").strip()
        experiment = self.cleaned_data.get("experiment") or ""
        # An untouched default follows the experiment (without JavaScript too).
        if not name or (experiment and name == desktops.default_name(username)):
            name = desktops.default_name(username, experiment)
        # nova's rule for server names: printable characters of the Basic Multilingual
        # Plane (no Unicode category C*, Zl or Zp), checked here to say so clearly.
        if any(unicodedata.category(ch).startswith("C") for ch in name):
            raise forms.ValidationError(_("A desktop name cannot contain control characters."))
        if any(ord(ch) > 0xFFFF or unicodedata.category(ch) in ("Zl", "Zp") for ch in name):
            raise forms.ValidationError(
                _("A desktop name cannot contain emoji, line breaks or other characters "
                  "the compute service does not accept in names."))
        if len(name) > desktops.NAME_MAX:
            raise forms.ValidationError(
                _("A desktop name is at most %(max)s characters.") % {"max": desktops.NAME_MAX})
        try:
            return desktops.clean_name(name)
        except ValueError as exc:
            raise forms.ValidationError(_("That name cannot be used: %s") % exc) from exc

    def clean_launch_token(self):
        token = (self.cleaned_data.get("launch_token") or "").strip()
        if len(token) > TOKEN_MAX or not token.isalnum():
            return ""
        return token

    def clean(self):
        data = super().clean()
        # Only ids offered by the catalog are accepted, whatever a hand-made POST says.
        data["image_obj"] = next((i for i in self._images if i.id == data.get("image")), None)
        data["profile_obj"] = next((p for p in self._profiles if p.id == data.get("profile")),
                                   None)
        if data.get("image") and data["image_obj"] is None:
            self.add_error("image", _("Choose a golden image from the catalog."))
        if data.get("profile") and data["profile_obj"] is None:
            self.add_error("profile", _("Choose a desktop profile."))
        if not self._images and "image" not in self.errors:
            self.add_error("image", _("No golden image is available to launch from."))
        if not self._profiles and "profile" not in self.errors:
            self.add_error("profile", _("No desktop profile is available."))
        token = data.get("launch_token")
        if token and token in self.request.session.get(USED_TOKENS_KEY, []):
            self.add_error(None, _("This launch form was already submitted; the desktop is "
                                   "in the list. Open Launch Desktop again for another one."))
        data["plan"] = None
        if data.get("experiment"):
            # Every share checked (project, state, protocol) before anything is created.
            try:
                data["plan"] = experiments.plan_for(self.request, data["experiment"])
            except experiments.MountRefused as exc:
                self.add_error("experiment", experiments.refusal_message(exc))
            except experiments.ShareServiceUnavailable:
                self.add_error("experiment", experiments.MANILA_DOWN)
        profile = data["profile_obj"]
        if profile is not None:
            self._check_quota(profile)
            free = self.free_gpus(profile)
            if free == 0:
                self.add_error("profile", _(
                    "No %(gpu)s is free right now. Choose another profile or try again "
                    "later.") % {"gpu": gpu_text(profile)})
        return data

    def _check_quota(self, profile):
        needs = quota.launch_needs(profile)
        for line in self.over_quota(profile):
            self.add_error(None, _(
                "Quota exceeded for %(resource)s: the project uses %(used)s of %(limit)s "
                "and this desktop needs %(needs)s more.") % {
                    "resource": self.quota_label(line.resource),
                    "used": self._shown(line.resource, line.used or 0),
                    "limit": self._shown(line.resource, line.limit),
                    "needs": self._shown(line.resource, needs[line.resource])})

    # --- launching ----------------------------------------------------------------

    def handle(self, request, data):
        image, profile, name = data["image_obj"], data["profile_obj"], data["name"]
        twin = self._recent_twin(name, image, profile)
        if twin is not None:
            self.api_error(_(
                'A desktop "%(name)s" with the same image and profile was launched less '
                "than %(seconds)s seconds ago; it is in the list. To launch another one, "
                "give it a different name.") % {"name": name,
                                                "seconds": DOUBLE_SUBMIT_SECONDS})
            return False
        try:
            expires = desktops.expiry_after(data["lifetime_hours"],
                                            conf.get("max_lifetime_hours"))
            metadata = desktops.build_metadata(
                owner=request.user.username, profile=profile.name, expires_at=expires,
                experiment=data["experiment"])
            plan = data.get("plan")
            if plan is not None:
                metadata.update(experiments.launch_metadata(request, plan.experiment_id,
                                                            plan=plan))
            user_data = experiments.user_data_for(request, data["experiment"], plan=plan)
        except ValueError as exc:
            self.api_error(_("The desktop's settings are invalid: %s") % exc)
            return False
        try:
            network = api.neutron.desktop_network(request, conf.get("network"))
        except api.neutron.NoDesktopNetwork:
            self.api_error(_("No network is configured for desktops; ask the facility's "
                             "cloud team."))
            return False
        except Exception as exc:
            LOG.warning("Unable to find the desktop network: %s", exc)
            self.api_error(_("Unable to find the network for desktops; try again later."))
            return False
        security_group = conf.get("security_group")
        try:
            server = api.nova.desktop_create(
                request, name=name, image_id=image.id, flavor_id=profile.id,
                metadata=metadata, network_id=network.id,
                security_groups=[security_group] if security_group else None,
                user_data=user_data)
        except Exception as exc:
            self._launch_failed(exc, name)
            return False
        try:
            self._check_created(server)
        except Exception as exc:
            LOG.warning("Desktop %s failed after creation (%s); deleting it", server.id, exc)
            self._discard(server)
            self._launch_failed(exc, name, created=True)
            return False
        self._remember_token(data.get("launch_token"))
        if plan is not None:
            self._attach_experiment(server, plan)
        messages.success(request, _('Launching desktop "%s".') % name)
        return server

    def _attach_experiment(self, server, plan):
        """First step of attaching the experiment; the Desktops table's row updates take
        the rest ("Attaching experiment data"), so the request does not wait for nova."""
        try:
            experiments.apply_on_launch(self.request, server, plan.experiment_id, plan=plan)
        except Exception as exc:
            LOG.warning("Desktop %s: first experiment-data step deferred: %s", server.id, exc)
        messages.info(self.request, _(
            "Experiment %s is attached once the desktop is running; the list shows "
            "\"Attaching experiment data\" meanwhile.") % plan.experiment_id)

    def _recent_twin(self, name, image, profile):
        """A desktop of the same name, image and profile launched seconds ago, if any."""
        try:
            recent = api.nova.recent_desktops(self.request, DOUBLE_SUBMIT_SECONDS)
        except Exception as exc:  # the check is a convenience; nova still launches
            LOG.info("Double-submit check skipped: %s", exc)
            return None
        for server in recent:
            server_image = getattr(server, "image", None) or {}
            flavor = getattr(server, "flavor", None) or {}
            image_id = server_image.get("id") if isinstance(server_image, dict) else None
            flavor_name = flavor.get("original_name") if isinstance(flavor, dict) else None
            if server.name == name and image_id == image.id and flavor_name == profile.name:
                return server
        return None

    def _check_created(self, server):
        """The new server must be a desktop the panel can see (tagged) and not failed."""
        created = api.nova.desktop_get(self.request, server.id)
        if str(getattr(created, "status", "")).upper() == "ERROR":
            fault = (getattr(created, "fault", None) or {}).get("message", "")
            raise nova_exceptions.ClientException(500, fault or "server went to ERROR")

    def _discard(self, server):
        try:
            api.nova.desktop_discard(self.request, server.id)
        except Exception as exc:
            LOG.error("Could not delete half-launched desktop %s: %s", server.id, exc)
            self.api_error(_("The half-launched server %s could not be deleted; delete it "
                             "from the list.") % server.id)

    def _remember_token(self, token):
        if not token:
            return
        used = [t for t in self.request.session.get(USED_TOKENS_KEY, []) if t != token]
        self.request.session[USED_TOKENS_KEY] = (used + [token])[-USED_TOKENS_KEPT:]

    def _launch_failed(self, exc, name, created=False):
        """Turn a failed launch into a form error (never a 500)."""
        if isinstance(exc, nova_exceptions.Unauthorized | ks_exceptions.Unauthorized):
            exceptions.handle(self.request)  # session expired: Horizon logs the user out
        message = _nova_message(exc)
        LOG.info('Launch of desktop "%s" failed: %s %s', name, _status(exc), message)
        try:
            self.api_error(self._failure_text(exc, message, name, created))
        except Exception:  # a message must never turn into a 500
            LOG.exception("Could not describe a launch failure")
            self.api_error(_('Unable to launch desktop "%s".') % name)

    def _failure_text(self, exc, message, name, created):
        if isinstance(exc, nova_exceptions.Forbidden | nova_exceptions.OverLimit) \
                and quota.is_quota_error(message):
            resources = ", ".join(str(self.quota_label(r))
                                  for r in quota.quota_error_resources(message))
            return _("Quota exceeded for %(resources)s: the compute service refused the "
                     "launch (%(detail)s).") % {"resources": resources or _("the project"),
                                                 "detail": message}
        if isinstance(exc, nova_exceptions.BadRequest | nova_exceptions.NotFound) \
                and not created:
            lowered = message.lower()
            if "image" in lowered:
                return _("The golden image is no longer available (it may have been "
                         "deleted). Choose another one. (%s)") % message
            if "flavor" in lowered:
                return _("The desktop profile is no longer available (it may have been "
                         "deleted). Choose another one. (%s)") % message
            return _("The compute service rejected the launch: %s") % message
        if isinstance(exc, nova_exceptions.Forbidden):
            return _("You are not allowed to launch desktops in this project: %s") % message
        if isinstance(exc, nova_exceptions.Conflict):
            return _("The compute service cannot launch the desktop right now: %s") % message
        if isinstance(exc, api.nova.FeatureNotAvailable):
            return _("This cloud's compute service is too old for desktops (it cannot tag "
                     "servers).")
        if isinstance(exc, ks_exceptions.ConnectFailure | ks_exceptions.ConnectTimeout):
            return _("The compute service cannot be reached; try again later.")
        if created:
            return _('Desktop "%(name)s" failed right after it was created and was '
                     "deleted: %(detail)s") % {"name": name, "detail": message}
        return _('Unable to launch desktop "%(name)s": the compute service failed '
                 "(%(detail)s). Try again later.") % {"name": name, "detail": message}

    def get_success_url(self):
        return reverse("horizon:project:desktops:index")
