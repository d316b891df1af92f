"""Base classes shared by the desktop actions (actions.py, experiment_actions.py)."""

from django.urls import reverse
from horizon import tables

from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest


class DesktopModalAction(tables.LinkAction, PolicyOncePerRequest):
    """A link opening a modal about one desktop (``url`` takes the desktop id)."""

    classes = ("ajax-modal",)

    def get_link_url(self, datum):
        return reverse(self.url, args=[datum.id])

    def allowed(self, request, datum=None):
        return datum is None or datum.task_state != "deleting"
