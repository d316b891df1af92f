"""Block-storage quotas on Admin › Desktop Quotas: the column labels, the row action and
the modal editing one project's Cinder quotas (services/quotas_cinder.py)."""

import logging

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
from heps_desktop_dashboard.dashboards.admin.desktops.actions import ADMIN_RULES
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.services import quotas_cinder

LOG = logging.getLogger(__name__)
INDEX = "horizon:admin:desktop_quotas:index"
LABELS = {
    "volumes": _("Volumes"),
    "gigabytes": _("Volume GB"),
    "backups": _("Backups"),
    "backup_gigabytes": _("Backup GB"),
}
TYPE_LABELS = {"volumes": _("Volumes (%s)"), "gigabytes": _("GB (%s)")}
MISSING = _("Block storage (Cinder) cannot be read right now: its quotas are not shown.")


def label(resource):
    """The column label of a Cinder quota line, or "" for any other resource."""
    name = quotas_cinder.cinder_name(resource)
    if not name:
        return ""
    if name in LABELS:
        return LABELS[name]
    for base, text in TYPE_LABELS.items():
        if name.startswith(base + "_"):
            return text % name[len(base) + 1:]
    return name


class EditStorageQuotas(tables.LinkAction, PolicyOncePerRequest):
    name = "edit_storage"
    verbose_name = _("Edit Block Storage Quotas")
    url = "horizon:admin:desktop_quotas:edit_storage"
    classes = ("ajax-modal",)
    icon = "hdd-o"
    policy_rules = ADMIN_RULES

    def allowed(self, request, datum=None):
        return quotas_cinder.available(api.context.for_request(request))

    def get_link_url(self, datum):
        return reverse(self.url, args=[datum.project_id])


def _field_name(resource):
    return "cinder_" + quotas_cinder.cinder_name(resource).replace("-", "__")


class StorageQuotaForm(forms.SelfHandlingForm):
    def __init__(self, request, *args, **kwargs):
        self.project_id, self.project_name, self.lines = kwargs.pop("storage")
        super().__init__(request, *args, **kwargs)
        for resource, line in self.lines.items():
            text = label(resource)
            if line.used is not None:
                text = _("%(label)s — %(used)s in use") % {"label": text, "used": line.used}
            field = forms.IntegerField(label=text, required=False, min_value=0,
                                       max_value=quota_admin.LIMIT_MAX,
                                       help_text=_("Empty: unlimited."))
            field.initial = line.limit
            self.fields[_field_name(resource)] = field

    def handle(self, request, data):
        cleaned = {r: data.get(_field_name(r)) for r in self.lines}
        initial = {r: line.limit for r, line in self.lines.items()}
        changes = quota_admin.changes(initial, cleaned,
                                      {r: line.used for r, line in self.lines.items()})
        if not changes:
            messages.info(request, _('Nothing changed for "%s".') % self.project_name)
            return True
        try:
            quotas_cinder.set_project(api.context.for_request(request), self.project_id,
                                      self.project_name, changes)
        except quotas_cinder.StorageRefused as exc:
            self.api_error(_("Nothing was changed: %s") % exc)
            return False
        except Exception as exc:
            LOG.warning("Cinder quota update of %s failed: %s", self.project_id, exc)
            self.api_error(_("Unable to update the block storage quotas: Cinder did not "
                             "answer; try again later."))
            return False
        messages.success(request, _('Block storage quotas of "%s" updated.')
                         % self.project_name)
        return True

    def get_success_url(self):
        return reverse(INDEX)


class StorageEditView(forms.ModalFormView):
    form_class = StorageQuotaForm
    template_name = "heps_desktops/admin/desktop_quotas/storage.html"
    page_title = _("Edit Block Storage Quotas")
    submit_label = _("Save")
    success_url = reverse_lazy(INDEX)

    @memoized.memoized_method
    def get_object(self):
        ctx = api.context.for_request(self.request)
        project_id = self.kwargs["project_id"]
        try:
            names = api.identity_names.project_names(ctx)
            if project_id not in names:
                message = _("Keystone has no project %s.") % project_id
            elif not quotas_cinder.available(ctx):
                message = MISSING
            else:
                return project_id, names[project_id], quotas_cinder.project_lines(
                    ctx, project_id)
        except Exception:
            message = MISSING
        messages.error(self.request, message)
        raise exceptions.Http302(reverse(INDEX))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"project_name": self.get_object()[1],
                        "submit_url": reverse("horizon:admin:desktop_quotas:edit_storage",
                                              args=[self.kwargs["project_id"]])})
        return context

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["storage"] = self.get_object()
        return kwargs


