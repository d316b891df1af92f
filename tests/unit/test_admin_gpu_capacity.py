"""Admin › GPU Capacity: placement's numbers per GPU class and provider (totals equal
placement's own), who holds each GPU with idle desktops flagged and shelvable, a bounded
number of placement calls, errors as messages, and the admin policy on GET and POST."""

from unittest import mock

from django.test.utils import override_settings
from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import gpu_capacity
from heps_desktop_dashboard.dashboards.admin.gpu_capacity import charts
from test_data import capacity_data as cdata
from test_data import desktops_data as data
from test_data.contexts import IsUserContext

URL = reverse("horizon:admin:gpu_capacity:index")
PLACEMENT = {api.placement_inventory: ["resource_providers", "inventories", "usages",
                                       "allocations", "traits"]}
BOARD = {**PLACEMENT, api.nova_admin: ["desktops_all_projects"],
         api.identity_names: ["project_names", "user_names"]}
ALICE = "a11ce000000000000000000000000001"
PROJECT_A = "e0000000000000000000000000000a01"


def desktop(name, status="ACTIVE", flavor="heps.vgpu.a16"):
    return data.server(name=name, status=status, flavor_name=flavor, user_id=ALICE,
                       project_id=PROJECT_A)


class CapacityTestBase(test.BaseAdminViewTests):
    def _cloud(self, servers=(), **kwargs):
        cloud = cdata.FakePlacement(**kwargs)
        cloud.install(self)
        self.mock_desktops_all_projects.side_effect = lambda ctx: iter(list(servers))
        self.mock_project_names.return_value = {PROJECT_A: "experiment-a"}
        self.mock_user_names.return_value = {ALICE: "alice"}
        return cloud

    def _classes(self, res):
        return {gpu_class.label: gpu_class for gpu_class, _bar in res.context["classes"]}


