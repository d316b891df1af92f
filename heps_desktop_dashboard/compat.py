"""Which Horizon releases the plugin supports, decided once when Horizon loads it.

Plain Python (no Django): the enabled/ files import this while Horizon's settings are
still loading. On an unsupported Horizon the panels are not added (the panel groups then
hide) and one error line says why in Horizon's log.
"""

import importlib.metadata
import logging

# Horizon 25.3 is OpenStack 2025.1 (Epoxy), the oldest release the plugin is tested on.
MINIMUM_HORIZON = (25, 3)
LOG = logging.getLogger("heps_desktop_dashboard")


def _version_tuple(text):
    parts = []
    for piece in str(text).split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def horizon_version():
    try:
        return importlib.metadata.version("horizon")
    except importlib.metadata.PackageNotFoundError:
        return ""


def horizon_supported(version=None):
    version = horizon_version() if version is None else version
    return bool(version) and _version_tuple(version) >= MINIMUM_HORIZON


SUPPORTED = horizon_supported()
if not SUPPORTED:
    LOG.error("heps-desktop-dashboard needs Horizon %s or newer (OpenStack 2025.1); this is "
              "Horizon %s: the Experiment Desktops panels are not added.",
              ".".join(map(str, MINIMUM_HORIZON)), horizon_version() or "(not found)")


def panel(path):
    """``ADD_PANEL`` of an enabled file: the panel class path, or None (not added) on an
    unsupported Horizon."""
    return path if SUPPORTED else None
