"""The profile modals: create (or edit: a new flavor, the old one retired) and delete
(retire instead while desktops use it). Each calls one services/profiles_admin.py
function."""

import logging

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import profile_specs
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.services import profiles_admin

LOG = logging.getLogger(__name__)
INDEX = "horizon:admin:desktop_profiles:index"
KIND_CHOICES = ((profiles.GPU_VGPU, _("vGPU (a slice of a GPU)")),
                (profiles.GPU_PASSTHROUGH, _("Passthrough (whole GPUs)")),
                (profiles.GPU_NONE, _("None (CPU only)")))
VIDEO_CHOICES = (("", _("As the image says")),) + tuple(
    (model, model) for model in profile_specs.VIDEO_MODELS)


def _switched(label_by_kind):
    attrs = {"class": "switched", "data-switch-on": "gpukind"}
    attrs.update({f"data-gpukind-{kind}": label for kind, label in label_by_kind.items()})
    return attrs


def _gpu_label(offer):
    if offer.hosts:
        return _("%(gpu)s (on %(hosts)s hosts)") % {"gpu": offer.label, "hosts": offer.hosts}
    if offer.value.startswith(profile_specs.OPTION_PCI + ":"):
        return _("%s (not in placement: not checked)") % offer.label
    return _("%s (no host has it)") % offer.label


