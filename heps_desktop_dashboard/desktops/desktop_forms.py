"""Modal forms acting on one existing desktop: extend its lifetime, rename it."""

from django.core import validators
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops


class _DesktopForm(forms.SelfHandlingForm):
    desktop_id = forms.CharField(widget=forms.HiddenInput())

    def get_success_url(self):
        return reverse("horizon:project:desktops:index")


class ExtendForm(_DesktopForm):
    hours = forms.IntegerField(label=_("Extend by (hours)"), min_value=1)

    def __init__(self, request, *args, **kwargs):
        self.desktop = kwargs.pop("desktop")
        super().__init__(request, *args, **kwargs)
        max_hours = conf.get("max_lifetime_hours")
        self.fields["hours"].initial = min(conf.get("default_lifetime_hours"), max_hours)
        self.fields["hours"].widget.attrs["max"] = max_hours
        self.fields["hours"].validators.append(validators.MaxValueValidator(max_hours))
        self.fields["hours"].help_text = _(
            "A desktop can run at most %(max)s hours from now.") % {"max": max_hours}

    def clean(self):
        data = super().clean()
        if "hours" in data:
            info = desktops.read_metadata(getattr(self.desktop, "metadata", None))
            try:
                data["expires_at"] = desktops.extended_expiry(
                    info.expires_at, data["hours"], conf.get("max_lifetime_hours"))
            except ValueError as exc:
                self.add_error("hours", str(exc))
        return data

    def handle(self, request, data):
        new_expiry = desktops.format_expiry(data["expires_at"])
        try:
            api.nova.desktop_set_metadata(request, data["desktop_id"],
                                          {desktops.META_EXPIRES_AT: new_expiry})
        except Exception:
            exceptions.handle(request, _("Unable to extend the desktop."))
            return False
        messages.success(request, _('Desktop "%(name)s" now expires at %(when)s UTC.')
                         % {"name": self.desktop.name, "when": new_expiry})
        return True


class RenameForm(_DesktopForm):
    name = forms.CharField(label=_("New name"), max_length=desktops.NAME_MAX)

    def clean_name(self):
        try:
            return desktops.clean_name(self.cleaned_data.get("name"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def handle(self, request, data):
        try:
            api.nova.desktop_rename(request, data["desktop_id"], data["name"])
        except Exception:
            exceptions.handle(request, _("Unable to rename the desktop."))
            return False
        messages.success(request, _('Desktop renamed to "%s".') % data["name"])
        return True
