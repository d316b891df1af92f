"""Admin › Golden Images: the catalog and candidates (one services/catalog.board call), an
image's checklist, and its catalog entry form. The panel's policy guards every URL."""

from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages
from horizon import tables
from horizon import views as horizon_views
from horizon.utils import memoized

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.admin.golden_images import forms as catalog_forms
from heps_desktop_dashboard.dashboards.admin.golden_images import tables as catalog_tables
from heps_desktop_dashboard.dashboards.admin.golden_images import texts
from heps_desktop_dashboard.services import catalog

INDEX = "horizon:admin:golden_images:index"
MISSING = {
    catalog.PROFILES: _("Desktop profiles are unavailable (compute service): the checks "
                        "against profiles are incomplete."),
    catalog.NAMES: _("Project names are unavailable (identity service): ids are shown."),
    catalog.MEMBERS: _("The members of some shared images could not be read."),
}


class IndexView(tables.MultiTableView):
    table_classes = (catalog_tables.GoldenTable, catalog_tables.CandidatesTable)
    template_name = "heps_desktops/admin/golden_images/index.html"
    page_title = _("Golden Images")

    @memoized.memoized_method
    def board(self):
        try:
            found = catalog.board(api.context.for_request(self.request))
        except Exception:
            exceptions.handle(self.request, _("Unable to read the images from the image "
                                              "service."))
            return None
        for missing in sorted(found.missing):
            messages.warning(self.request, MISSING[missing])
        return found

    def get_golden_data(self):
        board = self.board()
        return board.golden if board else []

    def get_candidates_data(self):
        board = self.board()
        return board.candidates if board else []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        board = self.board()
        context["unavailable"] = board is None
        context["profiles"] = board.profiles if board else []
        return context


def _entry(request, image_id):
    try:
        return catalog.entry(api.context.for_request(request), image_id)
    except Exception:
        exceptions.handle(request, _('Unable to retrieve image "%s".') % image_id,
                          redirect=reverse(INDEX))


def _checks(entry):
    return [(catalog_tables.CHECK_TITLES[c.key], c, texts.reason(c)) for c in entry.checks]


class DetailView(horizon_views.HorizonTemplateView):
    template_name = "heps_desktops/admin/golden_images/detail.html"
    page_title = "{{ entry.image.name }}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry = _entry(self.request, self.kwargs["image_id"])
        context.update({"entry": entry, "checks": _checks(entry), "url": reverse(INDEX),
                        "edit_url": reverse("horizon:admin:golden_images:edit",
                                            args=[entry.id])})
        return context


class EditView(forms.ModalFormView):
    form_class = catalog_forms.EditForm
    template_name = "heps_desktops/admin/golden_images/edit.html"
    page_title = _("Edit Catalog Entry")
    submit_label = _("Save")
    success_url = reverse_lazy(INDEX)

    @memoized.memoized_method
    def get_object(self):
        return _entry(self.request, self.kwargs["image_id"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry = self.get_object()
        context.update({"entry": entry, "checks": _checks(entry),
                        "submit_url": reverse("horizon:admin:golden_images:edit",
                                              args=[entry.id])})
        return context

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["entry"] = self.get_object()
        return kwargs
