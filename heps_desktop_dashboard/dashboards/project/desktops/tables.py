"""The Desktops table: one row per desktop, few row actions, polled while in transition."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from horizon import tables
from horizon.utils import filters

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops import actions
from heps_desktop_dashboard.dashboards.project.desktops import choices
from heps_desktop_dashboard.dashboards.project.desktops import rows
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.dashboards.project.desktops.storage import actions as storage_actions
from heps_desktop_dashboard.dashboards.project.desktops.storage import texts as storage_texts
from heps_desktop_dashboard.dashboards.project.desktops.usage import links as usage_links
from heps_desktop_dashboard.services import access

# CSS class of a row the viewer may not open (someone else's desktop): greyed.
FOREIGN_ROW_CLASS = "heps-foreign-desktop"


def expiry_text(row):
    if row.expires_at is None:
        return _("Never")
    if row.info.expiry_problem:
        return format_html('<span class="label label-danger" title="{}">{}</span>',
                           _("The expiry was changed outside the dashboard or is missing: "
                             "the desktop expires at this time."), row.time_left)
    if rows.expiry_warning(row):
        return format_html('<span class="label label-warning" title="{}">{}</span>',
                           _("Extend it to keep it"), row.time_left)
    return row.time_left


class UpdateRow(tables.Row):
    """Polled by Horizon while a row is in transition: one nova GET (and one glance GET
    when this Horizon process has not seen the desktop's image name yet)."""

    ajax = True

    def get_data(self, request, desktop_id):
        # Reads only: an attach/detach under way is moved on by the reconciler.
        ctx = api.context.for_request(request)
        server = api.nova.desktop_get(ctx, desktop_id)
        return rows.DesktopRow(server, rows.images_for_update(request, server), viewer=ctx,
                               names=rows.member_names(ctx, [server]))

    def load_cells(self, datum=None):
        super().load_cells(datum)
        if self.datum is not None and not self.datum.allows(access.DETAIL):
            self.classes.append(FOREIGN_ROW_CLASS)


class LaunchDesktop(tables.LinkAction, PolicyOncePerRequest):
    name = "launch"
    verbose_name = _("Launch Desktop")
    url = "horizon:project:desktops:launch"
    classes = ("ajax-modal", "btn-launch")
    icon = "cloud-upload"
    policy_rules = (("compute", "os_compute_api:servers:create"),)


class DesktopsFilter(tables.FilterAction):
    # Filters the page already fetched: no extra API call.
    def filter(self, table, rows, filter_string):
        needle = filter_string.lower()
        return [
            row for row in rows
            if needle in row.name.lower()
            or needle in row.experiment.lower()
            or needle in row.profile.lower()
        ]


def detail_link(row):
    """The desktop's page, for rows the viewer may open (not someone else's)."""
    if not row.allows(access.DETAIL):
        return None
    return reverse("horizon:project:desktops:detail", args=[row.id])


def owner_text(row):
    if row.access == access.NONE:
        return format_html('{} <span class="help-block heps-owner-note">{}</span>',
                           row.owner_name, _("someone else's desktop"))
    if row.access in (access.VIEW, access.CONTROL, access.SUPPORT):
        return format_html('{} <span class="label label-info" title="{}">{}</span>',
                           row.owner_name, row.access_display, row.access)
    return row.owner_name


def empty_message():
    return format_html(
        '{} <a href="{}" class="ajax-modal">{}</a>',
        _("You have no experiment desktops."),
        reverse("horizon:project:desktops:launch"),
        _("Launch a desktop"),
    )


class DesktopsTable(tables.DataTable):
    name = tables.WrappingColumn("name", verbose_name=_("Name"), link=detail_link)
    status = tables.Column(
        "status",
        verbose_name=_("Status"),
        status=True,
        status_choices=choices.STATUS_CHOICES,
        display_choices=choices.STATUS_DISPLAY_CHOICES,
    )
    task = tables.Column(
        "task_state",
        verbose_name=_("Task"),
        empty_value="—",
        status=True,
        status_choices=choices.TASK_STATUS_CHOICES,
        display_choices=choices.TASK_DISPLAY_CHOICES,
    )
    owner = tables.Column(owner_text, verbose_name=_("Owner"))
    profile = tables.Column(storage_texts.profile_html, verbose_name=_("Profile"))
    image = tables.Column("image_name", verbose_name=_("Image"))
    experiment = tables.Column("experiment", verbose_name=_("Experiment"), empty_value="—")
    created = tables.Column(
        "created",
        verbose_name=_("Created"),
        filters=(filters.parse_isotime, filters.timesince_sortable),
        attrs={"data-type": "timesince"},
    )
    expires = tables.Column(expiry_text, verbose_name=_("Expires in"))

    def get_object_by_id(self, lookup):
        """The row of a posted id: from this page, else read from nova and re-checked
        (project, tag), so a detail-page action works whatever page the desktop is on."""
        ctx = api.context.for_request(self.request)
        for datum in self.data or ():
            if self.get_object_id(datum) == lookup:
                # A posted action (from the detail page too): every action applies, not
                # only those a list row renders.
                return rows.DesktopRow(datum.server, detail=True, viewer=ctx)
        try:
            server = api.nova.desktop_get(ctx, lookup)
        except Exception:
            return rows.MissingDesktop(lookup)
        return rows.DesktopRow(server, detail=True, viewer=ctx)

    def get_empty_message(self):
        return empty_message()

    def get_object_display(self, datum):
        return datum.name

    class Meta:
        name = "desktops"
        verbose_name = _("Experiment Desktops")
        status_columns = ("status", "task")
        row_class = UpdateRow
        table_actions = ((DesktopsFilter, LaunchDesktop, usage_links.ShowUsage,
                          storage_actions.CreateMyStorage) + actions.TABLE_ACTIONS)
        row_actions = actions.DETAIL_ACTIONS
