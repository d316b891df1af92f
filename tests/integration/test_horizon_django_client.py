"""The plugin's Desktops page in-process (Django test client), logged in
through openstack_auth against the dev cloud's real keystone: the plugin's
api/ layer talks to the real nova and glance, no mocks, no browser.

Runs under the unit-test settings (tests/settings.py) with the keystone URL,
region and domain settings pointed at the dev cloud for the test's duration.
"""

import time

import pytest

from integration.horizon_request import use_devcloud

pytestmark = pytest.mark.integration


@pytest.fixture
def devcloud_settings(settings, devcloud):
    return use_devcloud(settings, devcloud)


def _login(client, devcloud, user):
    resp = client.post("/auth/login/", {
        "region": "default",  # openstack_auth: index into AVAILABLE_REGIONS or "default"
        "username": user, "password": devcloud.password(user)})
    assert resp.status_code == 302, resp.content.decode()[-2000:]
    assert "/auth/login" not in resp["Location"]


def test_desktops_page_lists_the_projects_desktops(client, devcloud_settings, devcloud,
                                                   alice, server_factory):
    stamp = int(time.time() * 1000) % 10**8
    desktop = server_factory.create(alice, f"dj-desktop-{stamp}")
    plain = server_factory.create(alice, f"dj-plain-{stamp}", flavor="m1.small",
                                  image="cirros-plain", desktop=False)

    _login(client, devcloud, "alice")
    resp = client.get("/project/desktops/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="desktops"' in html
    assert desktop["name"] in html
    assert plain["name"] not in html
    assert "Unable to retrieve" not in html

    client.logout()
    _login(client, devcloud, "bob")
    html = client.get("/project/desktops/").content.decode()
    assert 'id="desktops"' in html
    assert desktop["name"] not in html