class CapacityViewTests(CapacityTestBase):
    def test_panel_is_registered_in_the_admin_group(self):
        import horizon

        self.assertEqual(URL, "/admin/gpu_capacity/")
        dashboard = horizon.get_dashboard("admin")
        group = [g for g in dashboard.get_panel_groups().values()
                 if "gpu_capacity" in [p.slug for p in g]]
        self.assertEqual(str(group[0].name), "Experiment Desktops")
        self.assertEqual(str(dashboard.get_panel("gpu_capacity").name), "GPU Capacity")

    @test.create_mocks(BOARD)
    def test_totals_per_class_are_placements_numbers(self):
        vgpu, a100, idle = (desktop("vgpu-1"), desktop("a100-1", flavor="heps.a100.full"),
                            desktop("stopped", status="SHUTOFF"))
        cloud = self._cloud([vgpu, a100, idle], reserved=1)
        cloud.hold(vgpu.id, "heps-gpu-01", cdata.VGPU)
        cloud.hold(idle.id, "heps-gpu-02", cdata.VGPU)
        cloud.hold(a100.id, "heps-gpu-02", cdata.A100)
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        classes = self._classes(res)
        self.assertEqual(set(classes), {"VGPU (CUSTOM_HEPS_GPU_A16)", cdata.A100})
        vg = classes["VGPU (CUSTOM_HEPS_GPU_A16)"]
        self.assertEqual((vg.total, vg.reserved, vg.used, vg.free), (8, 0, 2, 6))
        whole = classes[cdata.A100]
        self.assertEqual((whole.total, whole.reserved, whole.used, whole.free), (4, 2, 1, 1))
        # a row per resource provider, placement's own usage on each
        lines = {(line.name, line.resource_class): line
                 for line in res.context["providers_table"].data}
        self.assertEqual(len(lines), 4)
        self.assertEqual(lines[("heps-gpu-02", cdata.A100)].used, 1)
        self.assertEqual(lines[("heps-gpu-02", cdata.A100)].reserved, 1)
        self.assertEqual(lines[("heps-gpu-01_pgpu0", cdata.VGPU)].traits, (cdata.A16,))
        self.assertContains(res, "<svg", count=2)
        self.mock_resource_providers.assert_called_once_with(IsUserContext())

    @test.create_mocks(BOARD)
    def test_holders_have_desktop_project_user_and_idle_ones_come_first(self):
        active, idle = desktop("busy"), desktop("forgotten", status="SHUTOFF")
        cloud = self._cloud([active, idle])
        cloud.hold(active.id, "heps-gpu-01", cdata.VGPU)
        cloud.hold(idle.id, "heps-gpu-02", cdata.VGPU)
        cloud.hold("5e1f0000-0000-4000-8000-000000000001", "heps-gpu-01", cdata.A100)
        res = self.client.get(URL)
        holders = res.context["holders_table"].data
        self.assertEqual([h.name for h in holders][:1], ["forgotten"])
        first = holders[0]
        self.assertTrue(first.idle)
        self.assertEqual((first.project_name, first.owner_name, first.host),
                         ("experiment-a", "alice", "heps-gpu-02"))
        self.assertContains(res, "Idle GPU", count=1)
        self.assertContains(res, "Stopped <span")  # the plugin's word, not "Shutoff"
        self.assertContains(res, "heps-idle-holder")
        self.assertContains(res, "1 GPU is held by a stopped desktop")
        self.assertContains(res, "not a desktop")
        self.assertContains(res, reverse("horizon:admin:desktops:detail", args=[idle.id]))
        # Shelve is offered on desktops only
        self.assertContains(res, f"holders__shelve__{idle.id}")
        self.assertContains(res, f"holders__shelve__{active.id}")
        self.assertNotContains(res, "holders__shelve__5e1f0000")

    @test.create_mocks(BOARD)
    def test_placement_calls_are_bounded_by_providers_not_consumers(self):
        for consumers in (0, 3, 60):
            for mocked in (self.mock_inventories, self.mock_usages, self.mock_allocations,
                           self.mock_traits, self.mock_resource_providers):
                mocked.reset_mock()
            servers = [desktop(f"d{i}") for i in range(consumers)]
            cloud = self._cloud(servers, vgpu=64)
            for i, server in enumerate(servers):
                cloud.hold(server.id, ("heps-gpu-01", "heps-gpu-02")[i % 2], cdata.VGPU)
            res = self.client.get(URL)
            self.assertEqual(len(res.context["holders_table"].data), consumers)
            providers = len(cloud.providers)
            gpu = len(cloud.gpu_providers())
            self.assertEqual(self.mock_resource_providers.call_count, 1)
            self.assertEqual(self.mock_inventories.call_count, providers)
            self.assertEqual(self.mock_usages.call_count, gpu)
            self.assertEqual(self.mock_allocations.call_count, gpu)
            self.assertEqual(self.mock_traits.call_count, 2)  # the two VGPU providers
            self.assertEqual(self.mock_desktops_all_projects.call_count, 1)
            self.mock_desktops_all_projects.reset_mock()

    @test.create_mocks(BOARD)
    def test_placement_down_renders_a_message(self):
        self._cloud()
        self.mock_resource_providers.side_effect = ks_exc.ConnectFailure("placement down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, error=1)
        self.assertContains(res, "cannot be read from placement")
        self.assertEqual(res.context["classes"], [])

    @test.create_mocks(BOARD)
    def test_placement_failing_half_way_renders_a_message(self):
        self._cloud()
        self.mock_usages.side_effect = ks_exc.ServiceUnavailable("placement 503")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, error=1)

    @test.create_mocks(BOARD)
    def test_keystone_down_shows_ids_with_a_message(self):
        held = desktop("busy")
        self._cloud([held]).hold(held.id, "heps-gpu-01", cdata.VGPU)
        self.mock_project_names.side_effect = ks_exc.ConnectFailure("keystone down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, warning=1)
        self.assertEqual(res.context["holders_table"].data[0].project_name, PROJECT_A)

    @test.create_mocks(BOARD)
    def test_nova_down_keeps_placements_numbers(self):
        cloud = self._cloud()
        cloud.hold("5e1f0000-0000-4000-8000-000000000002", "heps-gpu-01", cdata.VGPU)
        self.mock_desktops_all_projects.side_effect = nova_exc.ClientException(500, "x")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, warning=1)
        self.assertEqual(self._classes(res)["VGPU (CUSTOM_HEPS_GPU_A16)"].used, 1)

    @test.create_mocks({**BOARD, api.nova_admin: ["desktops_all_projects",
                                                  "desktop_get_any_project"],
                        api.nova: ["server_shelve"]})
    def test_shelve_an_idle_holder(self):
        idle = desktop("forgotten", status="SHUTOFF")
        self._cloud([idle]).hold(idle.id, "heps-gpu-02", cdata.VGPU)
        self.mock_desktop_get_any_project.return_value = idle
        res = self.client.post(URL, {"action": f"holders__shelve__{idle.id}"})
        self.assertRedirectsNoFollow(res, URL)
        self.mock_desktop_get_any_project.assert_called_once_with(IsUserContext(), idle.id)
        self.mock_server_shelve.assert_called_once_with(IsUserContext(), idle.id)


