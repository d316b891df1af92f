"""A desktop's life through the plugin's api/ and services/ layers against the dev cloud
(no mocks), with a real user's api context: launch -> ACTIVE -> stop -> start -> shelve
(placement: GPU released) -> unshelve -> extend (signed expiry) -> rename -> delete,
checking tag, owner, metadata and flavor on the real server."""

import datetime
import time

import pytest
from cloud_fixtures import PLACEMENT_MV
from cloud_fixtures import SEED
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import wait_server
from novaclient import exceptions as nova_exc
from openstack_dashboard.api import base

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import lifetimes
from heps_desktop_dashboard.services import revocation
from integration.horizon_request import make_request
from integration.horizon_request import user_context

pytestmark = pytest.mark.integration


@pytest.fixture
def context_as(cloud_settings, devcloud):
    return lambda user: user_context(devcloud, user)


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


def test_full_lifecycle_through_the_api_layer(context_as, alice, admin, devcloud):
    ctx = context_as("alice")
    image = next(i for i in api.glance.golden_image_list(ctx)
                 if "imaging" in i.properties.get("heps_techniques", ""))
    flavor = next(f for f in alice.compute.flavors() if f.name == "heps.vgpu.a16")
    network = api.neutron.desktop_network(ctx, "desktop-net")
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    policy = conf.lifetime_policy()
    metadata = desktops.build_metadata(
        policy=policy, user_id=ctx.user_id, project_id=ctx.project_id, profile=flavor.name,
        expires_at=expires, experiment=SEED.PROJECTS["experiment-a"]["experiment"])
    server = api.nova.desktop_create(
        ctx, name=f"it-life-{int(time.time())}", image_id=image.id, flavor_id=flavor.id,
        metadata=metadata, network_id=network["id"], security_groups=[SEED.SECURITY_GROUP])
    try:
        body = wait_server(alice, server.id)
        assert body["tags"] == ["heps-desktop"]
        assert body["metadata"] == metadata
        assert body["user_id"] == devcloud.manifest["users"]["alice"]
        assert body["flavor"]["original_name"] == "heps.vgpu.a16"
        assert [a["OS-EXT-IPS:type"] for net in body["addresses"].values() for a in net] \
            == ["fixed"], "a desktop gets no floating IP"
        assert _allocations(admin, server.id).get("VGPU") == 1
        # the owner is nova's user_id; the launch-signed expiry is believed
        info = desktops.read_desktop(api.nova.desktop_get(ctx, server.id), policy)
        assert info.owner_id == ctx.user_id
        assert info.expires_at == expires.replace(microsecond=0) and not info.expiry_problem

        # The listing finds it with one tagged call; a row carries the metadata.
        servers, _more, _prev = api.nova.desktop_list_paged(ctx, 20)
        assert server.id in [s.id for s in servers]

        api.nova.desktop_stop(ctx, server.id)
        wait_server(alice, server.id, ("SHUTOFF",))
        api.nova.desktop_start(ctx, server.id)
        wait_server(alice, server.id)

        api.nova.desktop_shelve(ctx, server.id)
        wait_server(alice, server.id, ("SHELVED_OFFLOADED",), timeout=120)
        assert _allocations(admin, server.id) == {}, "shelving releases the GPU"
        api.nova.desktop_unshelve(ctx, server.id)
        wait_server(alice, server.id, timeout=120)
        assert _allocations(admin, server.id).get("VGPU") == 1

        new_expiry = lifetimes.extend(ctx, server.id, 24)
        assert new_expiry == expires.replace(microsecond=0) + datetime.timedelta(hours=24)
        api.nova.desktop_rename(ctx, server.id, "renamed <b>Ω</b>")
        body = nova(alice, "GET", f"/servers/{server.id}")["server"]
        assert body["name"] == "renamed <b>Ω</b>"
        assert desktops.parse_expiry(body["metadata"]["heps:expires_at"]) == new_expiry
        assert body["metadata"]["heps:expires_sig"].startswith("v1 s ")
        # editing the plain expiry (any project member can) extends nothing
        nova(alice, "POST", f"/servers/{server.id}/metadata",
             json={"metadata": {"heps:expires_at": "2099-01-01T00:00:00Z"}})
        info = desktops.read_desktop(api.nova.desktop_get(ctx, server.id), policy)
        assert info.expires_at == new_expiry and info.claimed_expiry == "2099-01-01T00:00:00Z"
    finally:
        report = revocation.delete_desktop(context_as("alice"), server.id)
        _wait_gone(alice, server.id)
    assert report.ok
    assert _allocations(admin, server.id) == {}


def test_another_projects_desktop_and_plain_servers_are_refused(context_as, alice,
                                                                server_factory):
    desktop = server_factory.create(alice, "it-foreign")
    plain = server_factory.create(alice, "it-plain", desktop=False)
    bob = context_as("bob")
    for server_id in (desktop["id"], plain["id"]):
        with pytest.raises(nova_exc.NotFound):
            api.nova.desktop_stop(bob, server_id)
    with pytest.raises(nova_exc.NotFound):
        revocation.delete_desktop(context_as("alice"), plain["id"])
    assert nova(alice, "GET", f"/servers/{plain['id']}")["server"]["status"] == "ACTIVE"


def test_nova_client_reuses_the_users_token(cloud_settings, devcloud):
    request = make_request(devcloud, "alice")
    ctx = api.context.for_request(request)
    assert api.context.for_request(request) is ctx  # one context per request
    client = api.nova_client.client(ctx, "2.96")
    assert client.client.session is ctx.session
    auth = ctx.session.auth
    assert isinstance(auth, api.context.CatalogTokenAuth)
    assert auth.get_token(ctx.session) == request.user.token.id
    # endpoints come from the token's catalog, as Horizon's own url_for finds them
    assert ctx.endpoint("compute").rstrip("/") == base.url_for(request, "compute").rstrip("/")
    assert api.nova.supports(ctx, "share_attachments")
