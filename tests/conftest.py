import os
import pathlib

import heps_desktop_dashboard

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Dev-cloud fixtures for tests/integration and tests/browser (tests/ is on sys.path).
pytest_plugins = ["cloud_fixtures"]


# Every test under these folders gets the folder's marker (-m integration / -m browser).
FOLDER_MARKERS = {"integration": "integration", "browser": "browser"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = pathlib.Path(str(item.fspath)).resolve().relative_to(ROOT).parts
        if len(parts) > 2 and parts[0] == "tests" and parts[1] in FOLDER_MARKERS:
            item.add_marker(FOLDER_MARKERS[parts[1]])
    # Tests that start the session's Horizon (and beside it a reconciler signing with
    # Horizon's key) run after those that sign in process with the test settings' key: a
    # reconciler running meanwhile takes their signed expiries for forged and rewrites
    # them. A stable sort: the order within each group is kept.
    items.sort(key=lambda item: bool({"horizon_server", "reconciler"}
                                      & set(getattr(item, "fixturenames", ()))))


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: needs the dev cloud (make cloud-up)")
    config.addinivalue_line("markers", "browser: drives Horizon in headless Chromium")
    config.addinivalue_line("markers", "soak: long repetition tests (make soak), left out of "
                            "make test")
    config.addinivalue_line("markers", "smoke: the browser smoke suite run on the oldest "
                            "supported Horizon too (log in, launch, console, experiment "
                            "data, delete)")
    # Horizon's test helpers use these marks.
    config.addinivalue_line("markers", "selenium: Horizon selenium tests")
    config.addinivalue_line("markers", "plugin_test: Horizon plugin tests")
    installed = pathlib.Path(heps_desktop_dashboard.__file__).resolve().parent
    if installed == ROOT / "heps_desktop_dashboard" and not os.environ.get("HEPS_ALLOW_SOURCE"):
        raise RuntimeError(
            "heps_desktop_dashboard was imported from the source tree, not from the "
            "installed package: run the tests through `make test` (or .venv/bin/pytest "
            "after `pip install .`), never `python -m pytest` from the repository root."
        )
