"""Fixtures of the service-layer tests that run on the in-memory nova + Manila
(test_data/experiments_data.FakeCloud)."""

from unittest import mock

import pytest

from test_data import contexts
from test_data import experiments_data as edata


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
