"""services/network_policy.py and services/network_sweep.py with api.neutron mocked: the
experiment's security group (made, reused, kept equal to the template, raced), what a
hand-made launch may not ask for, public addresses at launch and delete, and the
reconciler's network steps."""

import dataclasses
import datetime
from unittest import mock

import pytest
from django.test import override_settings

from heps_desktop_dashboard import api
from heps_desktop_dashboard.services import launch
from heps_desktop_dashboard.services import network_policy
from heps_desktop_dashboard.services import network_sweep
from heps_desktop_dashboard.services import reconcile
from heps_desktop_dashboard.services import revocation
from test_data import audit_data
from test_data import contexts
from test_data import desktops_data
from test_data import launch_data

PROJECT = "p-a"
GROUP = "heps-exp-2026-0142"
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def neutron():
    """Every api.neutron function, mocked (``neutron.<name>``)."""
    names = ("desktop_network", "networks", "external_network", "port_find",
             "server_ports", "security_groups", "security_group_create",
             "security_group_get", "security_group_describe",
             "security_group_delete", "security_group_rule_create",
             "security_group_rule_delete", "ports_with_group", "floating_ips",
             "floating_ip_create", "floating_ip_associate", "floating_ip_delete")
    patches = {name: mock.patch.object(api.neutron, name) for name in names}
    mocks = mock.Mock(**{name: patch.start() for name, patch in patches.items()})
    mocks.desktop_network.return_value = launch_data.network(project_id=PROJECT)
    mocks.ports_with_group.return_value = []
    mocks.floating_ips.return_value = []
    yield mocks
    for patch in patches.values():
        patch.stop()


def member():
    return contexts.user_context(project_id=PROJECT)


# --- the template and the group ------------------------------------------------------------

def test_the_default_template_has_no_ingress_and_open_egress():
    rules = network_policy.template_rules()
    assert {r["direction"] for r in rules} == {"egress"}
    assert {r["ethertype"] for r in rules} == {"IPv4", "IPv6"}


@override_settings(HEPS_DESKTOPS={"security_group_rules": [{"direction": "in"}]})
def test_a_bad_template_is_a_settings_error():
    with pytest.raises(ValueError):
        network_policy.template_rules()


def test_rules_compare_whatever_neutron_normalized():
    key = network_policy.rule_key
    assert key({"direction": "egress", "ethertype": "IPv4", "remote_ip_prefix": "0.0.0.0/0",
                "protocol": "any"}, "g") == key({"direction": "egress"}, "g")
    assert key({"direction": "ingress", "remote_group_id": "self", "port_range_min": "22"},
               "g") == key({"direction": "ingress", "remote_group_id": "g",
                            "port_range_min": 22}, "g")


def test_an_existing_group_with_the_templates_rules_is_used_as_it_is(neutron):
    neutron.security_groups.return_value = [launch_data.security_group(project_id=PROJECT)]
    with audit_data.captured() as events:
        assert network_policy.desktop_groups(member(), "2026-0142") == ["sg-exp-1"]
    neutron.security_groups.assert_called_once_with(mock.ANY, name=GROUP, project_id=PROJECT)
    neutron.security_group_create.assert_not_called()
    neutron.security_group_rule_create.assert_not_called()
    neutron.security_group_rule_delete.assert_not_called()
    assert events == []


def test_rules_added_by_hand_are_removed_at_the_next_launch(neutron):
    group = launch_data.security_group(project_id=PROJECT, rules=launch_data.EGRESS_RULES + (
        {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
         "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"},))
    neutron.security_groups.return_value = [group]
    with audit_data.captured() as events:
        network_policy.ensure_group(member(), "2026-0142")
    neutron.security_group_rule_delete.assert_called_once_with(mock.ANY, "sg-exp-1-r2")
    assert audit_data.actions(events) == [("network.group_sync", "ok")]
    assert (events[0]["removed"], events[0]["added"]) == (1, 0)


