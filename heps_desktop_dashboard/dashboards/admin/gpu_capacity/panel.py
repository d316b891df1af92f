from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.dashboards.admin.base import AdminPanel


class GpuCapacity(AdminPanel):
    """Admin › Experiment Desktops › GPU Capacity: placement's GPUs, free and held."""

    name = _("GPU Capacity")
    slug = "gpu_capacity"
    permissions = ("openstack.services.compute",)
    # As Horizon's Admin › Instances panel: compute's admin rule, on every URL.
    policy_rules = (("compute", "context_is_admin"),)
