"""Network policy on the dev cloud (real neutron, nova, Manila): a launch with an
experiment creates the experiment's security group once and reuses it, with no ingress
rule (checked through neutron as admin); a hand-made launch POST naming the external
network or another project's port is refused and creates nothing; a public address only
on a profile with ``heps:public_ip=allowed`` (a flavor this test makes), attached by the
reconciler's network step and released by Delete."""

import uuid

import pytest
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import wait_server

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.dashboards.project.desktops import forms as launch_forms
from heps_desktop_dashboard.services import launch
from heps_desktop_dashboard.services import network_policy
from heps_desktop_dashboard.services import network_sweep
from heps_desktop_dashboard.services import revocation
from integration import experiment_support as support
from integration.horizon_request import make_request

pytestmark = pytest.mark.integration


def groups_named(admin, name, project_id):
    return call(admin.network, "GET",
                f"/security-groups?name={name}&project_id={project_id}")["security_groups"]


def delete_groups(admin, name, project_id):
    def gone():
        for group in groups_named(admin, name, project_id):
            call(admin.network, "DELETE", f"/security-groups/{group['id']}",
                 ok=(204, 404, 409))
        return not groups_named(admin, name, project_id)
    support.wait_until(gone, 60, interval=1, what=f"security group {name} deleted")


@pytest.fixture
def experiment(alice_share, admin, devcloud):
    """An experiment of alice's project of its own (a raw and a results share), so the
    first launch with it is the one that creates its group."""
    exp = f"it-net-{uuid.uuid4().hex[:8]}"
    alice_share(exp, "raw")
    alice_share(exp, "results")
    yield exp
    delete_groups(admin, network_policy.group_name(exp),
                  devcloud.project_id("experiment-a"))


