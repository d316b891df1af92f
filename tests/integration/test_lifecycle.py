"""A desktop's life through the plugin's api/ layer against the dev cloud (no mocks):
launch -> ACTIVE -> stop -> start -> shelve (placement: GPU released) -> unshelve ->
extend -> rename -> delete, checking tag, metadata and flavor on the real server."""

import datetime
import time

import pytest
from cloud_fixtures import PLACEMENT_MV
from cloud_fixtures import SEED
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import wait_server
from keystoneauth1 import token_endpoint
from novaclient import exceptions as nova_exc

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from integration.horizon_request import make_request
from integration.horizon_request import use_devcloud

pytestmark = pytest.mark.integration


@pytest.fixture
def request_as(settings, devcloud):
    use_devcloud(settings, devcloud)
    return lambda user: make_request(devcloud, user)


def _allocations(admin, server_id):
    found = call(admin.placement, "GET", f"/allocations/{server_id}",
                 microversion=PLACEMENT_MV)["allocations"]
    return {rc: n for rp in found.values() for rc, n in rp["resources"].items()}


def _wait_gone(conn, server_id, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            nova(conn, "GET", f"/servers/{server_id}")
        except AssertionError:
            return
        time.sleep(0.5)
    raise AssertionError(f"server {server_id} not deleted after {timeout} s")


def test_full_lifecycle_through_the_api_layer(request_as, alice, admin):
    request = request_as("alice")
    image = next(i for i in api.glance.golden_image_list(request)
                 if "imaging" in i.properties.get("heps_techniques", ""))
    flavor = next(f for f in alice.compute.flavors() if f.name == "heps.vgpu.a16")
    network = api.neutron.desktop_network(request, "desktop-net")
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    metadata = desktops.build_metadata(owner="alice", profile=flavor.name,
                                       expires_at=expires, experiment=SEED.PROJECTS[
                                           "experiment-a"]["experiment"])
    server = api.nova.desktop_create(
        request, name=f"it-life-{int(time.time())}", image_id=image.id, flavor_id=flavor.id,
        metadata=metadata, network_id=network.id, security_groups=[SEED.SECURITY_GROUP])
    try:
        body = wait_server(alice, server.id)
        assert body["tags"] == ["heps-desktop"]
        assert body["metadata"] == metadata
        assert body["flavor"]["original_name"] == "heps.vgpu.a16"
        assert [a["OS-EXT-IPS:type"] for net in body["addresses"].values() for a in net] \
            == ["fixed"], "a desktop gets no floating IP"
        assert _allocations(admin, server.id).get("VGPU") == 1

        # The listing finds it with one tagged call; a row carries the metadata.
        servers, _more, _prev = api.nova.desktop_list_paged(request)
        assert server.id in [s.id for s in servers]

        api.nova.desktop_stop(request, server.id)
        wait_server(alice, server.id, ("SHUTOFF",))
        api.nova.desktop_start(request, server.id)
        wait_server(alice, server.id)

        api.nova.desktop_shelve(request, server.id)
        wait_server(alice, server.id, ("SHELVED_OFFLOADED",), timeout=120)
        assert _allocations(admin, server.id) == {}, "shelving releases the GPU"
        api.nova.desktop_unshelve(request, server.id)
        wait_server(alice, server.id, timeout=120)
        assert _allocations(admin, server.id).get("VGPU") == 1

        new_expiry = desktops.extended_expiry(expires, 24, 168)
        api.nova.desktop_set_metadata(
            request, server.id, {desktops.META_EXPIRES_AT: desktops.format_expiry(new_expiry)})
        api.nova.desktop_rename(request, server.id, "renamed <b>Ω</b>")
        body = nova(alice, "GET", f"/servers/{server.id}")["server"]
        assert body["name"] == "renamed <b>Ω</b>"
        assert desktops.parse_expiry(body["metadata"]["heps:expires_at"]) == \
            new_expiry.replace(microsecond=0)
    finally:
        api.nova.desktop_delete(request_as("alice"), server.id)
        _wait_gone(alice, server.id)
    assert _allocations(admin, server.id) == {}


def test_another_projects_desktop_and_plain_servers_are_refused(request_as, alice,
                                                                server_factory):
    desktop = server_factory.create(alice, "it-foreign")
    plain = server_factory.create(alice, "it-plain", desktop=False)
    bob = request_as("bob")
    for server_id in (desktop["id"], plain["id"]):
        with pytest.raises(nova_exc.NotFound):
            api.nova.desktop_stop(bob, server_id)
    with pytest.raises(nova_exc.NotFound):
        api.nova.desktop_delete(request_as("alice"), plain["id"])
    assert nova(alice, "GET", f"/servers/{plain['id']}")["server"]["status"] == "ACTIVE"


def test_nova_client_reuses_the_users_token(request_as):
    request = request_as("alice")
    client = api.nova.novaclient(request, "2.96")
    assert isinstance(client.client.session.auth, token_endpoint.Token)
    assert client.client.session.auth.token == request.user.token.id
    assert api.nova.supports(request, "share_attachments")