def test_the_first_launch_creates_the_group_from_the_template(neutron):
    made = launch_data.security_group(group_id="sg-new", project_id=PROJECT, rules=())
    neutron.security_groups.side_effect = [[], [made]]
    neutron.security_group_create.return_value = made
    with override_settings(HEPS_DESKTOPS={"security_group_rules": [
            {"direction": "egress", "ethertype": "IPv4"},
            {"direction": "ingress", "remote_group_id": "self"}]}), \
            audit_data.captured() as events:
        assert network_policy.ensure_group(member(), "2026-0142") is made
    neutron.security_group_create.assert_called_once_with(
        mock.ANY, GROUP, network_policy.GROUP_DESCRIPTION, project_id=None)
    created = [c.args[2] for c in neutron.security_group_rule_create.call_args_list]
    assert {(r["direction"], r.get("remote_group_id")) for r in created} == {
        ("egress", None), ("ingress", "sg-new")}
    assert audit_data.actions(events) == [("network.group_create", "ok")]
    assert (events[0]["target_id"], events[0]["target_name"], events[0]["added"]) == (
        "sg-new", GROUP, 2)


def test_two_first_launches_at_once_keep_the_older_group(neutron):
    ours = launch_data.security_group(group_id="sg-b", created_at="2026-12-01T10:00:01Z")
    theirs = launch_data.security_group(group_id="sg-a", created_at="2026-12-01T10:00:00Z")
    neutron.security_groups.side_effect = [[], [ours, theirs]]
    neutron.security_group_create.return_value = ours
    assert network_policy.ensure_group(member(), "2026-0142")["id"] == "sg-a"
    neutron.security_group_delete.assert_called_once_with(mock.ANY, "sg-b")


def test_a_desktop_without_experiment_keeps_the_configured_group(neutron):
    assert network_policy.desktop_groups(member(), "") == ["heps-desktop"]
    neutron.security_groups.assert_not_called()


# --- what a hand-made launch may not ask for -------------------------------------------------

def test_networks_and_ports_other_than_a_new_port_on_the_desktop_network_are_refused(neutron):
    public = {"id": "ext-1", "name": "public", "router:external": True}
    other = {"id": "net-9", "name": "lab-net", "router:external": False}
    neutron.networks.return_value = [launch_data.network(project_id=PROJECT), public, other]
    ctx = member()
    assert network_policy.check_request(ctx)["id"] == "net-1"
    assert network_policy.check_request(ctx, ("net-1", "desktop-net"))["id"] == "net-1"
    cases = [(("public",), (), network_policy.EXTERNAL_NETWORK),
             (("ext-1",), (), network_policy.EXTERNAL_NETWORK),
             (("lab-net",), (), network_policy.OTHER_NETWORK),
             (("no-such",), (), network_policy.OTHER_NETWORK),
             ((), ("port-x",), network_policy.OTHER_PORT)]
    neutron.port_find.return_value = None
    for networks, ports, message in cases:
        with pytest.raises(network_policy.NetworkRefused) as caught:
            network_policy.check_request(ctx, networks, ports)
        assert caught.value.message == message
    neutron.port_find.return_value = {"id": "port-x", "project_id": "p-other"}
    with pytest.raises(network_policy.NetworkRefused) as caught:
        network_policy.check_request(ctx, (), ("port-x",))
    assert caught.value.message == network_policy.OTHER_PORT
    neutron.port_find.return_value = {"id": "port-x", "project_id": PROJECT}
    with pytest.raises(network_policy.NetworkRefused) as caught:
        network_policy.check_request(ctx, (), ("port-x",))
    assert caught.value.message == network_policy.OWN_PORT


# --- launch and delete -----------------------------------------------------------------------

@pytest.fixture
def nova():
    ctx = member()
    server = launch_data.created(user_id=ctx.user_id, project_id=PROJECT,
                                 flavor_name="heps.vgpu.a16")
    with mock.patch.object(api.nova, "recent_desktops", return_value=[]), \
            mock.patch.object(api.nova, "desktop_create", return_value=server) as create, \
            mock.patch.object(api.nova, "desktop_get", return_value=server), \
            mock.patch.object(api.nova, "desktop_discard") as discard:
        yield mock.Mock(server=server, create=create, discard=discard, ctx=ctx)


