"""The only code that builds sessions and clients and speaks HTTP to OpenStack.

One module per service; every function takes an api context (api/context.py).
"""

from heps_desktop_dashboard.api import cinder  # noqa: F401
from heps_desktop_dashboard.api import context  # noqa: F401
from heps_desktop_dashboard.api import flavors_admin  # noqa: F401
from heps_desktop_dashboard.api import glance  # noqa: F401
from heps_desktop_dashboard.api import identity_names  # noqa: F401
from heps_desktop_dashboard.api import images_admin  # noqa: F401
from heps_desktop_dashboard.api import keystone  # noqa: F401
from heps_desktop_dashboard.api import limits  # noqa: F401
from heps_desktop_dashboard.api import manila  # noqa: F401
from heps_desktop_dashboard.api import neutron  # noqa: F401
from heps_desktop_dashboard.api import nova  # noqa: F401
from heps_desktop_dashboard.api import nova_admin  # noqa: F401
from heps_desktop_dashboard.api import nova_flavors  # noqa: F401
from heps_desktop_dashboard.api import nova_quotas  # noqa: F401
from heps_desktop_dashboard.api import nova_usage  # noqa: F401
from heps_desktop_dashboard.api import nova_volumes  # noqa: F401
from heps_desktop_dashboard.api import placement  # noqa: F401
from heps_desktop_dashboard.api import placement_catalog  # noqa: F401
from heps_desktop_dashboard.api import placement_inventory  # noqa: F401
