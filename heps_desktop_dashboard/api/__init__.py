"""One thin module per OpenStack service; the only place clients are built."""

from heps_desktop_dashboard.api import glance  # noqa: F401
from heps_desktop_dashboard.api import keystone  # noqa: F401
from heps_desktop_dashboard.api import neutron  # noqa: F401
from heps_desktop_dashboard.api import nova  # noqa: F401
from heps_desktop_dashboard.api import placement  # noqa: F401
