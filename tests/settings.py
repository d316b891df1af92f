"""Django settings for the unit and view tests: Horizon's test settings plus the plugin.

The plugin is imported from its installed (non-editable) location, so these tests also
prove that enabled/, templates/ and static/ ship inside the package.
"""

import openstack_dashboard.enabled
from openstack_dashboard.test.settings import *  # noqa: F403
from openstack_dashboard.utils import settings as settings_utils

import heps_desktop_dashboard.enabled

# Horizon's test settings already ran update_dashboards() for Horizon alone; it must run
# once over every enabled module, so undo what that first run added and redo it.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in HORIZON_CONFIG.pop("plugins", [])]
for _key in ("angular_modules", "js_files", "js_spec_files", "scss_files", "xstatic_modules"):
    HORIZON_CONFIG[_key] = []
settings_utils.update_dashboards(
    [heps_desktop_dashboard.enabled, openstack_dashboard.enabled],
    HORIZON_CONFIG,
    INSTALLED_APPS,
)

# Horizon's test settings turn on multi-domain login; the plugin does not depend on it.
HEPS_DESKTOPS = {
    "default_lifetime_hours": 24,
    "max_lifetime_hours": 168,
    "security_group": "heps-desktop",
}
# Several enabled files may name the same app; Django wants each once.
INSTALLED_APPS = list(dict.fromkeys(INSTALLED_APPS))
