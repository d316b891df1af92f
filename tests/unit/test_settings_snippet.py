"""The settings snippet keeps what local_settings.py (read before local_settings.d/) set."""

import pathlib

import heps_desktop_dashboard

SNIPPET = (pathlib.Path(heps_desktop_dashboard.__file__).parent / "local_settings.d"
           / "_1799_heps_desktops_settings.py")


def test_snippet_keeps_values_set_earlier_and_fills_the_rest():
    namespace = {"HEPS_DESKTOPS": {"network": "desktop-net", "expired_action": "delete"}}
    exec(SNIPPET.read_text(), namespace)  # noqa: S102 - the plugin's own settings snippet
    merged = namespace["HEPS_DESKTOPS"]
    assert merged["network"] == "desktop-net" and merged["expired_action"] == "delete"
    assert merged["max_lifetime_hours"] == 168
