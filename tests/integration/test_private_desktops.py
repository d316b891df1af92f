"""Private desktops on the dev cloud, through Horizon in-process (Django test clients
logged in with openstack_auth against the real keystone, no mocks).

alice owns a desktop in experiment-a; a second member of experiment-a (a temporary
keystone user made with the admin connection and deleted afterwards) sees it in the
list, greyed, and every hand-made POST of theirs is refused with a message while nova
shows nothing changed. Editing the metadata by hand (nova lets every member) grants
nothing; alice's view grant gives a noVNC console with ``view_only=1`` and no power
actions; her control grant lets the member stop it. Sharing with bob (experiment-b) is
refused where the dashboard can read the project's members (operator credential).
A support user (a temporary role) opens the console after giving a reason, which alice
then sees on the desktop's page.
"""

import time
import uuid

import pytest
from cloud_fixtures import SEED
from cloud_fixtures import nova
from django.test import Client

from heps_desktop_dashboard.core import grants
from integration import temp_users
from integration.horizon_request import use_devcloud

pytestmark = pytest.mark.integration

PROJECT = "experiment-a"


@pytest.fixture
def carol(admin):
    """A second member of experiment-a (deleted afterwards): (user, password)."""
    with temp_users.temporary_member(admin, PROJECT, "heps-it-carol") as made:
        yield made


@pytest.fixture
def horizon(settings, devcloud, monkeypatch):
    use_devcloud(settings, devcloud)
    settings.HEPS_DESKTOPS = {**getattr(settings, "HEPS_DESKTOPS", {}),
                              "network": SEED.DESKTOP_NETWORK,
                              "security_group": SEED.SECURITY_GROUP}
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(devcloud.clouds_yaml))
    return settings


def login(username, password):
    client = Client()
    resp = client.post("/auth/login/", {"region": "default", "username": username,
                                        "password": password})
    assert resp.status_code == 302 and "/auth/login" not in resp["Location"], username
    return client


def messages(resp):
    return [str(m) for m in resp.wsgi_request._messages]


def state(alice, server_id):
    server = nova(alice, "GET", f"/servers/{server_id}")["server"]
    return server["status"], server["name"], dict(server["metadata"])


@pytest.fixture
def desktop(alice, server_factory):
    return server_factory.create(alice, f"it-private-{uuid.uuid4().hex[:8]}")


def refused_everywhere(client, server_id):
    """Every hand-made POST and GET another member can make: all refused with a
    message, none a 500."""
    base = f"/project/desktops/{server_id}/"
    for action in ("stop", "soft_reboot", "hard_reboot", "shelve", "delete",
                   "detach_experiment", "start", "unshelve"):
        resp = client.post("/project/desktops/", {"action": f"desktops__{action}__{server_id}"})
        assert resp.status_code == 302, action
        assert messages(resp), action
    posts = {"extend/": {"hours": 24}, "rename/": {"name": "taken-over"},
             "share/": {"grantee": "x" * 32, "level": "control"},
             "share/revoke/": {"user_id": "x" * 32}, "save-image/": {"name": "stolen"},
             "experiment/attach/": {"experiment": "2026-0142", "raw_access": "ro",
                                    "results_access": "rw", "confirm_restart": "on"}}
    for path, body in posts.items():
        resp = client.post(base + path, body)
        assert resp.status_code == 302 and resp["Location"] == "/project/desktops/", path
        assert any("someone else" in m for m in messages(resp)), (path, messages(resp))
    for path in ("", "?tab=desktop_details__console", "extend/", "console.vv"):
        resp = client.get(base + path)
        assert resp.status_code in (302, 404), path


def test_another_member_is_refused_and_nothing_changes_on_nova(horizon, devcloud, alice,
                                                             carol, desktop):
    user, password = carol
    server_id = desktop["id"]
    member = login(user.name, password)
    listing = member.get("/project/desktops/").content.decode()
    assert server_id in listing and "heps-foreign-desktop" in listing
    assert f"/project/desktops/{server_id}/" not in listing  # no link to its page

    before = state(alice, server_id)
    refused_everywhere(member, server_id)
    # metadata edited by hand through nova's API (members may): a forged grant
    nova(temp_users.connect(devcloud, user.name, password, PROJECT), "POST",
         f"/servers/{server_id}/metadata", json={"metadata": {
             grants.grant_key(user.id): "v1 control " + "0" * 64}})
    refused_everywhere(member, server_id)
    status, name, metadata = state(alice, server_id)
    assert (status, name) == before[:2] == ("ACTIVE", desktop["name"])
    metadata.pop(grants.grant_key(user.id))
    assert metadata == before[2]


