import logging

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import images as golden
from heps_desktop_dashboard.core import profiles

LOG = logging.getLogger(__name__)


def image_label(image):
    techniques = ", ".join(golden.techniques(image))
    return f"{image.name} ({techniques})" if techniques else image.name


def profile_label(profile):
    ram_gb = profile.ram_mb / 1024
    if profile.gpu_kind == profiles.GPU_NONE:
        gpu = _("CPU only")
    else:
        gpu = profile.gpu_model or profile.gpu_kind
    return f"{profile.name} — {gpu}, {profile.vcpus} vCPU, {ram_gb:g} GB RAM"


class LaunchForm(forms.SelfHandlingForm):
    image = forms.ThemableChoiceField(label=_("Golden image"))
    profile = forms.ThemableChoiceField(label=_("Desktop profile"))
    experiment = forms.CharField(
        label=_("Experiment"), required=False, max_length=64,
        help_text=_("Proposal number of the experiment, e.g. 2026-0142 (optional)."),
    )
    name = forms.CharField(label=_("Desktop name"), max_length=desktops.NAME_MAX, required=False)
    lifetime_hours = forms.IntegerField(label=_("Lifetime (hours)"), min_value=1)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        max_hours = conf.get("max_lifetime_hours")
        self.fields["lifetime_hours"].max_value = max_hours
        self.fields["lifetime_hours"].widget.attrs["max"] = max_hours
        self.fields["lifetime_hours"].validators.append(
            forms.validators.MaxValueValidator(max_hours))
        self.fields["lifetime_hours"].initial = min(conf.get("default_lifetime_hours"),
                                                    max_hours)
        self.fields["lifetime_hours"].help_text = _(
            "At most %(max)s hours; it can be extended later.") % {"max": max_hours}
        self.fields["name"].initial = desktops.default_name(request.user.username)
        self._images = self._load(api.glance.golden_image_list, _("golden images"))
        self._profiles = self._load(api.nova.profile_list, _("desktop profiles"))
        self.fields["image"].choices = [(i.id, image_label(i)) for i in self._images] or [
            ("", _("No golden image available"))]
        self.fields["profile"].choices = [(p.id, profile_label(p)) for p in self._profiles] or [
            ("", _("No desktop profile available"))]

    def _load(self, call, what):
        try:
            return call(self.request)
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve %s.") % what)
            return []

    def clean_name(self):
        raw = self.cleaned_data.get("name") or desktops.default_name(
            self.request.user.username, self.data.get("experiment", "").strip())
        try:
            return desktops.clean_name(raw)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_experiment(self):
        try:
            return desktops.validate_experiment(self.cleaned_data.get("experiment", "").strip())
        except desktops.InvalidDesktopMetadata as exc:
            raise forms.ValidationError(
                _("Use letters, digits, '.', '_', ':' or '-' (at most 64).")) from exc

    def clean(self):
        data = super().clean()
        # Only ids offered by the catalog are accepted, whatever a hand-made POST says.
        data["image_obj"] = next((i for i in self._images if i.id == data.get("image")), None)
        data["profile_obj"] = next((p for p in self._profiles if p.id == data.get("profile")),
                                   None)
        if data["image_obj"] is None:
            self.add_error("image", _("Choose a golden image from the catalog."))
        if data["profile_obj"] is None:
            self.add_error("profile", _("Choose a desktop profile."))
        return data

    def handle(self, request, data):
        try:
            expires = desktops.expiry_after(data["lifetime_hours"],
                                            conf.get("max_lifetime_hours"))
            metadata = desktops.build_metadata(
                owner=request.user.username,
                profile=data["profile_obj"].name,
                expires_at=expires,
                experiment=data["experiment"],
            )
            network = api.neutron.desktop_network(request, conf.get("network"))
            security_group = conf.get("security_group")
            server = api.nova.desktop_create(
                request,
                name=data["name"],
                image_id=data["image_obj"].id,
                flavor_id=data["profile_obj"].id,
                metadata=metadata,
                network_id=network.id,
                security_groups=[security_group] if security_group else None,
            )
        except api.neutron.NoDesktopNetwork:
            messages.error(request, _("No network is configured for desktops; "
                                      "ask the facility's cloud team."))
            return False
        except Exception:
            exceptions.handle(request, _('Unable to launch desktop "%s".') % data["name"])
            return False
        messages.success(request, _('Launching desktop "%s".') % data["name"])
        return server

    def get_success_url(self):
        return reverse("horizon:project:desktops:index")
