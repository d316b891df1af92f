# The dev cloud's values for the Experiment Desktops settings (scripts/horizon-serve).
# Runs after the plugin's own snippet (_1799) and overrides only what differs.
HEPS_DESKTOPS = {
    **globals().get("HEPS_DESKTOPS", {}),
    "network": "desktop-net",
    "security_group": "heps-desktop",
}