def test_view_then_control_grants(horizon, devcloud, alice, carol, desktop):
    user, password = carol
    server_id = desktop["id"]
    owner = login("alice", devcloud.password("alice"))
    member = login(user.name, password)
    share = f"/project/desktops/{server_id}/share/"
    resp = owner.post(share, {"grantee": user.id, "level": "view"})
    assert resp.status_code == 302, resp.content.decode()[-2000:]
    assert grants.grant_key(user.id) in state(alice, server_id)[2]

    tab = member.get(f"/project/desktops/{server_id}/?tab=desktop_details__console",
                     HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert tab.status_code == 200
    url = tab.context["console_url"]
    assert url and "view_only=1" in url and tab.context["mode"] == "view"
    resp = member.post("/project/desktops/", {"action": f"desktops__stop__{server_id}"})
    assert messages(resp) and state(alice, server_id)[0] == "ACTIVE"

    resp = owner.post(share, {"grantee": user.id, "level": "control"})
    assert resp.status_code == 302
    tab = member.get(f"/project/desktops/{server_id}/?tab=desktop_details__console",
                     HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert "view_only=0" in tab.context["console_url"]
    resp = member.post(f"/project/desktops/{server_id}/extend/", {"hours": 24})
    assert resp["Location"] == "/project/desktops/"      # control: no lifetime change
    resp = member.post("/project/desktops/", {"action": f"desktops__stop__{server_id}"})
    assert resp.status_code == 302
    deadline = time.monotonic() + 90
    while state(alice, server_id)[0] != "SHUTOFF":
        assert time.monotonic() < deadline, "the control grantee could not stop it"
        time.sleep(1)
    resp = owner.post(f"/project/desktops/{server_id}/share/revoke/", {"user_id": user.id})
    assert grants.grant_key(user.id) not in state(alice, server_id)[2]


def test_sharing_outside_the_project_is_refused_when_members_are_known(
        horizon, devcloud, alice, bob, carol, desktop):
    # This Horizon may read the project's members with the operator's credential.
    horizon.HEPS_DESKTOPS = {**horizon.HEPS_DESKTOPS, "operator_cloud": "devcloud-admin"}
    user, _password = carol
    server_id = desktop["id"]
    owner = login("alice", devcloud.password("alice"))
    form = owner.get(f"/project/desktops/{server_id}/share/").context["form"]
    assert user.id in [choice[0] for choice in form.fields["grantee"].choices]
    bob_id = bob.current_user_id
    resp = owner.post(f"/project/desktops/{server_id}/share/",
                      {"grantee": bob_id, "level": "control"})
    assert resp.status_code == 200 and "Not a member of this project" in resp.content.decode()
    assert not [k for k in state(alice, server_id)[2] if k.startswith("heps:grant:")]
    listing = owner.get("/project/desktops/").content.decode()
    assert "alice" in listing


@pytest.fixture
def support_role(admin, carol):
    identity = admin.identity
    role = identity.create_role(name=f"heps-it-support-{uuid.uuid4().hex[:8]}")
    identity.assign_project_role_to_user(identity.find_project(PROJECT), carol[0], role)
    try:
        yield role.name
    finally:
        identity.delete_role(role)


def test_support_opens_the_console_with_a_reason_the_owner_sees(
        horizon, devcloud, alice, carol, desktop, support_role):
    horizon.HEPS_DESKTOPS = {**horizon.HEPS_DESKTOPS, "support_role": support_role}
    user, password = carol
    server_id = desktop["id"]
    member = login(user.name, password)
    tab_url = f"/project/desktops/{server_id}/?tab=desktop_details__console"
    tab = member.get(tab_url, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert tab.context["console_url"] is None and tab.context["support_url"]
    resp = member.post(f"/project/desktops/{server_id}/support/",
                       {"reason": "ticket IT-42: display frozen"})
    assert resp.status_code == 302, resp.content.decode()[-2000:]
    tab = member.get(tab_url, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert tab.context["console_url"] and tab.context["mode"] == "support"
    resp = member.post("/project/desktops/", {"action": f"desktops__stop__{server_id}"})
    assert messages(resp) and state(alice, server_id)[0] == "ACTIVE"
    owner = login("alice", devcloud.password("alice"))
    page = owner.get(f"/project/desktops/{server_id}/").content.decode()
    assert "ticket IT-42: display frozen" in page
