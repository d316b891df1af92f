"""Status and task words of desktops (shared by the table and the rows)."""

from django.utils.translation import pgettext_lazy
from openstack_dashboard.dashboards.project.instances import tables as instance_tables

from heps_desktop_dashboard.core import mounts

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
