"""Share Desktop (the owner grants a member view or control) and the support staff's
reason for opening a console. Both act on the desktop named by the URL."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import grants
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import sharing

LEVEL_CHOICES = [
    (grants.VIEW, _("View only: watch the console, no keyboard or mouse")),
    (grants.CONTROL, _("Control: full console, start, stop and reboot (not delete)")),
]


def detail_url(desktop_id):
    return reverse("horizon:project:desktops:detail", args=[desktop_id])


class ShareForm(forms.SelfHandlingForm):
    grantee = forms.CharField(label=_("Member"), max_length=64)
    level = forms.ThemableChoiceField(label=_("Access"), choices=LEVEL_CHOICES)

    def __init__(self, request, *args, **kwargs):
        self.desktop = kwargs.pop("desktop")
        super().__init__(request, *args, **kwargs)
        self.members = access.project_members(api.context.for_request(request))
        if self.members.known:
            others = sorted((name, user_id) for user_id, name in self.members.names.items()
                            if user_id != self.desktop.owner_id)
            self.fields["grantee"] = forms.ThemableChoiceField(
                label=_("Member"),
                choices=[(user_id, f"{name} ({user_id})") for name, user_id in others]
                or [("", _("No other member in this project"))],
                error_messages={"invalid_choice": _("Not a member of this project: a "
                                                    "desktop is shared only within its "
                                                    "project.")})
        else:
            self.fields["grantee"].label = _("Member's user ID")
            self.fields["grantee"].help_text = _(
                "The dashboard may not list this project's members (keystone lets "
                "administrators do that): type the member's user ID, as `openstack token "
                "issue` shows it to them. A grant works only for a member of this "
                "project: nova shows the desktop to nobody else.")

    def handle(self, request, data):
        try:
            grant = sharing.share(api.context.for_request(request), self.desktop.id,
                                  data["grantee"], data["level"], members=self.members)
        except (sharing.ShareRefused, access.AccessDenied) as exc:
            messages.error(request, exc.message)
            return False
        except Exception:
            exceptions.handle(request, _("Unable to share the desktop."))
            return False
        name = self.members.names.get(grant.user_id, grant.user_id)
        messages.success(request, _('Desktop "%(desktop)s" shared with %(name)s (%(level)s).')
                         % {"desktop": self.desktop.name, "name": name,
                            "level": dict(LEVEL_CHOICES)[grant.level]})
        return True

    def get_success_url(self):
        return detail_url(self.desktop.id)


class SupportReasonForm(forms.SelfHandlingForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=grants.REASON_MAX,
        help_text=_("Why you open this desktop's console, e.g. the ticket number. Its owner "
                    "sees your name, the time and this reason on the desktop's page."))

    def __init__(self, request, *args, **kwargs):
        self.desktop = kwargs.pop("desktop")
        super().__init__(request, *args, **kwargs)

    def clean_reason(self):
        try:
            return grants.clean_reason(self.cleaned_data.get("reason"))
        except grants.InvalidGrant as exc:
            raise forms.ValidationError(str(exc)) from exc

    def handle(self, request, data):
        try:
            access.open_as_support(api.context.for_request(request), self.desktop.id,
                                   data["reason"])
        except access.AccessDenied as exc:
            messages.error(request, exc.message)
            return False
        except Exception:
            exceptions.handle(request, _("Unable to record the support access; the console "
                                         "was not opened."))
            return False
        messages.info(request, _('Support access to desktop "%s" recorded.')
                      % self.desktop.name)
        return True

    def get_success_url(self):
        return detail_url(self.desktop.id) + "?tab=desktop_details__console"
