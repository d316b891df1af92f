"""One thin module per OpenStack service; the only place clients are built."""

from heps_desktop_dashboard.api import (
    glance,  # noqa: F401
    neutron,  # noqa: F401
    nova,  # noqa: F401
)
