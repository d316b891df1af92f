"""Golden Images tables: the catalog and the candidates, each image with its checklist."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import exceptions
from horizon import tables

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import golden_checks
from heps_desktop_dashboard.dashboards.admin.golden_images import forms as catalog_forms
from heps_desktop_dashboard.dashboards.admin.golden_images import texts
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.dashboards.project.desktops.texts import rule_error
from heps_desktop_dashboard.services import catalog

ADMIN_RULES = (("image", "context_is_admin"),)
CHECK_TITLES = {
    golden_checks.ORIGIN: _("Origin"),
    golden_checks.STATUS: _("Status"),
    golden_checks.DISK_FORMAT: _("Disk format"),
    golden_checks.VIDEO: _("Video model"),
    golden_checks.GUEST_AGENT: _("Guest agent"),
    golden_checks.MIN_RAM: _("Min RAM"),
    golden_checks.MIN_DISK: _("Min disk"),
    golden_checks.VISIBILITY: _("Visibility"),
    golden_checks.GPU_DRIVER: _("GPU driver"),
    golden_checks.CATALOG_TEXT: _("Catalog text"),
}
STATUS_TEXT = {golden_checks.PASS: _("pass"), golden_checks.WARN: _("warn"),
               golden_checks.FAIL: _("fail")}
ICONS = {golden_checks.PASS: "check", golden_checks.WARN: "exclamation-triangle",
         golden_checks.FAIL: "times"}


def checklist_html(entry):
    """The checks of an entry as small labelled icons, the reason on hover."""
    return format_html(
        '<span class="heps-checklist" data-verdict="{}">{}</span>', entry.verdict,
        format_html_join("", '<span class="heps-check heps-check-{}" data-check="{}" '
                         'title="{}: {}"><i class="fa fa-{}"></i> {}</span>',
                         ((c.status, c.key, STATUS_TEXT[c.status], texts.reason(c),
                           ICONS[c.status], CHECK_TITLES[c.key]) for c in entry.checks)))


def name_link(entry):
    return format_html('<a href="{}">{}</a>',
                       reverse("horizon:admin:golden_images:detail", args=[entry.id]),
                       entry.image.name or entry.id)


def techniques_text(entry):
    return ", ".join(entry.image.techniques) or "—"


class EditEntry(tables.LinkAction, PolicyOncePerRequest):
    name = "edit"
    verbose_name = _("Edit Catalog Entry")
    url = "horizon:admin:golden_images:edit"
    classes = ("ajax-modal",)
    icon = "pencil"
    policy_rules = ADMIN_RULES

    def get_link_url(self, datum):
        return reverse(self.url, args=[datum.id])


class _CatalogBatch(tables.BatchAction, PolicyOncePerRequest):
    policy_rules = ADMIN_RULES

    def change(self, ctx, image_id):
        raise NotImplementedError

    def action(self, request, obj_id):
        try:
            self.change(api.context.for_request(request), obj_id)
        except catalog.Refused as exc:
            exceptions.handle(request, rule_error(exc, catalog_forms.FIELD_TEXTS),
                              escalate=True, details="")


class MarkGolden(_CatalogBatch):
    name = "mark"
    classes = ("btn-confirm",)
    help_text = _("The images appear in the launch form of every project that sees them.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Mark as Golden", "Mark as Golden", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Marked as golden", "Marked as golden", count)

    def change(self, ctx, image_id):
        catalog.mark(ctx, image_id)

    def allowed(self, request, datum=None):
        return datum is None or datum.image.status == "active"


class UnmarkGolden(_CatalogBatch):
    name = "unmark"
    classes = ("btn-danger",)
    help_text = _("The images leave the launch form; running desktops are not affected.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Remove from Catalog", "Remove from Catalog", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Removed from the catalog", "Removed from the catalog", count)

    def change(self, ctx, image_id):
        catalog.unmark(ctx, image_id)


class _Gone:
    """A posted image id that is no longer on the page: the service reads it again."""

    def __init__(self, image_id):
        self.id = image_id
        self.image = type("Image", (), {"status": "active", "name": image_id})()


class _CatalogTable(tables.DataTable):
    name_col = tables.Column(name_link, verbose_name=_("Name"))
    owner = tables.Column("owner_name", verbose_name=_("Owner"), empty_value="—")
    visibility = tables.Column(lambda e: e.image.visibility, verbose_name=_("Visibility"))
    disk_format = tables.Column(lambda e: e.image.disk_format or "—",
                                verbose_name=_("Format"))
    checks = tables.Column(checklist_html, verbose_name=_("Validation"))

    def get_object_by_id(self, lookup):
        for datum in self.data or ():
            if datum.id == lookup:
                return datum
        return _Gone(lookup)

    def get_object_display(self, datum):
        return datum.image.name or datum.id


class GoldenTable(_CatalogTable):
    techniques = tables.Column(techniques_text, verbose_name=_("Techniques"))
    gpu_driver = tables.Column(lambda e: e.image.gpu_driver or "—",
                               verbose_name=_("GPU driver"))

    class Meta:
        name = "golden"
        verbose_name = _("Golden images (the launch form's catalog)")
        columns = ("name_col", "techniques", "owner", "visibility", "disk_format",
                   "gpu_driver", "checks")
        table_actions = (UnmarkGolden,)
        row_actions = (EditEntry, UnmarkGolden)


class CandidatesTable(_CatalogTable):
    class Meta:
        name = "candidates"
        verbose_name = _("Candidates (other active images)")
        table_actions = (MarkGolden,)
        row_actions = (MarkGolden, EditEntry)
