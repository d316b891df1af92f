"""The Network tab of a desktop: its ports, the security groups on them with their
effective rules (read-only), and its public addresses."""

from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs

from heps_desktop_dashboard import api
from heps_desktop_dashboard.services import network_policy


class NetworkTab(tabs.Tab):
    name = _("Network")
    slug = "network"
    template_name = "heps_desktops/desktops/_detail_network.html"
    preload = False
    policy_rules = (("network", "get_security_group"),)

    def get_context_data(self, request):
        desktop = self.tab_group.kwargs["desktop"]
        try:
            view = network_policy.effective(api.context.for_request(request), desktop.id)
        except Exception:
            view = None
            exceptions.handle(request, _("Unable to read the desktop's network rules."),
                              ignore=True)
        return {"desktop": desktop, "network": view}
