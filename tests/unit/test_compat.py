"""An unsupported Horizon: the panels are not added (the groups then hide), and the log
says why; every supported release adds them."""

import importlib

from heps_desktop_dashboard import compat


def test_supported_releases_and_older_ones():
    for version in ("25.3.2", "25.5.2", "25.7.3", "26.0.0", "27.0.0", "28.1.0.dev3"):
        assert compat.horizon_supported(version), version
    for version in ("25.2.0", "24.0.0", "23.4.1", ""):
        assert not compat.horizon_supported(version), version


def test_enabled_files_add_no_panel_on_an_unsupported_horizon(monkeypatch, caplog):
    import heps_desktop_dashboard.enabled._1720_project_heps_desktops_panel as enabled

    monkeypatch.setattr(compat.importlib.metadata, "version", lambda name: "24.0.0")
    try:
        with caplog.at_level("ERROR", logger="heps_desktop_dashboard"):
            importlib.reload(compat)
            importlib.reload(enabled)
        assert enabled.ADD_PANEL is None
        assert "needs Horizon 25.3 or newer" in caplog.text and "24.0.0" in caplog.text
    finally:
        monkeypatch.undo()
        importlib.reload(compat)
        importlib.reload(enabled)
    assert enabled.ADD_PANEL.endswith(".Desktops")
