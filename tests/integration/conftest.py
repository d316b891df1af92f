"""Integration tests: real dev cloud (devcloud/cloud), no mocks.

Fixtures come from tests/cloud_fixtures.py (wired as a plugin in
tests/conftest.py). Every test module here is marked ``integration``.
"""

import pathlib

import pytest

HERE = pathlib.Path(__file__).resolve().parent


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "integration: needs the dev cloud (devcloud/cloud up); "
        "started or reused by the devcloud fixture")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in pathlib.Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)