def _request(public_ip=False, allowed=False, **kw):
    profile = next(p for p, _s in launch_data.catalog() if p.id == launch_data.VGPU_ID)
    return launch.LaunchRequest(name="d1", image_id="img-1", lifetime_hours=5,
                                profile=dataclasses.replace(profile, public_ip=allowed),
                                public_ip=public_ip, **kw)


def test_a_launch_with_a_public_address_allocates_one_for_the_new_desktop(neutron, nova):
    neutron.external_network.return_value = {"id": "ext-1"}
    neutron.floating_ip_create.return_value = {"id": "fip-1",
                                               "floating_ip_address": "172.24.4.9"}
    with audit_data.captured() as events:
        launch.launch(nova.ctx, _request(public_ip=True, allowed=True))
    neutron.floating_ip_create.assert_called_once_with(
        nova.ctx, "ext-1", f"heps-desktop:{nova.server.id}", project_id=None)
    assert nova.create.call_args.kwargs["metadata"]["heps:public_ip"] == "requested"
    assert audit_data.actions(events) == [("network.public_ip_allocate", "ok"),
                                          ("desktop.launch", "ok")]
    assert events[0]["floating_ip"] == "172.24.4.9"


def test_no_public_address_unless_asked_and_a_failed_one_undoes_the_launch(neutron, nova):
    launch.launch(nova.ctx, _request(allowed=True))
    neutron.floating_ip_create.assert_not_called()
    assert "heps:public_ip" not in nova.create.call_args.kwargs["metadata"]
    neutron.external_network.side_effect = api.neutron.NoDesktopNetwork("none")
    with pytest.raises(launch.LaunchFailed) as caught:
        launch.launch(nova.ctx, _request(public_ip=True, allowed=True))
    assert caught.value.created and caught.value.left_over is None
    nova.discard.assert_called_once_with(nova.ctx, nova.server.id)


def test_a_hand_made_network_is_refused_before_anything_is_made(neutron, nova):
    neutron.networks.return_value = [{"id": "ext-1", "name": "public",
                                      "router:external": True}]
    with audit_data.captured() as events, pytest.raises(network_policy.NetworkRefused):
        launch.launch(nova.ctx, _request(networks=("public",)))
    nova.create.assert_not_called()
    neutron.security_groups.assert_not_called()
    assert audit_data.actions(events) == [("desktop.launch", "refused")]


def test_delete_releases_the_desktops_public_address(neutron, cloud, user):
    server = cloud.add_server(metadata={"heps:public_ip": "requested"})
    fip = {"id": "fip-1", "floating_ip_address": "172.24.4.9",
           "description": f"heps-desktop:{server.id}"}
    neutron.floating_ips.return_value = [fip, {"id": "fip-2", "description": "someone's"}]
    with audit_data.captured() as events:
        revocation.delete_desktop(user, server.id)
    neutron.floating_ips.assert_called_once_with(user, description=f"heps-desktop:{server.id}")
    neutron.floating_ip_delete.assert_called_once_with(user, "fip-1")
    assert ("network.public_ip_release", "ok") in audit_data.actions(events)
    plain = cloud.add_server()
    neutron.floating_ips.reset_mock()
    revocation.delete_desktop(user, plain.id)
    neutron.floating_ips.assert_not_called()


# --- the reconciler's network steps ----------------------------------------------------------

def _desktop(allowed, **kw):
    found = desktops_data.server(**kw)
    if allowed:
        found.flavor["extra_specs"]["heps:public_ip"] = "allowed"
    return found


def _steps(desktops_):
    ops = contexts.operator_context()
    return list(network_sweep.steps(ops, {d.id: d for d in desktops_}, NOW))


