"""Modal forms acting on the one desktop named in the URL: extend its lifetime, rename."""

from django.core import validators
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.dashboards.project.desktops import texts
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import desktop_actions


class _DesktopForm(forms.SelfHandlingForm):
    """``desktop`` comes from the view (the URL's id, checked); nothing in the POST
    body names the desktop."""

    def __init__(self, request, *args, **kwargs):
        self.desktop = kwargs.pop("desktop")
        super().__init__(request, *args, **kwargs)

    def get_success_url(self):
        return reverse("horizon:project:desktops:index")


class ExtendForm(_DesktopForm):
    hours = forms.IntegerField(label=_("Extend by (hours)"), min_value=1)

    def __init__(self, request, *args, **kwargs):
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
            try:
                desktops.extended_expiry(self.desktop.expires_at, data["hours"],
                                         conf.get("max_lifetime_hours"))
            except ValueError as exc:
                self.add_error("hours", texts.rule_error(exc))
        return data

    def handle(self, request, data):
        try:
            new_expiry = desktop_actions.extend(api.context.for_request(request),
                                                self.desktop.id, data["hours"])
        except access.AccessDenied as exc:
            messages.error(request, exc.message)
            return False
        except ValueError as exc:
            messages.error(request, texts.rule_error(exc))
            return False
        except Exception:
            exceptions.handle(request, _("Unable to extend the desktop."))
            return False
        messages.success(request, _('Desktop "%(name)s" now expires at %(when)s UTC.')
                         % {"name": self.desktop.name,
                            "when": desktops.format_expiry(new_expiry)})
        return True


class RenameForm(_DesktopForm):
    name = forms.CharField(label=_("New name"), max_length=desktops.NAME_MAX)

    def clean_name(self):
        try:
            name = desktops.clean_name(self.cleaned_data.get("name"))
        except ValueError as exc:
            raise forms.ValidationError(texts.rule_error(exc)) from exc
        return name

    def handle(self, request, data):
        try:
            desktop_actions.rename(api.context.for_request(request), self.desktop.id,
                                   data["name"])
        except access.AccessDenied as exc:
            messages.error(request, exc.message)
            return False
        except Exception:
            exceptions.handle(request, _("Unable to rename the desktop."))
            return False
        messages.success(request, _('Desktop renamed to "%s".') % data["name"])
        return True
