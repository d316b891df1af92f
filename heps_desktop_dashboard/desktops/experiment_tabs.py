"""The desktop detail page's "Experiment data" tab."""

from django.utils.translation import gettext_lazy as _
from horizon import tabs
from openstack_dashboard.api import base

from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.desktops import experiments


class ExperimentDataTab(tabs.Tab):
    name = _("Experiment data")
    slug = "experiment_data"
    template_name = "heps_desktops/desktops/_experiment_data.html"
    # Loaded on demand: it reads Manila (and moves an attach/detach on by one step).
    preload = False

    def allowed(self, request):
        return base.is_service_enabled(request, manila.SERVICE_TYPE)

    def get_context_data(self, request):
        return experiments.data_context(request, self.tab_group.kwargs["desktop"])