def test_public_addresses_are_attached_released_or_taken_off(neutron):
    wanted, plain = _desktop(True), _desktop(False)
    gone_id = "9" * 8 + "-0000-4000-8000-" + "0" * 12
    neutron.floating_ips.return_value = [
        {"id": "f1", "description": f"heps-desktop:{wanted.id}", "port_id": None},
        {"id": "f2", "description": f"heps-desktop:{gone_id}", "port_id": None},
        {"id": "f3", "description": "by hand", "port_id": "pp",
         "port_details": {"device_id": plain.id}},
        {"id": "f4", "description": f"heps-desktop:{plain.id}", "port_id": None},
        {"id": "f5", "description": "not a desktop's", "port_id": "qq",
         "port_details": {"device_id": "some-vm"}},
    ]
    neutron.server_ports.return_value = [{"id": "port-1", "fixed_ips": [{"ip_address": "x"}]}]
    neutron.security_groups.return_value = []
    with mock.patch.object(api.nova, "server_find", return_value=None):
        found = _steps([wanted, plain])
    assert [(s.what, s.args[1]["id"]) for s in found] == [
        ("associate", "f1"), ("release", "f2"), ("disassociate", "f3"), ("release", "f4")]
    with audit_data.captured() as events:
        for step in found:
            step.call(*step.args)
    neutron.floating_ip_associate.assert_any_call(mock.ANY, "f1", "port-1")
    neutron.floating_ip_associate.assert_any_call(mock.ANY, "f3", None)
    assert [c.args[1] for c in neutron.floating_ip_delete.call_args_list] == ["f2", "f4"]
    assert audit_data.actions(events) == [
        ("network.public_ip_associate", "ok"), ("network.public_ip_release", "ok"),
        ("network.public_ip_disassociate", "ok"), ("network.public_ip_release", "ok")]


def test_an_address_of_a_desktop_launched_after_the_scan_is_kept(neutron):
    new_id = "1" * 8 + "-0000-4000-8000-" + "0" * 12
    neutron.floating_ips.return_value = [{"id": "f1", "description": f"heps-desktop:{new_id}",
                                          "port_id": None}]
    neutron.security_groups.return_value = []
    with mock.patch.object(api.nova, "server_find", return_value=_desktop(True)):
        assert _steps([]) == []


def test_an_address_waits_for_the_desktops_port(neutron):
    wanted = _desktop(True)
    neutron.floating_ips.return_value = [{"id": "f1", "description":
                                          f"heps-desktop:{wanted.id}", "port_id": None}]
    neutron.server_ports.return_value = []
    neutron.security_groups.return_value = []
    assert _steps([wanted]) == []


