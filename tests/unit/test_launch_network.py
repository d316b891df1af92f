"""Launch Desktop and the network policy: the experiment's security group is what nova
gets, a hand-made POST naming a network or a port is refused with a message (nothing is
created), and the Public address checkbox only exists for profiles that allow it."""

from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc
from openstack_dashboard.test import helpers as test
from unit.test_launch import LAUNCH_URL
from unit.test_launch import LOAD
from unit.test_launch import LaunchTestBase

from heps_desktop_dashboard import api
from heps_desktop_dashboard.services import network_policy
from test_data import desktops_data
from test_data import launch_data as data
from test_data.contexts import IsUserContext

NETWORK_LOAD = {**LOAD, api.neutron: LOAD[api.neutron] + [
    "networks", "port_find", "external_network", "floating_ip_create"]}
PUBLIC_CPU_SPECS = {**data.CPU_SPECS, "heps:public_ip": "allowed"}


def flavors_with_public_cpu():
    return [data.flavor(*fields[:5], PUBLIC_CPU_SPECS if fields[0] == data.CPU_ID
                        else fields[5]) for fields in data.FLAVORS]


class LaunchNetworkTests(LaunchTestBase):
    def _user(self):
        return IsUserContext(project_id=self.tenant.id)

    @test.create_mocks(NETWORK_LOAD)
    def test_an_experiment_launch_gets_the_experiments_group(self):
        self._mock_catalog()
        self._mock_created()
        res = self._post(experiment="2026-0142")
        self.assertNoFormErrors(res)
        self.assertEqual(self.mock_desktop_create.call_args.kwargs["security_groups"],
                         ["sg-exp-1"])
        self.mock_security_groups.assert_called_once_with(
            self._user(), name="heps-exp-2026-0142", project_id=self.tenant.id)

    @test.create_mocks(NETWORK_LOAD)
    def test_a_hand_made_external_network_or_port_is_refused(self):
        self._mock_catalog()
        self.mock_networks.return_value = [
            data.network(project_id=self.tenant.id),
            {"id": "ext-1", "name": "public", "router:external": True}]
        self.mock_port_find.return_value = None
        cases = {"network": ("public", network_policy.EXTERNAL_NETWORK),
                 "network_id": ("ext-1", network_policy.EXTERNAL_NETWORK),
                 "net-id": ("lab-net", network_policy.OTHER_NETWORK),
                 "port": ("port-of-project-b", network_policy.OTHER_PORT),
                 "port_id": ("port-of-project-b", network_policy.OTHER_PORT)}
        for key, (value, message) in cases.items():
            res = self._post(**{key: value})
            self._assert_not_created(res, str(message))
        self.mock_security_groups.assert_not_called()

    @test.create_mocks(NETWORK_LOAD)
    def test_the_desktop_network_itself_may_be_named(self):
        self._mock_catalog()
        self._mock_created()
        res = self._post(network="desktop-net")
        self.assertNoFormErrors(res)
        self.mock_desktop_create.assert_called_once()
        self.mock_networks.assert_not_called()

    @test.create_mocks(NETWORK_LOAD)
    def test_the_public_address_checkbox_exists_only_for_profiles_allowing_it(self):
        self._mock_catalog()
        res = self.client.get(LAUNCH_URL)
        self.assertContains(res, 'type="hidden" name="public_ip"')
        self.assertNotContains(res, 'type="checkbox" name="public_ip"')
        self._mock_catalog(flavors=flavors_with_public_cpu())
        res = self.client.get(LAUNCH_URL)
        self.assertContains(res, 'type="checkbox" name="public_ip"')
        self.assertContains(res, f'data-heps-profiles="{data.CPU_ID}"')

    @test.create_mocks(NETWORK_LOAD)
    def test_a_public_address_is_refused_for_a_profile_without_it(self):
        self._mock_catalog(flavors=flavors_with_public_cpu())
        res = self._post(public_ip="on", profile=data.A100_ID)
        self._assert_not_created(res, str(network_policy.PUBLIC_IP_NOT_ALLOWED))

    @test.create_mocks(NETWORK_LOAD)
    def test_a_public_address_is_allocated_when_allowed_and_asked(self):
        self._mock_catalog(flavors=flavors_with_public_cpu())
        server = self._mock_created(flavor_name="heps.cpu.std")
        self.mock_external_network.return_value = {"id": "ext-1"}
        self.mock_floating_ip_create.return_value = {"id": "fip-1",
                                                     "floating_ip_address": "172.24.4.9"}
        res = self._post(public_ip="on", profile=data.CPU_ID)
        self.assertNoFormErrors(res)
        self.mock_floating_ip_create.assert_called_once_with(
            self._user(), "ext-1", f"heps-desktop:{server.id}", project_id=None)
        metadata = self.mock_desktop_create.call_args.kwargs["metadata"]
        self.assertEqual(metadata["heps:public_ip"], "requested")


class NetworkTabTests(test.TestCase):
    @test.create_mocks({api.nova: ["desktop_get"], api.glance: ["images_by_id"],
                        api.neutron: ["server_ports", "security_groups", "floating_ips"]})
    def test_the_network_tab_shows_the_effective_rules_read_only(self):
        server = desktops_data.server()
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {}
        self.mock_server_ports.return_value = [{
            "id": "p1", "network_id": "net-1", "security_groups": ["sg-exp-1"],
            "fixed_ips": [{"ip_address": "10.42.1.7"}]}]
        self.mock_security_groups.return_value = [data.security_group()]
        self.mock_floating_ips.return_value = []
        url = reverse("horizon:project:desktops:detail", args=[server.id])
        res = self.client.get(url + "?tab=desktop_details__network",
                              HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "heps-exp-2026-0142")
        self.assertContains(res, "egress IPv4 any protocol to anywhere")
        self.assertContains(res, "No ingress rule")
        self.assertContains(res, "10.42.1.7")
        self.assertContains(res, "None (reachable only through its console)")

    @test.create_mocks({api.nova: ["desktop_get"], api.glance: ["images_by_id"],
                        api.neutron: ["server_ports"]})
    def test_neutron_down_is_a_message_not_a_500(self):
        server = desktops_data.server()
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {}
        self.mock_server_ports.side_effect = ks_exc.ConnectFailure("neutron down")
        url = reverse("horizon:project:desktops:detail", args=[server.id])
        res = self.client.get(url + "?tab=desktop_details__network",
                              HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "security rules cannot be shown now")
