"""Matchers and builders for api contexts in unit tests.

Views pass ``api.context.for_request(request)`` to api/ and services/; mocks at the api
layer are asserted with ``IsUserContext()`` (any user context) or
``IsUserContext(project_id=...)``, like Horizon's ``IsHttpRequest()``.
"""

from unittest import mock

from heps_desktop_dashboard.api import context


class IsUserContext:
    def __init__(self, project_id=None, user_id=None):
        self.project_id = project_id
        self.user_id = user_id

    def __eq__(self, other):
        return (isinstance(other, context.ApiContext) and not other.operator
                and (self.project_id is None or other.project_id == self.project_id)
                and (self.user_id is None or other.user_id == self.user_id))

    def __repr__(self):
        return f"<IsUserContext project={self.project_id}>"


class IsOperatorContext:
    def __eq__(self, other):
        return isinstance(other, context.ApiContext) and other.operator

    def __repr__(self):
        return "<IsOperatorContext>"


def user_context(project_id="6f4c1e2a9b8d4c3e8f7a6b5c4d3e2f1a", user_id="test-user-id",
                 username="test_user", is_admin=False):
    """A user context with a dummy session (no HTTP: mock the api layer)."""
    return context.ApiContext(mock.Mock(name="session"), project_id=project_id,
                              user_id=user_id, username=username, is_admin=is_admin)


def operator_context():
    return context.ApiContext(mock.Mock(name="session"), project_id=None,
                              user_id="operator-id", username="admin", operator=True)
