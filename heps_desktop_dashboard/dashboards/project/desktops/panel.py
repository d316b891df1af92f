import horizon
from django.utils.translation import gettext_lazy as _


class Desktops(horizon.Panel):
    name = _("Desktops")
    slug = "desktops"
    permissions = ("openstack.services.compute",)
    policy_rules = (("compute", "os_compute_api:servers:index"),)
