"""The profile table: every desktop profile (retired ones last) with its GPU, size,
tuning, who may use it, the desktops that use it, and a flag when no host has its GPU."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from horizon import tables

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import profile_specs
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.core import quota
from heps_desktop_dashboard.dashboards.admin.desktop_profiles import texts
from heps_desktop_dashboard.dashboards.admin.desktops.actions import ADMIN_RULES
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest

GPU_KINDS = {profiles.GPU_PASSTHROUGH: _("Passthrough"), profiles.GPU_VGPU: _("vGPU"),
             profiles.GPU_NONE: _("No GPU")}
DESKTOPS_SHOWN = 5


def name_html(row):
    parts = [format_html("<strong>{}</strong>", row.name)]
    if row.retired:
        parts.append(format_html(' <span class="label label-default heps-retired">{}</span>',
                                 _("Retired")))
        if row.replaced_by:
            parts.append(format_html(' <small>{}</small>',
                                     _("replaced by %s") % row.replaced_by))
    if row.profile is not None and row.profile.description:
        parts.append(format_html('<br><small class="text-muted">{}</small>',
                                 row.profile.description))
    return format_html_join("", "{}", ((part,) for part in parts))


def gpu_html(row):
    if row.profile is None:
        return "—"
    kind = GPU_KINDS.get(row.profile.gpu_kind, row.profile.gpu_kind)
    if row.profile.gpu_kind == profiles.GPU_NONE:
        return kind
    asks = ", ".join(
        f"{r.resource_class}×{r.amount}" + (f" ({', '.join(r.required)})" if r.required else "")
        for r in quota.gpu_requests(row.specs)) or ", ".join(
        f"{rc}×{n}" for rc, n in sorted(row.profile.gpu_resources.items()))
    return format_html('{}: {} × {}<br><small class="text-muted">{}</small>', kind,
                       row.profile.gpu_count, row.profile.gpu_model or "—", asks)


def ram_text(row):
    mb = row.ram_mb
    return f"{mb // 1024} GiB" if mb % 1024 == 0 else f"{mb} MiB"


def tuning_text(row):
    specs = row.specs
    found = []
    if specs.get(profile_specs.CPU_POLICY) == profile_specs.CPU_DEDICATED:
        found.append(str(_("CPU pinning")))
    if specs.get(profile_specs.MEM_PAGE_SIZE) not in (None, "", "small", "any"):
        found.append(str(_("huge pages")))
    model = specs.get(names.SPEC_VIDEO_MODEL)
    if model:
        found.append(str(_("video model %s") % model))
    if specs.get(profile_specs.VIDEO_RAM):
        found.append(str(_("video RAM ≤ %s MiB") % specs[profile_specs.VIDEO_RAM]))
    return ", ".join(found) or "—"


def access_html(row):
    if row.is_public:
        return _("Public")
    if not row.projects:
        return format_html('<span class="text-warning">{}</span>', _("No project"))
    return ", ".join(row.project_names or row.projects)


def desktops_html(row):
    if not row.desktops:
        return format_html('<span class="text-muted">{}</span>', _("none"))
    links = format_html_join(", ", '<a href="{}">{}</a>', (
        (reverse("horizon:admin:desktops:detail", args=[server.id]), server.name)
        for server in row.desktops[:DESKTOPS_SHOWN]))
    more = len(row.desktops) - DESKTOPS_SHOWN
    count = ngettext("%d desktop", "%d desktops", len(row.desktops)) % len(row.desktops)
    return format_html("<strong>{}</strong>: {}{}", count, links,
                       f" … (+{more})" if more > 0 else "")


def status_html(row):
    if row.profile is None:
        return format_html('<span class="label label-danger">{}</span> {}',
                           _("Inconsistent"), row.problem)
    if row.problem:
        return format_html('<span class="label label-danger heps-unsatisfiable">{}</span> '
                           '<small>{}</small>', _("No host can run it"),
                           texts.problem(row))
    if row.retired:
        return _("Hidden from launch; kept for its desktops")
    return format_html('<span class="text-success">{}</span>', _("Offered at launch"))


class CreateProfile(tables.LinkAction, PolicyOncePerRequest):
    name = "create"
    verbose_name = _("Create Profile")
    url = "horizon:admin:desktop_profiles:create"
    classes = ("ajax-modal",)
    icon = "plus"
    policy_rules = ADMIN_RULES


class EditProfile(tables.LinkAction, PolicyOncePerRequest):
    name = "edit"
    verbose_name = _("Edit Profile")
    url = "horizon:admin:desktop_profiles:edit"
    classes = ("ajax-modal",)
    icon = "pencil"
    policy_rules = ADMIN_RULES

    def get_link_url(self, datum):
        return reverse(self.url, args=[datum.id])

    def allowed(self, request, datum=None):
        return datum is None or (not datum.retired and datum.profile is not None)


class DeleteProfile(tables.LinkAction, PolicyOncePerRequest):
    name = "delete"
    verbose_name = _("Delete Profile")
    url = "horizon:admin:desktop_profiles:delete"
    classes = ("ajax-modal", "btn-danger")
    icon = "trash"
    policy_rules = ADMIN_RULES

    def get_link_url(self, datum):
        return reverse(self.url, args=[datum.id])


class ProfileRow(tables.Row):
    def load_cells(self, datum=None):
        super().load_cells(datum)
        if self.datum is not None and self.datum.problem:
            self.classes.append("warning")
        if self.datum is not None and self.datum.retired:
            self.classes.append("heps-retired-row")


class ProfilesTable(tables.DataTable):
    name = tables.Column(name_html, verbose_name=_("Profile"))
    gpu = tables.Column(gpu_html, verbose_name=_("GPU"))
    vcpus = tables.Column("vcpus", verbose_name=_("vCPU"))
    ram = tables.Column(ram_text, verbose_name=_("RAM"))
    disk = tables.Column("disk_gb", verbose_name=_("Disk (GB)"))
    tuning = tables.Column(tuning_text, verbose_name=_("Tuning"))
    access = tables.Column(access_html, verbose_name=_("Projects"))
    desktops = tables.Column(desktops_html, verbose_name=_("Used by"))
    status = tables.Column(status_html, verbose_name=_("Status"))

    def get_object_id(self, datum):
        return datum.id

    def get_object_display(self, datum):
        return datum.name

    class Meta:
        name = "profiles"
        verbose_name = _("Desktop profiles")
        row_class = ProfileRow
        table_actions = (CreateProfile,)
        row_actions = (EditProfile, DeleteProfile)
