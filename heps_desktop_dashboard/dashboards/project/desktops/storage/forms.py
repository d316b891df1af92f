"""The Boost and Create My Storage modals: validate, call one service function."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.dashboards.project.desktops import launch_catalog
from heps_desktop_dashboard.dashboards.project.desktops.storage import texts
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import boost
from heps_desktop_dashboard.services import home_storage


def detail_url(desktop_id, tab=""):
    url = reverse("horizon:project:desktops:detail", args=[desktop_id])
    return url + (f"?tab=desktop_details__{tab}" if tab else "")


class BoostForm(forms.SelfHandlingForm):
    profile = forms.ThemableChoiceField(label=_("Boost to"))

    def __init__(self, request, *args, **kwargs):
        self.desktop = kwargs.pop("desktop")
        choices = kwargs.pop("choices")
        super().__init__(request, *args, **kwargs)
        self.fields["profile"].choices = [
            (profile.id, launch_catalog.profile_label(profile)) for profile, _s in choices]
        self.fields["profile"].help_text = _(
            "For %(hours)s hours; then the desktop returns to %(profile)s by itself.") % {
                "hours": conf.get("boost_hours"), "profile": self.desktop.profile}

    def handle(self, request, data):
        try:
            boost.boost(api.context.for_request(request), self.desktop.id, data["profile"])
        except (boost.BoostRefused, access.AccessDenied) as exc:
            message = texts.refusal(exc) if isinstance(exc, boost.BoostRefused) else exc.message
            self.api_error(message)
            return False
        except boost.BoostFailed as exc:
            self.api_error(_("The compute service refused the resize: %s. Nothing was "
                             "changed.") % exc)
            return False
        except Exception:
            exceptions.handle(request, _("Unable to boost the desktop."))
            return False
        messages.success(request, _('Desktop "%s" is being resized; it restarts on the '
                                    'bigger profile in a few minutes.') % self.desktop.name)
        return True


class CreateStorageForm(forms.SelfHandlingForm):
    """No fields: the size is the deployment's (home_volume_gb)."""

    def handle(self, request, data):
        try:
            home, created = home_storage.ensure_home(api.context.for_request(request))
        except home_storage.HomeRefused as exc:
            self.api_error(texts.refusal(exc))
            return False
        except home_storage.Unavailable:
            self.api_error(texts.UNAVAILABLE[home_storage.DOWN])
            return False
        except Exception:
            exceptions.handle(request, _("Unable to create your storage."))
            return False
        if created:
            messages.success(request, _("Your storage (%s GB) is being created; it is "
                                        "attached to your newest running desktop within "
                                        "a minute.") % home.size)
        else:
            messages.info(request, _("You have your storage already."))
        return True
