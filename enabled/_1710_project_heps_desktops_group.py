# The "Experiment Desktops" panel group in the Project dashboard.
from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard import exceptions

PANEL_GROUP = "heps_desktops"
PANEL_GROUP_NAME = _("Experiment Desktops")
PANEL_GROUP_DASHBOARD = "project"

ADD_INSTALLED_APPS = ["heps_desktop_dashboard"]
# The plugin's own errors become Horizon messages, never an HTTP 500.
ADD_EXCEPTIONS = {"recoverable": exceptions.RECOVERABLE}
AUTO_DISCOVER_STATIC_FILES = True
