"""Modal views of Boost and Create My Storage."""

from django import shortcuts
from django.contrib import messages
from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon.utils import memoized

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.dashboards.project.desktops import views
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyRequired
from heps_desktop_dashboard.dashboards.project.desktops.storage import actions
from heps_desktop_dashboard.dashboards.project.desktops.storage import forms as storage_forms
from heps_desktop_dashboard.dashboards.project.desktops.storage import texts
from heps_desktop_dashboard.services import boost
from heps_desktop_dashboard.services import home_storage

MODAL_TEMPLATE = "heps_desktops/desktops/experiment_modal.html"


class BoostView(views.DesktopModalView):
    form_class = storage_forms.BoostForm
    form_id = "boost_desktop_form"
    template_name = MODAL_TEMPLATE
    page_title = _("Boost Desktop")
    policy_rules = actions.RESIZE_RULES
    submit_label = _("Boost")
    submit_url_name = "horizon:project:desktops:boost"

    @memoized.memoized_method
    def get_choices(self):
        desktop = self.get_object()
        try:
            return boost.choices(api.context.for_request(self.request), desktop.server)
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve desktop profiles."),
                              redirect=storage_forms.detail_url(desktop.id))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["help_text"] = _(
            "The desktop is resized to a bigger profile (for example from a vGPU slice to "
            "a whole GPU) and restarts on it; its disk, experiment data and your storage "
            "stay. The project's quota and the free GPUs are checked first. After "
            "%(hours)s hours it returns to its own profile by itself (it restarts again); "
            "End Boost returns it earlier.") % {"hours": conf.get("boost_hours")}
        if not self.get_choices():
            context["help_text"] = _("No bigger profile is offered for this desktop.")
        return context

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["choices"] = self.get_choices() or []
        return kwargs

    def get_success_url(self):
        return storage_forms.detail_url(self.kwargs["desktop_id"])


class CreateStorageView(PolicyRequired, forms.ModalFormView):
    form_class = storage_forms.CreateStorageForm
    form_id = "create_storage_form"
    template_name = MODAL_TEMPLATE
    page_title = _("Create My Storage")
    policy_rules = actions.CreateMyStorage.policy_rules
    submit_label = _("Create")
    submit_url = reverse_lazy("horizon:project:desktops:create_storage")
    success_url = reverse_lazy("horizon:project:desktops:index")

    def dispatch(self, request, *args, **kwargs):
        if not api.cinder.in_catalog(api.context.for_request(request)):
            messages.error(request, texts.UNAVAILABLE[home_storage.ABSENT])
            return shortcuts.redirect(self.success_url)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["help_text"] = _(
            "A personal volume of %(size)s GB in this project, counted against the "
            "project's volume quota. It is attached to your newest running desktop and "
            "mounted at /home/%(user)s there; it moves to the desktop you launch next and "
            "is never deleted with a desktop.") % {
                "size": conf.get("home_volume_gb"),
                "user": api.context.for_request(self.request).username}
        context["submit_url"] = reverse("horizon:project:desktops:create_storage")
        return context
