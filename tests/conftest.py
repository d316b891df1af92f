import os
import pathlib

import heps_desktop_dashboard

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Dev-cloud fixtures for tests/integration and tests/browser (tests/ is on sys.path).
pytest_plugins = ["cloud_fixtures"]


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: needs the dev cloud (make cloud-up)")
    config.addinivalue_line("markers", "browser: drives Horizon in headless Chromium")
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
