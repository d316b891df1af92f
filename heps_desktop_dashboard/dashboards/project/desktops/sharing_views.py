"""Views of Share Desktop, Revoke and the support staff's console reason."""

from django import shortcuts
from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic
from horizon import exceptions

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops import sharing_forms
from heps_desktop_dashboard.dashboards.project.desktops import views
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyRequired
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import sharing

# The full page; Horizon renders "_experiment_modal.html" (its modal) for ajax requests.
MODAL_TEMPLATE = "heps_desktops/desktops/experiment_modal.html"
METADATA_RULES = (("compute", "os_compute_api:server-metadata:update"),)


class _HelpModalView(views.DesktopModalView):
    template_name = MODAL_TEMPLATE
    help_text = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["help_text"] = self.help_text
        return context

    def get_success_url(self):
        return sharing_forms.detail_url(self.kwargs["desktop_id"])


class ShareView(_HelpModalView):
    form_class = sharing_forms.ShareForm
    form_id = "share_desktop_form"
    page_title = _("Share Desktop")
    policy_rules = METADATA_RULES
    access_action = access.SHARE
    submit_label = _("Share")
    submit_url_name = "horizon:project:desktops:share"
    help_text = _("Members you share the desktop with see it in their list and can open "
                  "its console: view only (no keyboard or mouse), or with control (full "
                  "console, start, stop and reboot). Only you can delete, rename, extend, "
                  "share or attach data to it. Revoke a grant on the desktop's page.")


class SupportConsoleView(_HelpModalView):
    form_class = sharing_forms.SupportReasonForm
    form_id = "support_console_form"
    page_title = _("Open Console as Support")
    policy_rules = METADATA_RULES + (("compute", "os_compute_api:os-remote-consoles"),)
    access_action = access.CONSOLE
    submit_label = _("Open Console")
    submit_url_name = "horizon:project:desktops:support_console"
    help_text = _("You hold the support role in this project. The desktop is someone "
                  "else's: your reason is recorded on it, its owner sees who opened the "
                  "console, when and why, and the opening is in the audit trail. The "
                  "console stays open to you for an hour.")

    def get_object(self):
        desktop = super().get_object()
        if desktop.access != access.SUPPORT:
            messages.error(self.request, _("Only support staff give a reason to open a "
                                           "console; you can open this one directly."))
            raise exceptions.Http302(sharing_forms.detail_url(desktop.id))
        return desktop


class UnshareView(PolicyRequired, generic.View):
    """``POST <desktop>/share/revoke/`` (``user_id``): the owner takes a grant back."""

    policy_rules = (("compute", "os_compute_api:server-metadata:delete"),)

    def post(self, request, desktop_id):
        user_id = request.POST.get("user_id", "")
        try:
            sharing.unshare(api.context.for_request(request), desktop_id, user_id)
        except access.AccessDenied as exc:
            messages.error(request, exc.message)
            return shortcuts.redirect(reverse("horizon:project:desktops:index"))
        except sharing.ShareRefused as exc:
            messages.error(request, exc.message)
        except Exception:
            exceptions.handle(request, _("Unable to revoke the grant."),
                              redirect=reverse("horizon:project:desktops:index"))
        else:
            messages.success(request, _("Grant of %s revoked.") % user_id)
        return shortcuts.redirect(sharing_forms.detail_url(desktop_id))
