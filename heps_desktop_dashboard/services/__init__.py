"""The work of the plugin, with no Django request: each function takes an api context."""
