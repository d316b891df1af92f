"""The catalog entry of an image: golden or not, techniques, description, GPU driver."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import golden as core_golden
from heps_desktop_dashboard.dashboards.project.desktops import texts
from heps_desktop_dashboard.services import catalog

FIELD_TEXTS = {
    core_golden.TECHNIQUE_BAD: _("\"%(technique)s\" is not a technique: use letters, "
                                 "digits, spaces, '-' or '_' (at most 40 characters each)."),
    core_golden.TECHNIQUES_TOO_MANY: _("At most %(max)s techniques."),
    core_golden.TECHNIQUES_TOO_LONG: _("At most %(max)s characters together."),
    core_golden.DESCRIPTION_CONTROL: _("Control characters are not allowed."),
    core_golden.DESCRIPTION_TOO_LONG: _("At most %(max)s characters."),
    catalog.NOT_ACTIVE: _('Image "%(name)s" is %(status)s: only an active image can be '
                          "golden."),
    core_golden.GPU_DRIVER_BAD: _("A driver name and version such as nvidia-550.90 or "
                                  "nvidia-grid-17.3 (letters, digits, '.', '_', '+', '-')."),
}


def _cleaned(function, value):
    try:
        return function(value)
    except ValueError as exc:
        raise forms.ValidationError(texts.rule_error(exc, FIELD_TEXTS)) from exc


class EditForm(forms.SelfHandlingForm):
    golden = forms.BooleanField(
        label=_("Golden image"), required=False,
        help_text=_("Offered in the launch form of every project that sees the image."))
    techniques = forms.CharField(
        label=_("Techniques"), required=False, max_length=core_golden.VALUE_MAX,
        help_text=_("Comma-separated, e.g. imaging, tomography, crystallography."))
    description = forms.CharField(
        label=_("Description"), required=False, max_length=core_golden.VALUE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or two sentences: the software inside, what it is for."))
    gpu_driver = forms.CharField(
        label=_("GPU driver"), required=False, max_length=64,
        help_text=_("The NVIDIA driver inside the image, e.g. nvidia-550.90 or "
                    "nvidia-grid-17.3 for vGPU; empty when it has none."))

    def __init__(self, request, *args, **kwargs):
        self.entry = kwargs.pop("entry")
        super().__init__(request, *args, **kwargs)
        image = self.entry.image
        self.fields["golden"].initial = image.golden
        self.fields["techniques"].initial = ", ".join(image.techniques)
        self.fields["description"].initial = image.description
        self.fields["gpu_driver"].initial = image.gpu_driver

    def clean_techniques(self):
        return _cleaned(core_golden.clean_techniques, self.cleaned_data.get("techniques"))

    def clean_description(self):
        return _cleaned(core_golden.clean_description, self.cleaned_data.get("description"))

    def clean_gpu_driver(self):
        return _cleaned(core_golden.clean_gpu_driver, self.cleaned_data.get("gpu_driver"))

    def clean(self):
        data = super().clean()
        if data.get("golden") and self.entry.image.status != "active":
            self.add_error("golden", _("The image is %(status)s: only an active image can "
                                       "be golden.") % {"status": self.entry.image.status})
        return data

    def get_success_url(self):
        return reverse("horizon:admin:golden_images:index")

    def handle(self, request, data):
        image = self.entry.image
        try:
            catalog.update(api.context.for_request(request), image.id,
                           golden_flag=data["golden"], techniques=data["techniques"],
                           description=data["description"], gpu_driver=data["gpu_driver"])
        except catalog.Refused as exc:
            messages.error(request, texts.rule_error(exc, FIELD_TEXTS))
            return False
        except Exception:
            exceptions.handle(request, _('Unable to update image "%s".') % image.name)
            return False
        if data["golden"]:
            messages.success(request, _('"%s" is in the catalog.') % image.name)
        else:
            messages.success(request, _('"%s" is not in the catalog.') % image.name)
        return True