def test_an_experiments_group_is_created_once_reused_and_has_no_ingress(
        experiment, launcher, alice_ctx, alice, admin, devcloud, operator):
    project = devcloud.project_id("experiment-a")
    name = network_policy.group_name(experiment)
    assert groups_named(admin, name, project) == []
    first = launcher.launch(alice_ctx, support.uid("it-sg"), experiment=experiment)
    groups = groups_named(admin, name, project)
    assert len(groups) == 1
    group = groups[0]
    assert not [r for r in group["security_group_rules"] if r["direction"] == "ingress"]
    assert {(r["direction"], r["ethertype"]) for r in group["security_group_rules"]} == {
        ("egress", "IPv4"), ("egress", "IPv6")}

    # a rule added by hand is taken out again by the next launch, which reuses the group
    call(alice.network, "POST", "/security-group-rules", json={"security_group_rule": {
        "security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}})
    second = launcher.launch(alice_ctx, support.uid("it-sg"), experiment=experiment)
    again = groups_named(admin, name, project)
    assert [g["id"] for g in again] == [group["id"]]
    assert not [r for r in again[0]["security_group_rules"] if r["direction"] == "ingress"]

    # nova put exactly that group on both desktops' ports, on the desktop network only
    for server in (first, second):
        wait_server(admin, server.id)
        ports = call(admin.network, "GET", f"/ports?device_id={server.id}")["ports"]
        assert [p["security_groups"] for p in ports] == [[group["id"]]]
        nets = {n["id"]: n for n in call(admin.network, "GET", "/networks")["networks"]}
        assert [nets[p["network_id"]]["name"] for p in ports] == ["desktop-net"]
    shown = network_policy.effective(alice_ctx, first.id)
    assert [(g["name"], g["ingress"]) for g in shown["groups"]] == [(name, False)]
    assert shown["public"] == []

    # once no desktop uses it, the reconciler's network step deletes it (judged as if
    # its grace period were over; only this test's group is acted on)
    launcher.cleanup()
    later = desktops.utcnow() + network_policy.GROUP_GRACE * 2

    def planned():
        return [s for s in network_sweep.group_steps(operator, {}, later)
                if s.args[1]["id"] == group["id"]]
    steps = support.wait_until(planned, 60, interval=1, what="the group unused")
    assert [s.what for s in steps] == ["delete-group"]
    steps[0].call(*steps[0].args)
    assert groups_named(admin, name, project) == []


def _launch_form(devcloud, username="alice", **values):
    blank = launch_forms.LaunchForm(make_request(devcloud, username))
    data = {key: field.initial for key, field in blank.fields.items()
            if field.initial is not None}
    data.update({"experiment": "", "public_ip": "", **values})
    request = make_request(devcloud, username, method="POST",
                           path="/project/desktops/launch/", data=data)
    return request, launch_forms.LaunchForm(request, data=data)


@pytest.fixture
def bobs_port(bob, admin):
    net = call(bob.network, "GET", "/networks?name=desktop-net")["networks"][0]
    port = call(bob.network, "POST", "/ports", json={"port": {
        "network_id": net["id"], "name": support.uid("it-bob-port")}})["port"]
    yield port
    call(admin.network, "DELETE", f"/ports/{port['id']}", ok=(204, 404))


def _names(conn):
    return {s["name"] for s in nova(conn, "GET", "/servers")["servers"]}


def test_a_hand_made_post_naming_the_external_network_or_another_projects_port_is_refused(
        cloud_settings, devcloud, alice, bob, bobs_port, alice_ctx):
    public = devcloud.manifest["public_network"]
    cases = [({"network": "public"}, network_policy.EXTERNAL_NETWORK),
             ({"network_id": public}, network_policy.EXTERNAL_NETWORK),
             ({"port": bobs_port["id"]}, network_policy.OTHER_PORT),
             ({"port_id": bobs_port["id"], "network": "desktop-net"},
              network_policy.OTHER_PORT)]
    for values, message in cases:
        name = support.uid("it-handmade")
        _request, form = _launch_form(devcloud, name=name, **values)
        assert not form.is_valid(), values
        assert str(message) in [str(e) for e in form.non_field_errors()], form.errors
        assert name not in _names(alice)
    # the launch service refuses the same on its own (a caller that skips the form)
    profile = support.profile_named(alice_ctx)
    for networks, ports in (((public,), ()), ((), (bobs_port["id"],))):
        with pytest.raises(network_policy.NetworkRefused):
            launch.launch(alice_ctx, launch.LaunchRequest(
                name=support.uid("it-handmade"), profile=profile, lifetime_hours=1,
                image_id=devcloud.manifest["images"][support.IMAGE],
                networks=networks, ports=ports))
    # bob's port is untouched
    port = call(bob.network, "GET", f"/ports/{bobs_port['id']}")["port"]
    assert port["device_id"] == ""


@pytest.fixture
def public_profile(admin, devcloud):
    """A desktop profile allowing a public address, usable by experiment-a only."""
    cpu = nova(admin, "GET", f"/flavors/{devcloud.manifest['flavors']['heps.cpu.std']}")[
        "flavor"]
    flavor = nova(admin, "POST", "/flavors", json={"flavor": {
        "name": f"heps.zz-it-public-{uuid.uuid4().hex[:6]}", "vcpus": 1, "ram": 1024,
        "disk": cpu["disk"], "os-flavor-access:is_public": False}})["flavor"]
    try:
        nova(admin, "POST", f"/flavors/{flavor['id']}/os-extra_specs", json={
            "extra_specs": {"heps:profile": "true", "heps:gpu_kind": "none",
                            "heps:public_ip": "allowed"}})
        nova(admin, "POST", f"/flavors/{flavor['id']}/action", json={
            "addTenantAccess": {"tenant": devcloud.project_id("experiment-a")}})
        yield flavor
    finally:
        nova(admin, "DELETE", f"/flavors/{flavor['id']}", ok=(202, 204, 404))


def test_a_public_address_only_where_allowed_attached_by_the_reconciler_released_by_delete(
        cloud_settings, devcloud, alice, admin, public_profile, operator, server_factory):
    cpu = devcloud.manifest["flavors"]["heps.cpu.std"]
    _request, form = _launch_form(devcloud, name=support.uid("it-pub"), profile=cpu,
                                  public_ip="on")
    assert not form.is_valid()
    assert [str(e) for e in form.errors["public_ip"]] == [
        str(network_policy.PUBLIC_IP_NOT_ALLOWED)]

    request, form = _launch_form(devcloud, name=support.uid("it-pub"), lifetime_hours=1,
                                 profile=public_profile["id"], public_ip="on")
    assert form.is_valid(), form.errors
    server = form.handle(request, form.cleaned_data)
    assert server, form.errors
    server_factory.made.append((alice, server.id))
    description = f"heps-desktop:{server.id}"

    def ours():
        return [f for f in call(admin.network, "GET", "/floatingips")["floatingips"]
                if f.get("description") == description]

    allocated = ours()
    assert len(allocated) == 1
    assert allocated[0]["project_id"] == devcloud.project_id("experiment-a")
    assert allocated[0]["floating_network_id"] == devcloud.manifest["public_network"]
    shown = wait_server(admin, server.id)
    assert shown["metadata"]["heps:public_ip"] == "requested"

    # the reconciler's network step points it at the desktop's port
    desktop = api.nova.desktop_get(operator, server.id)

    def attached():
        for step in network_sweep.floating_ip_steps(operator, {server.id: desktop}):
            if step.args[1]["id"] == allocated[0]["id"]:
                step.call(*step.args)
        return [f for f in ours() if f.get("port_id")]
    found = support.wait_until(attached, 60, interval=1, what="floating IP attached")
    ports = call(admin.network, "GET", f"/ports?device_id={server.id}")["ports"]
    assert found[0]["port_id"] == ports[0]["id"]
    ctx = api.context.for_request(make_request(devcloud, "alice"))
    assert [p["address"] for p in network_policy.effective(ctx, server.id)["public"]] == [
        allocated[0]["floating_ip_address"]]

    # Delete releases it at once
    revocation.delete_desktop(ctx, server.id)
    assert ours() == []
