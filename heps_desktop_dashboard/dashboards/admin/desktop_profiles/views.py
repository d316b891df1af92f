"""Admin › Desktop Profiles: the board (one services/profiles_admin.board call) and the
create, edit and delete modals. The panel's policy guards every URL."""

from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages
from horizon import tables
from horizon.utils import memoized

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.admin.desktop_profiles import forms as profile_forms
from heps_desktop_dashboard.dashboards.admin.desktop_profiles import tables as profile_tables
from heps_desktop_dashboard.services import profiles_admin

INDEX = "horizon:admin:desktop_profiles:index"
MISSING = {
    profiles_admin.DESKTOPS: _("The desktops cannot be read right now: which desktops use "
                               "each profile is not shown."),
    profiles_admin.PLACEMENT: _("Placement cannot be read right now: profiles are not "
                                "checked against the GPUs hosts have, and the GPU "
                                "choices are incomplete."),
    profiles_admin.NAMES: _("Project names cannot be read from keystone right now."),
    profiles_admin.ACCESS: _("The projects of some private profiles cannot be read."),
}


def _warn_missing(request, missing):
    for key in sorted(missing):
        messages.warning(request, MISSING[key])


class IndexView(tables.DataTableView):
    table_class = profile_tables.ProfilesTable
    template_name = "heps_desktops/admin/desktop_profiles/index.html"
    page_title = _("Desktop Profiles")

    @memoized.memoized_method
    def board(self):
        try:
            found = profiles_admin.board(api.context.for_request(self.request))
        except Exception:
            exceptions.handle(self.request, _("Unable to read the profiles from nova."))
            return None
        _warn_missing(self.request, found.missing)
        return found

    def get_data(self):
        board = self.board()
        return board.profiles if board else []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        board = self.board()
        rows = board.profiles if board else []
        context.update({
            "unavailable": board is None,
            "unsatisfiable": sum(1 for row in rows if row.problem),
            "offers": board.offers if board else [],
        })
        return context


def _refuse(request, message):
    messages.error(request, message)
    raise exceptions.Http302(reverse(INDEX))


class _ProfileModal(forms.ModalFormView):
    submit_url_name = ""
    success_url = reverse_lazy(INDEX)

    @memoized.memoized_method
    def choices(self):
        try:
            found = profiles_admin.choices(api.context.for_request(self.request))
        except Exception:
            _refuse(self.request, _("Unable to read the flavors from nova."))
        if self.request.method == "GET":
            _warn_missing(self.request, found.missing)
        return found

    def original(self):
        return None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update({"choices": self.choices(), "original": self.original()})
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_url"] = reverse(self.submit_url_name, args=self.args_for_url())
        context["original"] = self.original()
        return context

    def args_for_url(self):
        return []


class CreateView(_ProfileModal):
    form_class = profile_forms.ProfileForm
    template_name = "heps_desktops/admin/desktop_profiles/create.html"
    page_title = _("Create Desktop Profile")
    submit_label = _("Create Profile")
    submit_url_name = "horizon:admin:desktop_profiles:create"


def _load(request, flavor_id):
    try:
        return profiles_admin.profile(api.context.for_request(request), flavor_id)
    except Exception:
        _refuse(request, _('Unable to read profile "%s".') % flavor_id)


class EditView(_ProfileModal):
    form_class = profile_forms.ProfileForm
    template_name = "heps_desktops/admin/desktop_profiles/edit.html"
    page_title = _("Edit Desktop Profile")
    submit_label = _("Save as New Profile")
    submit_url_name = "horizon:admin:desktop_profiles:edit"

    @memoized.memoized_method
    def original(self):
        row, spec = _load(self.request, self.kwargs["flavor_id"])
        if spec is None or row.retired:
            _refuse(self.request, _('Profile "%s" is retired or inconsistent: create a new '
                                    "profile instead.") % row.name)
        return row, spec

    def args_for_url(self):
        return [self.kwargs["flavor_id"]]


class DeleteView(forms.ModalFormView):
    form_class = profile_forms.DeleteForm
    template_name = "heps_desktops/admin/desktop_profiles/delete.html"
    page_title = _("Delete Desktop Profile")
    success_url = reverse_lazy(INDEX)

    @memoized.memoized_method
    def get_object(self):
        return _load(self.request, self.kwargs["flavor_id"])[0]

    @property
    def submit_label(self):
        return _("Retire Profile") if self.get_object().desktops else _("Delete Profile")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["row"] = self.get_object()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["row"] = self.get_object()
        context["submit_url"] = reverse("horizon:admin:desktop_profiles:delete",
                                        args=[self.kwargs["flavor_id"]])
        return context
