"""Admin › Desktop Quotas: the board (one services/quotas.board call), a project's quota
modal and the default limits modal. The panel's policy guards every URL."""

from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages
from horizon import tables
from horizon.utils import memoized

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import quota_admin
from heps_desktop_dashboard.dashboards.admin.desktop_quotas import forms as quota_forms
from heps_desktop_dashboard.dashboards.admin.desktop_quotas import storage
from heps_desktop_dashboard.dashboards.admin.desktop_quotas import tables as quota_tables
from heps_desktop_dashboard.services import quotas
from heps_desktop_dashboard.services import quotas_cinder

INDEX = "horizon:admin:desktop_quotas:index"
MISSING = {
    quotas.KEYSTONE: _("Keystone's limits cannot be read right now: limits are shown as "
                       "unknown."),
    quotas.NOVA: _("Nova's quotas cannot be read right now: desktop, vCPU and RAM usage "
                   "may be missing."),
    quotas.PLACEMENT: _("Placement cannot be read right now: GPU usage is unknown."),
    quotas_cinder.CINDER: storage.MISSING,
}
DRIVERS = {
    quota_admin.UNIFIED: _("Nova enforces keystone unified limits (its unified-limits "
                           "quota driver): the limits below are keystone's, and so are "
                           "your changes. GPU classes are limited per project."),
    quota_admin.LEGACY: _("Nova uses its legacy quota driver: desktops, vCPUs and RAM are "
                          "nova quotas, and nova does not limit GPUs per project (GPU "
                          "usage is shown only)."),
    quota_admin.UNKNOWN: _("Which quota driver nova uses cannot be told right now "
                           "(keystone or nova did not answer): nothing can be changed."),
}

EVIDENCE = {
    quota_admin.UNREADABLE: _("unreadable"),
    quota_admin.KEYSTONE_UNREADABLE: _("keystone unreadable"),
    quota_admin.NOTHING_COMPARED: _("nothing to compare"),
    quota_admin.DIFFERS: _("nova reports %(name)s=%(nova)s, keystone %(keystone)s"),
    quota_admin.SAME: _("nova reports keystone's limits (%(compared)s compared)"),
}


def evidence_text(evidence):
    """core.quota_admin.Evidence in the admin's language (as it is, without a code)."""
    text = EVIDENCE.get(getattr(evidence, "code", None))
    if text is None:
        return evidence
    return text % evidence.params if evidence.params else str(text)


class IndexView(tables.DataTableView):
    template_name = "heps_desktops/admin/desktop_quotas/index.html"
    page_title = _("Desktop Quotas")

    @memoized.memoized_method
    def board(self):
        try:
            found = quotas.board(api.context.for_request(self.request))
        except Exception:
            exceptions.handle(self.request, _("Unable to read the projects from keystone."))
            return None
        for missing in sorted(found.missing):
            messages.warning(self.request, MISSING[missing])
        return found

    def _make_table_class(self):
        # a column per GPU class: the table class is made for this page's board
        if self.table_class is None:
            board = self.board()
            self.table_class = quota_tables.table_for(board.classes if board else [],
                                                      board.storage if board else [])

    def get_tables(self):
        self._make_table_class()
        return super().get_tables()

    def get_table(self):
        # a POST asks for the table first (Horizon's server-filter check): no 500
        self._make_table_class()
        return super().get_table()

    def get_data(self):
        board = self.board()
        return board.projects if board else []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        board = self.board()
        driver = board.driver if board else quota_admin.UNKNOWN
        context.update({
            "unavailable": board is None,
            "driver": driver,
            "driver_text": DRIVERS[driver],
            "evidence": evidence_text(board.evidence) if board else "",
            "over": len(board.over) if board else 0,
            "defaults": [(quota_tables.label(resource), quota_tables.amount(resource, value))
                         for resource, value in (board.defaults.items() if board else ())
                         if resource in quota_admin.BASE or quota_admin.gpu_class_of(resource)],
        })
        return context


class EditView(forms.ModalFormView):
    form_class = quota_forms.QuotaForm
    template_name = "heps_desktops/admin/desktop_quotas/edit.html"
    page_title = _("Edit Project Quotas")
    submit_label = _("Save")
    success_url = reverse_lazy(INDEX)

    @memoized.memoized_method
    def get_object(self):
        ctx = api.context.for_request(self.request)
        try:
            return quotas.project_edit(ctx, self.kwargs["project_id"])
        except KeyError:
            message = _("Keystone has no project %s.") % self.kwargs["project_id"]
        except quotas.QuotaRefused as exc:
            message = _("Unable to read the quotas: %s") % exc
        except Exception:
            message = _("Unable to read the quotas of the project: a service did not "
                        "answer.")
        messages.error(self.request, message)
        raise exceptions.Http302(reverse(INDEX))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        edit = self.get_object()
        context.update({"edit": edit, "driver_text": DRIVERS[edit.driver],
                        "submit_url": reverse("horizon:admin:desktop_quotas:edit",
                                              args=[self.kwargs["project_id"]])})
        return context

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["edit"] = self.get_object()
        return kwargs


class DefaultsView(forms.ModalFormView):
    form_class = quota_forms.DefaultsForm
    template_name = "heps_desktops/admin/desktop_quotas/defaults.html"
    page_title = _("Edit Default Limits")
    submit_label = _("Save")
    success_url = reverse_lazy(INDEX)

    @memoized.memoized_method
    def get_object(self):
        try:
            return quotas.defaults_edit(api.context.for_request(self.request))
        except quotas.QuotaRefused as exc:
            message = _("Unable to read the default limits: %s") % exc
        except Exception:
            message = _("Unable to read the default limits: a service did not answer.")
        messages.error(self.request, message)
        raise exceptions.Http302(reverse(INDEX))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        driver = self.get_object()[0]
        context.update({"driver": driver, "driver_text": DRIVERS[driver],
                        "submit_url": reverse("horizon:admin:desktop_quotas:defaults")})
        return context

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["defaults"] = self.get_object()
        return kwargs
