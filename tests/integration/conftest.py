"""Integration tests: real dev cloud (devcloud/cloud), no mocks.

Fixtures come from tests/cloud_fixtures.py (wired as a plugin in
tests/conftest.py). Every test module here is marked ``integration`` (tests/conftest.py).
"""
