"""Fixtures of the service-layer tests that run on the in-memory nova + Manila
(test_data/experiments_data.FakeCloud)."""

import pathlib
import subprocess
import sys
import zipfile
from unittest import mock

import pytest

from test_data import contexts
from test_data import experiments_data as edata


@pytest.fixture(autouse=True)
def _empty_cache():
    """Nothing cached by one test (image names, the launch form's nova limits) is seen
    by the next."""
    from django.core.cache import cache
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def forbid_sleep():
    """Nothing in the services waits: a sleep would hold a web worker."""
    with mock.patch("time.sleep", side_effect=AssertionError("slept")):
        yield


@pytest.fixture
def cloud():
    """The fake cloud with the project's experiment (a raw and a results share)."""
    cloud = edata.FakeCloud()
    cloud.add_experiment()
    with cloud.patches():
        yield cloud


@pytest.fixture
def user():
    return contexts.user_context(project_id=edata.PROJECT)


@pytest.fixture(params=["operator", "user"])
def runner(request):
    """Who drives advance()/revocation: the reconciler (operator) or a user's POST."""
    if request.param == "operator":
        return contexts.operator_context()
    return contexts.user_context(project_id=edata.PROJECT)


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory):
    """The plugin's wheel, built once per test session from the checkout (what pip installs;
    tests/unit/test_packaging.py and test_deploy_recipes.py read it)."""
    root = pathlib.Path(__file__).resolve().parents[2]
    outdir = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir),
         str(root)],
        check=True, capture_output=True, cwd=outdir,
    )
    return next(outdir.glob("heps_desktop_dashboard-*.whl"))


@pytest.fixture(scope="session")
def wheel_names(built_wheel):
    """Every file name in the built wheel."""
    with zipfile.ZipFile(built_wheel) as wheel:
        return frozenset(wheel.namelist())


@pytest.fixture(autouse=True)
def keystone_lists_no_members():
    """Keystone's default policy: a project member may not list the project's members
    (role assignments), so owners of other desktops show as ids. Tests that want names
    patch api.keystone.project_members themselves."""
    from heps_desktop_dashboard import api

    with mock.patch.object(api.keystone, "project_members",
                           side_effect=api.keystone.Forbidden()):
        yield


@pytest.fixture(autouse=True)
def block_storage_absent():
    """Cinder is not in the catalog unless a test says so (persistent desktops, #13):
    a view test makes no block-storage call it did not mock. Tests of persistent
    desktops patch api.cinder.in_catalog to True themselves."""
    from heps_desktop_dashboard import api

    with mock.patch.object(api.cinder, "in_catalog", return_value=False):
        yield
