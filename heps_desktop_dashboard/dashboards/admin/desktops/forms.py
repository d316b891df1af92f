"""The filter form of Admin › Desktops (GET) and the admin's Extend modal."""

from urllib import parse

from django import forms as django_forms
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
from heps_desktop_dashboard.services import fleet

_ID = validators.RegexValidator(r"^[0-9A-Za-z_-]{1,64}$", _("Not a valid id."))
_HOST = validators.RegexValidator(r"^[0-9A-Za-z._-]{1,255}$", _("Not a valid host name."))
REASON_TEXTS = {
    fleet.REASON_SHORT: _("Give a reason (at least 3 characters)."),
    fleet.REASON_LONG: _("A reason is at most %(max)s characters."),
}
STATUSES = (
    ("", _("Any status")),
    ("ACTIVE", _("Active")),
    ("SHUTOFF", _("Stopped")),
    ("SHELVED_OFFLOADED", _("Shelved — GPU released")),
    ("SUSPENDED", _("Suspended")),
    ("PAUSED", _("Paused")),
    ("BUILD", _("Booting")),
    ("ERROR", _("Error")),
)
# The form's field names are the query parameters.
FIELDS = ("project", "owner", "profile", "gpu_model", "host", "status", "expiring")


class FilterForm(django_forms.Form):
    project = django_forms.CharField(label=_("Project"), required=False, validators=[_ID])
    owner = django_forms.CharField(label=_("Owner"), required=False, validators=[_ID])
    profile = django_forms.CharField(label=_("Profile"), required=False, max_length=255)
    gpu_model = django_forms.CharField(label=_("GPU model"), required=False,
                                       max_length=255)
    host = django_forms.CharField(label=_("Host"), required=False, validators=[_HOST])
    status = django_forms.ChoiceField(
        label=_("Status"), required=False, choices=STATUSES,
        widget=django_forms.Select(attrs={"class": "form-control",
                                          "id": "heps-filter-status"}))
    expiring = django_forms.IntegerField(label=_("Expiring within (hours)"),
                                         required=False, min_value=1,
                                         max_value=fleet.ADMIN_MAX_HOURS)

    def __init__(self, query):
        super().__init__({k: v.strip() for k, v in query.items() if k in FIELDS})

    def filters(self):
        """fleet.Filters of the valid form (an invalid one filters nothing)."""
        if not self.is_valid():
            return fleet.Filters()
        data = self.cleaned_data
        return fleet.Filters(project_id=data["project"], user_id=data["owner"],
                             profile=data["profile"], gpu_model=data["gpu_model"],
                             host=data["host"], status=data["status"],
                             expiring_hours=data["expiring"])

    def query_string(self):
        """The valid filters as a query string (kept by the pagination links)."""
        if not self.is_valid():
            return ""
        return parse.urlencode([(k, self.cleaned_data[k]) for k in FIELDS
                                if self.cleaned_data.get(k) not in (None, "")])

    @property
    def active(self):
        return bool(self.query_string())


class ExtendForm(forms.SelfHandlingForm):
    """Extend any project's desktop past the users' maximum, with a reason (audited)."""

    hours = forms.IntegerField(label=_("Extend by (hours)"), min_value=1,
                               max_value=fleet.ADMIN_MAX_HOURS)
    reason = forms.CharField(label=_("Reason"), max_length=fleet.REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Recorded in the audit trail with your name."))

    def __init__(self, request, *args, **kwargs):
        self.desktop = kwargs.pop("desktop")
        super().__init__(request, *args, **kwargs)
        self.fields["hours"].initial = conf.get("default_lifetime_hours")
        self.fields["hours"].help_text = _(
            "From the current expiry; at most %(max)s hours from now (users may go to "
            "%(user_max)s).") % {"max": fleet.ADMIN_MAX_HOURS,
                                 "user_max": conf.get("max_lifetime_hours")}

    def clean_reason(self):
        try:
            return fleet.clean_reason(self.cleaned_data.get("reason"))
        except ValueError as exc:
            raise forms.ValidationError(texts.rule_error(exc, REASON_TEXTS)) from exc

    def clean(self):
        data = super().clean()
        if "hours" in data:
            try:
                desktops.extended_expiry(self.desktop.expires_at, data["hours"],
                                         fleet.ADMIN_MAX_HOURS)
            except ValueError as exc:
                self.add_error("hours", texts.rule_error(exc))
        return data

    def get_success_url(self):
        return reverse("horizon:admin:desktops:index")

    def handle(self, request, data):
        try:
            new = fleet.extend(api.context.for_request(request), self.desktop.id,
                               data["hours"], data["reason"])
        except ValueError as exc:
            messages.error(request, texts.rule_error(exc, REASON_TEXTS))
            return False
        except Exception:
            exceptions.handle(request, _("Unable to extend the desktop."))
            return False
        messages.success(request, _('Desktop "%(name)s" now expires at %(when)s UTC.')
                         % {"name": self.desktop.name, "when": desktops.format_expiry(new)})
        return True
