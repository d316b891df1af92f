"""Horizon dashboards the plugin adds panels to."""
