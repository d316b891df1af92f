"""The project quota table: a row per project, a column per resource (one per GPU class,
so the table class is built per page), over-quota rows highlighted."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from horizon import tables

from heps_desktop_dashboard.core import quota_admin
from heps_desktop_dashboard.dashboards.admin.desktop_quotas import storage
from heps_desktop_dashboard.dashboards.admin.desktops.actions import ADMIN_RULES
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest

LABELS = {
    quota_admin.SERVERS: _("Desktops"),
    quota_admin.VCPU: _("vCPUs"),
    quota_admin.MEMORY: _("RAM"),
}


def label(resource):
    return (LABELS.get(resource) or storage.label(resource)
            or quota_admin.gpu_class_of(resource) or resource)


def amount(resource, value):
    """A limit or usage in the admin's units (RAM in GiB when whole)."""
    if value is None:
        return "∞"
    if resource == quota_admin.MEMORY and value:
        return f"{value // 1024} GiB" if value % 1024 == 0 else f"{value} MiB"
    return str(value)


def limit_text(line):
    if not line.known:
        return _("unknown")
    if not line.enforced:
        return _("not limited")
    return amount(line.resource, line.limit)


def cell_html(line):
    if line is None:
        return "—"
    used = "?" if line.used is None else amount(line.resource, line.used)
    parts = [format_html('<span class="heps-quota-used">{}</span> / '
                         '<span class="heps-quota-limit">{}</span>', used, limit_text(line))]
    if line.default and line.enforced and line.known:
        parts.append(format_html('&nbsp;<small class="text-muted">{}</small>', _("(default)")))
    if line.over:
        parts.append(format_html('&nbsp;<span class="label label-danger">{}</span>',
                                 _("over quota")))
    return format_html_join("", "{}", ((part,) for part in parts))


def _cell(resource):
    def transform(datum):
        return cell_html(datum.lines.get(resource))

    transform.__name__ = f"quota_{resource}"
    return transform


def status_html(datum):
    over = datum.over
    if not over:
        return format_html('<span class="text-success">{}</span>', _("Within quota"))
    return format_html('<span class="label label-danger heps-over-quota">{}</span> {}',
                       _("Over quota"), ", ".join(str(label(line.resource))
                                                  for line in over))


class EditQuotas(tables.LinkAction, PolicyOncePerRequest):
    name = "edit"
    verbose_name = _("Edit Quotas")
    url = "horizon:admin:desktop_quotas:edit"
    classes = ("ajax-modal",)
    icon = "pencil"
    policy_rules = ADMIN_RULES

    def get_link_url(self, datum):
        return reverse(self.url, args=[datum.project_id])


class EditDefaults(tables.LinkAction, PolicyOncePerRequest):
    name = "defaults"
    verbose_name = _("Edit Default Limits")
    url = "horizon:admin:desktop_quotas:defaults"
    classes = ("ajax-modal",)
    icon = "pencil"
    policy_rules = ADMIN_RULES

    def get_link_url(self, datum=None):
        return reverse(self.url)


class ProjectRow(tables.Row):
    def load_cells(self, datum=None):
        super().load_cells(datum)
        if self.datum is not None and self.datum.over:
            self.classes.extend(["danger", "heps-over-quota-row"])


class QuotasTableBase(tables.DataTable):
    def get_object_id(self, datum):
        return datum.project_id

    def get_object_display(self, datum):
        return datum.name


def table_for(gpu_classes, storage_resources=()):
    """The table class of a page: a column per base resource, per GPU class and per
    block-storage quota (Cinder, when it can be read)."""
    columns = {"project": tables.Column("name", verbose_name=_("Project"))}
    resources = (quota_admin.BASE + tuple(quota_admin.gpu_resource(rc) for rc in gpu_classes)
                 + tuple(storage_resources))
    for index, resource in enumerate(resources):
        columns[f"resource_{index}"] = tables.Column(
            _cell(resource), verbose_name=label(resource),
            attrs={"data-resource": resource})
    columns["status"] = tables.Column(status_html, verbose_name=_("Status"))

    class Meta:
        name = "quotas"
        verbose_name = _("Project quotas")
        row_class = ProjectRow
        table_actions = (EditDefaults,)
        row_actions = (EditQuotas, storage.EditStorageQuotas)

    return type("QuotasTable", (QuotasTableBase,), {**columns, "Meta": Meta})
