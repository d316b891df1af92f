"""Base classes shared by the desktop actions (actions.py, experiment_actions.py)."""

from django.urls import reverse
from horizon import tables

from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyOncePerRequest
from heps_desktop_dashboard.services import access


class DesktopModalAction(tables.LinkAction, PolicyOncePerRequest):
    """A link opening a modal about one desktop (``url`` takes the desktop id), shown
    only when the user's level on it allows ``needs`` (the view checks it again)."""

    classes = ("ajax-modal",)
    needs = access.MANAGE

    def get_link_url(self, datum):
        return reverse(self.url, args=[datum.id])

    def _allowed(self, request, datum):
        if datum is not None and not datum.allows(self.needs):
            return False
        return super()._allowed(request, datum)

    def allowed(self, request, datum=None):
        return datum is None or datum.task_state != "deleting"