def test_only_old_experiment_groups_no_desktop_or_port_uses_are_deleted(neutron):
    old = (NOW - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    young = (NOW - datetime.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    used = _desktop(False, project_id=PROJECT)
    used.security_groups = [{"name": "heps-exp-used"}]

    def group(name, created=old, project=PROJECT):
        return {"id": f"id-{name}", "name": name, "project_id": project,
                "created_at": created}

    neutron.security_groups.return_value = [
        group("heps-exp-unused"), group("heps-exp-used"), group("heps-exp-young", young),
        group("heps-exp-ported"), group("heps-desktop"), group("default"),
        group("heps-exp-used", project="p-other")]
    neutron.ports_with_group.side_effect = lambda ctx, gid: (
        ["port"] if gid == "id-heps-exp-ported" else [])
    found = _steps([used])
    assert [(s.what, s.args[1]["id"], s.project_id) for s in found] == [
        ("delete-group", "id-heps-exp-unused", PROJECT),
        ("delete-group", "id-heps-exp-used", "p-other")]
    neutron.security_group_get.return_value = group("heps-exp-unused")
    with audit_data.captured() as events:
        found[0].call(*found[0].args)
    neutron.security_group_delete.assert_called_once_with(mock.ANY, "id-heps-exp-unused")
    assert audit_data.actions(events) == [("network.group_delete", "ok")]


def _stamp(delta):
    return (NOW - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_group_a_launch_used_lately_is_kept_however_old(neutron):
    """A launch marks the group it uses (neutron's updated_at): the sweep waits the grace
    from that moment, at the scan and again right before it deletes."""
    old, lately = _stamp(datetime.timedelta(days=30)), _stamp(datetime.timedelta(minutes=1))
    group = {"id": "sg-1", "name": GROUP, "project_id": PROJECT, "created_at": old,
             "updated_at": lately}
    neutron.security_groups.return_value = [group]
    assert _steps([]) == []
    # listed before the launch marked it, deleted after: looked at again, kept
    neutron.security_group_get.return_value = group
    network_sweep.delete_group(member(), dict(group, updated_at=old), NOW)
    # gone meanwhile, or a port uses it by now: nothing deleted either
    neutron.security_group_get.return_value = None
    network_sweep.delete_group(member(), group, NOW)
    neutron.security_group_get.return_value = dict(group, updated_at=old)
    neutron.ports_with_group.return_value = ["port-1"]
    network_sweep.delete_group(member(), group, NOW)
    neutron.security_group_delete.assert_not_called()


def test_a_launch_marks_the_group_it_uses_once_per_half_grace(neutron):
    now = datetime.datetime.now(datetime.UTC)
    old = (now - datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    neutron.security_groups.return_value = [launch_data.security_group(
        project_id=PROJECT, created_at=old)]
    network_policy.ensure_group(member(), "2026-0142")
    group_id, text = neutron.security_group_describe.call_args.args[1:]
    assert group_id == "sg-exp-1" and "last launch" in text
    neutron.security_group_describe.reset_mock()
    marked = launch_data.security_group(project_id=PROJECT, created_at=old)
    marked["updated_at"] = (now - datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    neutron.security_groups.return_value = [marked]
    network_policy.ensure_group(member(), "2026-0142")
    neutron.security_group_describe.assert_not_called()


def test_the_reconcilers_network_part_plans_in_a_dry_run_and_acts_otherwise(neutron):
    gone_id = "2" * 8 + "-0000-4000-8000-" + "0" * 12
    neutron.floating_ips.return_value = [{"id": "f2", "project_id": PROJECT,
                                          "description": f"heps-desktop:{gone_id}"}]
    neutron.security_groups.return_value = []
    ops = contexts.operator_context()
    with mock.patch.object(api.nova, "desktop_scan", return_value=[]), \
            mock.patch.object(api.nova, "server_find", return_value=None), \
            audit_data.captured() as events:
        planned = reconcile.Pass(ops, now=NOW, dry_run=True, only=("network",)).run()
        neutron.floating_ip_delete.assert_not_called()
        done = reconcile.Pass(ops, now=NOW, only=("network",)).run()
    assert [a.result for a in planned.actions] == ["dry-run"]
    assert [a.result for a in done.actions] == ["done"] and not done.failed
    neutron.floating_ip_delete.assert_called_once_with(ops, "f2")
    assert audit_data.actions(events) == [("network.public_ip_release", "ok"),
                                          ("reconcile.network", "ok")]
    assert events[-1]["target_id"] == gone_id


def test_neutron_down_is_one_failed_network_action(neutron):
    neutron.floating_ips.side_effect = api.neutron.NotFound()
    with mock.patch.object(api.nova, "desktop_scan", return_value=[]):
        report = reconcile.Pass(contexts.operator_context(), now=NOW,
                                only=("network",)).run()
    assert len(report.failed) == 1 and report.failed[0].what == "network"


def test_effective_rules_in_words(neutron):
    neutron.server_ports.return_value = [{"id": "p1", "network_id": "net-1",
                                          "security_groups": ["g1"],
                                          "fixed_ips": [{"ip_address": "10.42.1.7"}]}]
    neutron.security_groups.return_value = [launch_data.security_group(
        group_id="g1", rules=launch_data.EGRESS_RULES + (
            {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
             "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/8"},))]
    neutron.floating_ips.return_value = []
    view = network_policy.effective(member(), "srv-1")
    neutron.security_groups.assert_called_once_with(mock.ANY, ids=["g1"])
    assert view["ports"] == [{"id": "p1", "network_id": "net-1", "addresses": ["10.42.1.7"]}]
    group = view["groups"][0]
    assert (group["name"], group["experiment"], group["ingress"]) == (GROUP, True, True)
    assert group["rules"] == ["egress IPv4 any protocol to anywhere",
                              "egress IPv6 any protocol to anywhere",
                              "ingress IPv4 tcp port 22 from 10.0.0.0/8"]
    neutron.security_group_rule_create.assert_not_called()
