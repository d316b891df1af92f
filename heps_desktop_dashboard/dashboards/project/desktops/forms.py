"""The Launch Desktop modal: validate, then call services.launch.launch().

Every field has a valid default (launch_catalog.py reads what is offered); the quota is
checked before nova is asked; a failure becomes a form error, never a 500.
"""

import logging
import uuid

from django.core import validators
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages
from novaclient import exceptions as nova_exceptions

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.api import unavailable
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.core import quota
from heps_desktop_dashboard.dashboards.project.desktops import console
from heps_desktop_dashboard.dashboards.project.desktops import launch_catalog
from heps_desktop_dashboard.dashboards.project.desktops import launch_failures
from heps_desktop_dashboard.dashboards.project.desktops import launch_storage
from heps_desktop_dashboard.dashboards.project.desktops import texts as desktop_texts
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import launch
from heps_desktop_dashboard.services import network_policy
from heps_desktop_dashboard.services import parallel
from heps_desktop_dashboard.services import persistent

LOG = logging.getLogger(__name__)

# The session remembers the one-time tokens of the last launch forms it submitted.
USED_TOKENS_KEY = "heps_desktops_launch_tokens"
USED_TOKENS_KEPT = 20
TOKEN_MAX = 64
# Never offered by the form: a hand-made POST naming a network or a port is refused
# (desktops get a new port on the desktop network).
NETWORK_KEYS = ("network", "network_id", "networks", "net-id")
PORT_KEYS = ("port", "port_id", "ports", "port-id")


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
    # Shown only for profiles with heps:public_ip=allowed (the template's script).
    public_ip = forms.BooleanField(
        label=_("Public address"), required=False, initial=False,
        help_text=_("A floating IP reachable from outside the facility, within the "
                    "desktop's security group. Only some profiles allow it."))
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
        # What the form offers comes from glance, nova, placement, keystone, Cinder and
        # Manila: read at once (the POST reads it too, on the way to the console).
        catalog, storage, experiment_choices = parallel.raise_first(parallel.call_all([
            (launch_catalog.LaunchCatalog, request),
            (persistent.block_storage, api.context.for_request(request)),
            (texts.experiment_choices, request)]))
        self.catalog = catalog
        self.notes = self.catalog.notes
        self._setup_choices()
        self._setup_public_ip()
        launch_storage.add_fields(self, storage)  # Disk (persistent), restore of an archive
        self.fields["experiment"].choices = experiment_choices

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

    def _setup_choices(self):
        catalog = self.catalog
        self.fields["image"].choices = [
            (i.id, launch_catalog.image_label(i)) for i in catalog.images] or [
            ("", _("No golden image available"))]
        choices = []
        usable = []
        for profile in catalog.profiles:
            free = catalog.free_gpus(profile)
            over = bool(catalog.over_quota(profile))
            choices.append((profile.id, launch_catalog.profile_label(profile, free, over)))
            if not over and free != 0:
                usable.append(profile.id)
        self.fields["profile"].choices = choices or [
            ("", _("No desktop profile available"))]
        # Every field has a valid default: the first profile that fits the quota and
        # has a free GPU (when that can be known).
        if usable:
            self.fields["profile"].initial = usable[0]
        elif catalog.profiles:
            self.fields["profile"].initial = catalog.profiles[0].id
        if catalog.images:
            self.fields["image"].initial = catalog.images[0].id

    def _setup_public_ip(self):
        allowed = [p.id for p in self.catalog.profiles if p.public_ip]
        field = self.fields["public_ip"]
        if not allowed:
            field.widget = forms.HiddenInput()
        field.widget.attrs["data-heps-profiles"] = " ".join(allowed)

    # --- what the template shows --------------------------------------------------

    @property
    def selected_profile(self):
        if self.is_bound:
            return self.data.get("profile") or ""
        return self.fields["profile"].initial or ""

    def quota_rows(self):
        return self.catalog.quota_rows()

    def image_details(self):
        return self.catalog.image_details()

    def profile_details(self):
        return self.catalog.profile_details()

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
        try:  # nova's rule for server names (core.desktops.clean_name), said clearly
            return desktops.clean_name(name)
        except ValueError as exc:
            raise forms.ValidationError(desktop_texts.rule_error(exc)) from exc

    def clean_launch_token(self):
        token = (self.cleaned_data.get("launch_token") or "").strip()
        if len(token) > TOKEN_MAX or not token.isalnum():
            return ""
        return token

    def clean(self):
        data = super().clean()
        catalog = self.catalog
        # Only ids offered by the catalog are accepted, whatever a hand-made POST says.
        data["image_obj"] = next((i for i in catalog.images if i.id == data.get("image")),
                                 None)
        data["profile_obj"] = next(
            (p for p in catalog.profiles if p.id == data.get("profile")), None)
        if data.get("image") and data["image_obj"] is None:
            self.add_error("image", _("Choose a golden image from the catalog."))
        if data.get("profile") and data["profile_obj"] is None:
            self.add_error("profile", _("Choose a desktop profile."))
        if not catalog.images and "image" not in self.errors:
            self.add_error("image", _("No golden image is available to launch from."))
        if not catalog.profiles and "profile" not in self.errors:
            self.add_error("profile", _("No desktop profile is available."))
        token = data.get("launch_token")
        if token and token in self.request.session.get(USED_TOKENS_KEY, []):
            self.add_error(None, _("This launch form was already submitted; the desktop is "
                                   "in the list. Open Launch Desktop again for another one."))
        data["plan"] = self._plan(data.get("experiment"))
        profile = data["profile_obj"]
        if data.get("public_ip") and profile is not None and not profile.public_ip:
            self.add_error("public_ip", network_policy.PUBLIC_IP_NOT_ALLOWED)
        self._check_network(data)
        if profile is not None:
            self._check_quota(profile)
            if catalog.free_gpus(profile) == 0:
                self.add_error("profile", _(
                    "No %(gpu)s is free right now. Choose another profile or try again "
                    "later.") % {"gpu": launch_catalog.gpu_text(profile)})
        launch_storage.clean(self, data)
        return data

    def _plan(self, experiment_id):
        """The experiment's mount plan, every share checked (project, state, protocol)
        before anything is created."""
        if not experiment_id:
            return None
        try:
            return experiments.plan_for(api.context.for_request(self.request), experiment_id)
        except mounts.MountRefused as exc:
            self.add_error("experiment", texts.refusal_message(exc))
        except experiments.ShareServiceUnavailable:
            self.add_error("experiment", texts.MANILA_DOWN)
        return None

    def _check_network(self, data):
        """A hand-made POST naming a network or port: refused with a message."""
        def posted(keys):
            getlist = getattr(self.data, "getlist", lambda key: [self.data.get(key)])
            return tuple(str(v) for key in keys for v in getlist(key) or ()
                         if v and str(v).strip())

        data["networks"], data["ports"] = posted(NETWORK_KEYS), posted(PORT_KEYS)
        if not data["networks"] and not data["ports"]:
            return
        try:
            network_policy.check_request(api.context.for_request(self.request),
                                         data["networks"], data["ports"])
        except network_policy.NetworkRefused as exc:
            self.add_error(None, exc.message)
        except Exception:
            LOG.warning("network check failed", exc_info=True)
            self.add_error(None, _("The network service did not answer; try again later."))

    def _check_quota(self, profile):
        catalog = self.catalog
        needs = quota.launch_needs(profile)
        for line in catalog.over_quota(profile):
            self.add_error(None, _(
                "Quota exceeded for %(resource)s: the project uses %(used)s of %(limit)s "
                "and this desktop needs %(needs)s more.") % {
                    "resource": catalog.quota_label(line.resource),
                    "used": catalog.shown(line.resource, line.used or 0),
                    "limit": catalog.shown(line.resource, line.limit),
                    "needs": catalog.shown(line.resource, needs[line.resource])})

    # --- launching ----------------------------------------------------------------

    def handle(self, request, data):
        name = data["name"]
        # whatever happens now, the usage the form read may change
        launch_catalog.forget_nova_limits(api.context.for_request(request))
        launch_request = launch.LaunchRequest(
            name=name, image_id=data["image_obj"].id, profile=data["profile_obj"],
            lifetime_hours=data["lifetime_hours"], plan=data.get("plan"),
            public_ip=bool(data.get("public_ip")), networks=data.get("networks", ()),
            ports=data.get("ports", ()), **launch_storage.request_fields(self, data))
        try:
            server = launch.launch(api.context.for_request(request), launch_request)
        except launch_storage.REFUSALS as exc:
            self.api_error(launch_storage.refusal_text(exc))
            return False
        except launch.DoubleSubmit:
            self.api_error(_(
                'A desktop "%(name)s" with the same image and profile was launched less '
                "than %(seconds)s seconds ago; it is in the list. To launch another one, "
                "give it a different name.") % {"name": name,
                                                "seconds": launch.DOUBLE_SUBMIT_SECONDS})
            return False
        except network_policy.NetworkRefused as exc:
            self.api_error(exc.message)
            return False
        except ValueError as exc:
            self.api_error(_("The desktop's settings are invalid: %s") % exc)
            return False
        except api.neutron.NoDesktopNetwork:
            self.api_error(_("No network is configured for desktops; ask the facility's "
                             "cloud team."))
            return False
        except launch.LaunchFailed as exc:
            self._launch_failed(exc.cause, name, exc.created, exc.left_over)
            return False
        except Exception as exc:
            LOG.warning("Unable to launch desktop %s: %s", name, type(exc).__name__)
            self.api_error(_("Unable to launch desktop \"%s\": a service did not answer; "
                             "try again later.") % name)
            return False
        self._remember_token(data.get("launch_token"))
        messages.success(request, _('Launching desktop "%s".') % name)
        if data.get("plan") is not None:
            messages.info(request, _(
                "Experiment %s is attached once the desktop is running; the list shows "
                "\"Attaching experiment data\" meanwhile.") % data["plan"].experiment_id)
        return server

    def _remember_token(self, token):
        if not token:
            return
        used = [t for t in self.request.session.get(USED_TOKENS_KEY, []) if t != token]
        self.request.session[USED_TOKENS_KEY] = (used + [token])[-USED_TOKENS_KEPT:]

    def _launch_failed(self, exc, name, created=False, left_over=None):
        """Turn a failed launch into a form error (never a 500)."""
        if isinstance(exc, (nova_exceptions.Unauthorized, unavailable.SESSION_UNAUTHORIZED)):
            exceptions.handle(self.request)  # session expired: Horizon logs the user out
        message = launch_failures.nova_message(exc)
        LOG.info('Launch of desktop "%s" failed: %s %s', name, launch_failures.status(exc), message)
        try:
            self.api_error(launch_failures.failure_text(
                exc, message, name, created, left_over, self.catalog.quota_label))
        except Exception:  # a message must never turn into a 500
            LOG.exception("Could not describe a launch failure")
            self.api_error(_('Unable to launch desktop "%s".') % name)

    def get_success_url(self):
        return reverse("horizon:project:desktops:index")


def success_url(server):
    """Where a launch leads: the new desktop's Console tab, which shows the boot
    progress and connects by itself (launch_status.py); the list without an id."""
    server_id = getattr(server, "id", None)
    if not server_id:
        return reverse("horizon:project:desktops:index")
    detail = reverse("horizon:project:desktops:detail", args=[server_id])
    return f"{detail}?tab={console.TAB_PARAM}"