class ProfileForm(forms.SelfHandlingForm):
    name = forms.RegexField(label=_("Name"), regex=profile_specs.NAME_RE, max_length=64,
                            error_messages={"invalid": _(
                                "Letters, digits, '.', '_' and '-' only (at most 64).")})
    gpu_kind = forms.ChoiceField(label=_("GPU kind"), choices=KIND_CHOICES, widget=forms.Select(
        attrs={"class": "switchable", "data-slug": "gpukind"}))
    vgpu_type = forms.ChoiceField(label=_("vGPU type"), required=False,
                                  widget=forms.Select(attrs=_switched({
                                      profiles.GPU_VGPU: _("vGPU type")})))
    passthrough_gpu = forms.ChoiceField(label=_("GPU model"), required=False,
                                        widget=forms.Select(attrs=_switched({
                                            profiles.GPU_PASSTHROUGH: _("GPU model")})))
    gpu_count = forms.IntegerField(label=_("GPUs"), min_value=1, max_value=16, initial=1,
                                   required=False, widget=forms.NumberInput(attrs=_switched({
                                       profiles.GPU_VGPU: _("GPUs"),
                                       profiles.GPU_PASSTHROUGH: _("GPUs")})))
    gpu_model = forms.CharField(label=_("GPU name shown to users"), required=False,
                                max_length=128, help_text=_(
                                    "e.g. NVIDIA A100 80GB; empty: the class or type name."),
                                widget=forms.TextInput(attrs=_switched({
                                    profiles.GPU_VGPU: _("GPU name shown to users"),
                                    profiles.GPU_PASSTHROUGH: _("GPU name shown to users")})))
    vcpus = forms.IntegerField(label=_("vCPUs"), min_value=1, max_value=512, initial=4)
    ram_mb = forms.IntegerField(label=_("RAM (MiB)"), min_value=512, max_value=4194304,
                                initial=16384)
    disk_gb = forms.IntegerField(label=_("Disk (GB)"), min_value=0, max_value=65536,
                                 initial=40)
    cpu_pinning = forms.BooleanField(label=_("Dedicated CPUs (CPU pinning)"),
                                     required=False)
    huge_pages = forms.BooleanField(label=_("Huge pages"), required=False)
    video_model = forms.ChoiceField(label=_("Video model"), choices=VIDEO_CHOICES,
                                    required=False, help_text=_(
                                        "The model the profile's golden images should "
                                        "declare (hw_video_model)."))
    video_ram_mb = forms.IntegerField(label=_("Video RAM at most (MiB)"), required=False,
                                      min_value=1, max_value=2048)
    description = forms.CharField(label=_("Description"), required=False, max_length=1024,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    public_ip = forms.BooleanField(label=_("Public address allowed"), required=False)
    is_public = forms.BooleanField(label=_("Every project may use it"), required=False,
                                   initial=True)
    projects = forms.MultipleChoiceField(label=_("Projects allowed"), required=False,
                                         help_text=_("When not every project may use it."))

    def __init__(self, request, *args, **kwargs):
        self.choices_board = kwargs.pop("choices")
        self.original = kwargs.pop("original", None)   # (ProfileRow, ProfileSpec) of an edit
        super().__init__(request, *args, **kwargs)
        board = self.choices_board
        offers = list(board.offers)
        if self.original is not None:
            self._initial_from(self.original[1], offers)
        for field, kind in (("vgpu_type", profiles.GPU_VGPU),
                            ("passthrough_gpu", profiles.GPU_PASSTHROUGH)):
            self.fields[field].choices = [(o.value, _gpu_label(o)) for o in offers
                                          if o.kind == kind]
        self.fields["projects"].choices = sorted(board.projects.items(),
                                                 key=lambda item: item[1].lower())

    def _initial_from(self, spec, offers):
        known = {offer.value for offer in offers}
        if spec.gpu and spec.gpu not in known:
            kind = profiles.GPU_VGPU if spec.gpu.startswith(profile_specs.OPTION_VGPU) \
                else profiles.GPU_PASSTHROUGH
            offers.append(profile_specs.GpuOffer(spec.gpu, spec.gpu.partition(":")[2] or
                                                 "vGPU", kind, 0))
        gpu_field = "vgpu_type" if spec.gpu_kind == profiles.GPU_VGPU else "passthrough_gpu"
        self.initial.update({
            "name": profile_specs.successor_name(spec.name, self.choices_board.taken),
            "gpu_kind": spec.gpu_kind, gpu_field: spec.gpu, "gpu_count": spec.gpu_count,
            "gpu_model": spec.gpu_model, "vcpus": spec.vcpus, "ram_mb": spec.ram_mb,
            "disk_gb": spec.disk_gb, "cpu_pinning": spec.cpu_pinning,
            "huge_pages": spec.huge_pages, "video_model": spec.video_model,
            "video_ram_mb": spec.video_ram_mb, "description": spec.description,
            "public_ip": spec.public_ip, "is_public": spec.is_public,
            "projects": list(spec.projects)})

    def clean_name(self):
        name = self.cleaned_data["name"]
        if name in self.choices_board.taken:
            raise forms.ValidationError(_(
                'Nova already has a flavor named "%s": a profile needs a new name.') % name)
        return name

    def clean(self):
        data = super().clean()
        kind = data.get("gpu_kind")
        gpu = {profiles.GPU_VGPU: data.get("vgpu_type"),
               profiles.GPU_PASSTHROUGH: data.get("passthrough_gpu")}.get(kind, "")
        if kind in (profiles.GPU_VGPU, profiles.GPU_PASSTHROUGH) and not gpu:
            field = "vgpu_type" if kind == profiles.GPU_VGPU else "passthrough_gpu"
            self.add_error(field, _("Choose the GPU of the profile."))
        data["gpu"] = gpu or ""
        if not data.get("is_public") and not data.get("projects"):
            self.add_error("projects", _("Choose the projects that may use it, or let "
                                         "every project use it."))
        return data

    def spec(self, data):
        return profile_specs.ProfileSpec(
            name=data["name"], gpu_kind=data["gpu_kind"], gpu=data["gpu"],
            gpu_count=data.get("gpu_count") or 1, gpu_model=data.get("gpu_model") or "",
            vcpus=data["vcpus"], ram_mb=data["ram_mb"], disk_gb=data["disk_gb"],
            cpu_pinning=bool(data.get("cpu_pinning")),
            huge_pages=bool(data.get("huge_pages")),
            video_model=data.get("video_model") or "",
            video_ram_mb=data.get("video_ram_mb"), description=data.get("description") or "",
            public_ip=bool(data.get("public_ip")), is_public=bool(data.get("is_public")),
            projects=tuple(data.get("projects") or ()) if not data.get("is_public") else (),
            carried=self.original[1].carried if self.original else ())

    def handle(self, request, data):
        ctx = api.context.for_request(request)
        spec = self.spec(data)
        try:
            if self.original is None:
                profiles_admin.create(ctx, spec)
            else:
                profiles_admin.edit(ctx, self.original[0].id, spec)
        except profiles_admin.ProfileRefused as exc:
            self.api_error(_("The profile was not saved: %s") % exc)
            return False
        except Exception as exc:
            LOG.warning("Profile %s not saved: %s", spec.name, exc)
            self.api_error(_("The profile was not saved: nova did not answer; try again "
                             "later."))
            return False
        if self.original is None:
            messages.success(request, _('Profile "%s" created.') % spec.name)
        else:
            messages.success(request, _(
                'Profile "%(new)s" created; "%(old)s" is retired: hidden from launch, kept '
                'for the desktops that use it.') % {"new": spec.name,
                                                     "old": self.original[0].name})
        return True

    def get_success_url(self):
        return reverse(INDEX)


class DeleteForm(forms.SelfHandlingForm):
    """Confirm deleting a profile; while desktops use it, it is retired instead."""

    def __init__(self, request, *args, **kwargs):
        self.row = kwargs.pop("row")
        super().__init__(request, *args, **kwargs)

    def handle(self, request, data):
        try:
            done, users = profiles_admin.delete(api.context.for_request(request), self.row.id)
        except profiles_admin.ProfileRefused as exc:
            self.api_error(str(exc))
            return False
        except Exception as exc:
            LOG.warning("Profile %s not deleted: %s", self.row.id, exc)
            self.api_error(_("The profile was not deleted: nova did not answer; try "
                             "again later."))
            return False
        if done == profiles_admin.RETIRED:
            messages.warning(request, _(
                'Profile "%(name)s" is used by %(count)s desktops: it is retired instead '
                "(hidden from launch, kept for them).") % {"name": self.row.name,
                                                           "count": len(users)})
        else:
            messages.success(request, _('Profile "%s" deleted.') % self.row.name)
        return True

    def get_success_url(self):
        return reverse(INDEX)
