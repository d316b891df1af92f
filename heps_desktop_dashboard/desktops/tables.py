import copy

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from horizon import tables
from horizon.utils import filters
from openstack_dashboard.dashboards.project.instances import tables as instance_tables

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.desktops import actions
from heps_desktop_dashboard.desktops import experiments
from heps_desktop_dashboard.desktops import rows
from heps_desktop_dashboard.desktops.policy import PolicyOncePerRequest

# The words a scientist needs where a desktop differs from a plain instance (a shelved
# desktop has given its GPU back), then Horizon's own words for every other nova state.
# Horizon shows the first match, so ours come first.
TASK_DISPLAY_CHOICES = (
    ("scheduling", pgettext_lazy("Task status of a desktop", "Finding a GPU host")),
    ("spawning", pgettext_lazy("Task status of a desktop", "Booting")),
    ("networking", pgettext_lazy("Task status of a desktop", "Booting")),
    ("block_device_mapping", pgettext_lazy("Task status of a desktop", "Booting")),
    ("powering-off", pgettext_lazy("Task status of a desktop", "Stopping")),
    ("powering-on", pgettext_lazy("Task status of a desktop", "Starting")),
    ("shelving", pgettext_lazy("Task status of a desktop", "Shelving — GPU released")),
    ("shelving_image_pending_upload",
     pgettext_lazy("Task status of a desktop", "Shelving — GPU released")),
    ("shelving_image_uploading",
     pgettext_lazy("Task status of a desktop", "Shelving — GPU released")),
    ("shelving_offloading",
     pgettext_lazy("Task status of a desktop", "Shelving — GPU released")),
    ("unshelving", pgettext_lazy("Task status of a desktop", "Unshelving — finding a GPU")),
    (mounts.TASK_ATTACHING_DATA,
     pgettext_lazy("Task status of a desktop", "Attaching experiment data")),
    (mounts.TASK_DETACHING_DATA,
     pgettext_lazy("Task status of a desktop", "Detaching experiment data")),
) + instance_tables.TASK_DISPLAY_CHOICES
STATUS_DISPLAY_CHOICES = (
    ("shutoff", pgettext_lazy("Current status of a desktop", "Stopped")),
    ("shelved_offloaded",
     pgettext_lazy("Current status of a desktop", "Shelved — GPU released")),
    ("build", pgettext_lazy("Current status of a desktop", "Booting")),
) + instance_tables.STATUS_DISPLAY_CHOICES
STATUS_CHOICES = instance_tables.InstancesTable.STATUS_CHOICES
TASK_STATUS_CHOICES = instance_tables.InstancesTable.TASK_STATUS_CHOICES


def expiry_text(row):
    if row.expires_at is None:
        if row.metadata_problems:
            return _("Invalid expiry")
        return _("Never")
    if rows.expiry_warning(row):
        return format_html('<span class="label label-warning" title="{}">{}</span>',
                           _("Extend it to keep it"), row.time_left)
    return row.time_left


class UpdateRow(tables.Row):
    """Polled by Horizon while a row is in transition: one nova GET (a few more calls only
    while experiment data is being attached or detached, and one glance GET when this
    Horizon process has not seen the desktop's image name yet)."""

    ajax = True

    def get_data(self, request, desktop_id):
        server = api.nova.desktop_get(request, desktop_id)
        # One more step of an experiment-data attach/detach, if one is under way (no
        # extra call otherwise).
        server = experiments.progress(request, server)
        return rows.DesktopRow(server, rows.images_for_update(request, server))


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


def empty_message():
    return format_html(
        '{} <a href="{}" class="ajax-modal">{}</a>',
        _("You have no experiment desktops."),
        reverse("horizon:project:desktops:launch"),
        _("Launch a desktop"),
    )


class DesktopsTable(tables.DataTable):
    name = tables.WrappingColumn("name", verbose_name=_("Name"),
                                 link="horizon:project:desktops:detail")
    status = tables.Column(
        "status",
        verbose_name=_("Status"),
        status=True,
        status_choices=STATUS_CHOICES,
        display_choices=STATUS_DISPLAY_CHOICES,
    )
    task = tables.Column(
        "task_state",
        verbose_name=_("Task"),
        empty_value="—",
        status=True,
        status_choices=TASK_STATUS_CHOICES,
        display_choices=TASK_DISPLAY_CHOICES,
    )
    profile = tables.Column("profile", verbose_name=_("Profile"))
    image = tables.Column("image_name", verbose_name=_("Image"))
    experiment = tables.Column("experiment", verbose_name=_("Experiment"), empty_value="—")
    created = tables.Column(
        "created",
        verbose_name=_("Created"),
        filters=(filters.parse_isotime, filters.timesince_sortable),
        attrs={"data-type": "timesince"},
    )
    expires = tables.Column(expiry_text, verbose_name=_("Expires in"))

    def __init__(self, request, *args, detail=False, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Every action is declared (so a POST from the detail page is handled), but list
        # rows only render the few a scientist needs there: each costs time per row.
        self._row_action_names = (
            None if detail else {action.name for action in actions.ROW_ACTIONS})

    def get_row_actions(self, datum):
        if self._row_action_names is None:
            return super().get_row_actions(datum)
        bound = []
        for action in self._meta.row_actions:
            if action.name not in self._row_action_names:
                continue
            bound_action = copy.copy(self.base_actions[action.name])
            bound_action.attrs = copy.copy(bound_action.attrs)
            bound_action.datum = datum
            if not self._filter_action(bound_action, self.request, datum):
                continue
            bound_action.update(self.request, datum)
            if isinstance(bound_action, tables.LinkAction):
                bound_action.bound_url = bound_action.get_link_url(datum)
            bound.append(bound_action)
        return bound

    def get_empty_message(self):
        return empty_message()

    def get_object_display(self, datum):
        return datum.name

    class Meta:
        name = "desktops"
        verbose_name = _("Experiment Desktops")
        status_columns = ("status", "task")
        row_class = UpdateRow
        table_actions = (DesktopsFilter, LaunchDesktop) + actions.TABLE_ACTIONS
        row_actions = actions.DETAIL_ACTIONS