def deny_admin(rules, request, target=None):
    return not any(rule == ("compute", "context_is_admin") for rule in rules)


class CapacityRefusalTests(test.TestCase):
    @test.create_mocks(BOARD)
    def test_member_is_refused_and_nothing_is_read(self):
        for method in (self.client.get, self.client.post):
            res = method(URL, {"action": "holders__shelve__x"})
            self.assertEqual(res.status_code, 403)
        self.mock_resource_providers.assert_not_called()
        self.mock_desktops_all_projects.assert_not_called()


@override_settings(POLICY_CHECK_FUNCTION=deny_admin)
class CapacityPolicyTests(test.BaseAdminViewTests):
    @test.create_mocks(BOARD)
    def test_denied_admin_rule_refuses_get_and_post(self):
        for method in (self.client.get, self.client.post):
            self.assertEqual(method(URL, {"action": "holders__shelve__x"}).status_code, 403)
        self.mock_resource_providers.assert_not_called()


class ChartAndCoreTests(test.TestCase):
    def test_bar_segments_fill_the_width_in_proportion(self):
        parts = charts.segments(used=1, reserved=1, free=2, width=320)
        self.assertEqual([(k, w, n) for k, _x, w, n in parts],
                         [("used", 80, 1), ("reserved", 80, 1), ("free", 160, 2)])
        self.assertEqual(sum(w for _k, _x, w, _n in charts.segments(1, 0, 2, 320)), 320)
        self.assertEqual(charts.segments(0, 0, 0), [])

    def test_gpu_classes_and_vgpu_types(self):
        self.assertTrue(gpu_capacity.is_gpu_class("VGPU"))
        self.assertTrue(gpu_capacity.is_gpu_class("CUSTOM_HEPS_GPU_A100"))
        self.assertFalse(gpu_capacity.is_gpu_class("VCPU"))
        self.assertFalse(gpu_capacity.is_gpu_class("CUSTOM_FPGA"))
        rp = {"uuid": "u1", "name": "h_pgpu0"}
        lines = gpu_capacity.provider_lines(
            rp, "h", {"VGPU": {"total": 4, "reserved": 1, "allocation_ratio": 2.0}},
            {"VGPU": 3}, ["CUSTOM_NVIDIA_222", "OWNER_NOVA"])
        self.assertEqual(lines[0].capacity, 6)
        self.assertEqual(lines[0].free, 3)
        self.assertEqual(lines[0].label, "VGPU (CUSTOM_NVIDIA_222)")
        other = gpu_capacity.provider_lines(
            {"uuid": "u2", "name": "g_pgpu0"}, "g",
            {"VGPU": {"total": 2, "reserved": 0}}, {}, ["CUSTOM_NVIDIA_333"])
        self.assertEqual(len(gpu_capacity.group(lines + other)), 2)

    def test_sum_of_holders_equals_usage(self):
        cloud = cdata.FakePlacement()
        for i in range(3):
            cloud.hold(f"c{i}", "heps-gpu-01", cdata.VGPU)
        lines = []
        for rp in cloud.providers:
            lines += gpu_capacity.provider_lines(rp, "heps-gpu-01", cloud.inventories[
                rp["uuid"]], cloud.usages(rp["uuid"]), cloud.traits[rp["uuid"]])
        holders = gpu_capacity.holders(lines, cloud.allocations, {})
        used = sum(line.used for line in lines if line.resource_class == cdata.VGPU)
        self.assertEqual(sum(h.amount for h in holders), used)
        self.assertFalse(any(h.idle for h in holders))
        with mock.patch.object(gpu_capacity, "IDLE_STATUSES", ("ACTIVE",)):
            self.assertFalse(holders[0].idle)  # not a desktop: never idle
