"""The Launch Desktop modal, rendering: what it offers (golden images, profiles read from
nova's flavors, free GPUs, quota) and how many API calls a render costs.

The api/ layer is mocked; flavors are novaclient objects behind api.nova_client, so
api.nova_flavors really reads their embedded extra specs. The LaunchTestBase here is
shared by test_launch_submit.py and test_experiments_launch.py.
"""

from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from test_data import desktops_data
from test_data import experiments_data
from test_data import launch_data as data
from test_data.contexts import IsUserContext

LAUNCH_URL = reverse("horizon:project:desktops:launch")
INDEX_URL = reverse("horizon:project:desktops:index")

LOAD = {
    api.glance: ["golden_image_list"],
    # api.nova_flavors.profile_list_with_specs runs for real on novaclient flavors.
    api.nova_client: ["for_feature"],
    api.nova_flavors: ["absolute_limits", "gpu_usage_from_servers"],
    api.nova: ["recent_desktops", "desktop_create", "desktop_get", "desktop_discard"],
    api.placement: ["project_usages", "gpu_free"],
    api.keystone: ["compute_limits"],
    # The experiment's security group (services/network_policy.py) is found, not made.
    api.neutron: ["desktop_network", "security_groups", "security_group_describe"],
    # The experiment choices and plans come from Manila (services/experiments.py).
    api.manila: ["experiment_shares", "export_locations"],
}


def console_tab_url(server_id):
    """Where a launch leads: the new desktop's Console tab (launch and connect)."""
    return (reverse("horizon:project:desktops:detail", args=[server_id])
            + "?tab=desktop_details__console")


class LaunchTestBase(test.TestCase):
    def _mock_catalog(self, limits=None, gpu_limits=None, usages=None, free=None,
                      flavors=None):
        self.nova = data.nova_with_flavors(flavors)
        self.mock_for_feature.return_value = self.nova
        self.mock_golden_image_list.return_value = desktops_data.golden_images()
        self.mock_absolute_limits.return_value = limits or data.absolute_limits()
        self.mock_compute_limits.return_value = gpu_limits or data.gpu_limits()
        self.mock_project_usages.return_value = usages or data.usages()
        self.mock_gpu_free.return_value = data.free() if free is None else free
        self.mock_recent_desktops.return_value = []
        self.mock_desktop_network.return_value = data.network(project_id=self.tenant.id)
        self.mock_security_groups.return_value = [
            data.security_group(project_id=self.tenant.id)]
        self.mock_experiment_shares.return_value = [
            experiments_data.share(kind, project=self.tenant.id, experiment=exp)
            for exp in ("2026-0142", "E-1") for kind in ("raw", "results")]
        self.mock_export_locations.side_effect = lambda ctx, share_id: [
            {"path": experiments_data.EXPORT + share_id, "preferred": True}]

    def _mock_created(self, **kwargs):
        kwargs.setdefault("user_id", self.user.id)
        kwargs.setdefault("project_id", self.tenant.id)
        server = data.created(**kwargs)
        self.mock_desktop_create.return_value = server
        self.mock_desktop_get.return_value = server
        return server

    def _form_data(self, **overrides):
        values = {
            "image": desktops_data.IMAGE_IMAGING,
            "profile": data.A100_ID,
            "experiment": "",
            "name": "test_user-desktop",
            "lifetime_hours": 24,
            "launch_token": "a" * 32,
        }
        values.update(overrides)
        return {k: v for k, v in values.items() if v is not None}

    def _post(self, **overrides):
        return self.client.post(LAUNCH_URL, self._form_data(**overrides))

    def _errors(self, res):
        return " ".join(str(e) for errs in res.context["form"].errors.values()
                        for e in errs)

    def _assert_not_created(self, res, message=None):
        self.assertEqual(res.status_code, 200)
        self.assertFormErrors(res)
        if message:
            self.assertIn(message, self._errors(res))
        self.mock_desktop_create.assert_not_called()


class LaunchRenderTests(LaunchTestBase):
    @test.create_mocks(LOAD)
    def test_form_shows_catalog_capacity_and_quota(self):
        self._mock_catalog()
        res = self.client.get(LAUNCH_URL)
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/desktops/launch.html")
        form = res.context["form"]
        # golden images with techniques and description
        self.assertContains(res, "HEPS Imaging 2026.2 (imaging, tomography)")
        self.assertContains(res, "crystallography, diffraction")
        # profiles (GPU first) with GPU kind/model, vCPU, RAM and free GPUs; the plain
        # flavor of the cloud is not offered
        self.assertEqual([c[0] for c in form.fields["profile"].choices],
                         [data.A100_ID, data.VGPU_ID, data.CPU_ID])
        self.assertContains(res, "heps.a100.full — NVIDIA A100 80GB, 8 vCPU, 32 GB RAM"
                                 " · 3 free now")
        self.assertContains(res, "heps.vgpu.a16 — NVIDIA A16 vGPU, 4 vCPU, 16 GB RAM"
                                 " · 5 free now")
        self.assertContains(res, "heps.cpu.std — CPU only, 4 vCPU, 8 GB RAM")
        self.assertContains(res, "Full reconstruction, one whole A100.")
        self.assertNotContains(res, "m1.small")
        # quota lines: instances, vCPUs, RAM, one per GPU class; used / limit
        rows = {str(r["label"]): r for r in form.quota_rows()}
        self.assertEqual(list(rows), ["Instances", "vCPUs", "RAM (GB)",
                                      "GPU: NVIDIA A100 80GB", "GPU: NVIDIA A16 vGPU"])
        self.assertEqual((rows["Instances"]["used"], rows["Instances"]["limit"]), (2, 10))
        self.assertEqual((rows["RAM (GB)"]["used"], rows["RAM (GB)"]["limit"]), ("48", "128"))
        self.assertEqual((rows["GPU: NVIDIA A16 vGPU"]["used"],
                          rows["GPU: NVIDIA A16 vGPU"]["limit"]), (1, 4))
        a100_adds = {a["profile"]: a["amount"] for a in rows["GPU: NVIDIA A100 80GB"]["adds"]}
        self.assertEqual(a100_adds, {data.A100_ID: 1, data.VGPU_ID: "", data.CPU_ID: ""})
        self.assertContains(res, 'data-profile="%s"' % data.A100_ID)
        # every field has a valid default
        self.assertEqual(form.fields["image"].initial, desktops_data.IMAGE_IMAGING)
        self.assertEqual(form.fields["profile"].initial, data.A100_ID)
        self.assertEqual(form.fields["name"].initial, "test_user-desktop")
        self.assertEqual(form.fields["lifetime_hours"].initial, 24)
        self.assertEqual(len(form.fields["launch_token"].initial), 32)
        # capacity for each distinct GPU request, once, as the user
        user = IsUserContext(project_id=self.tenant.id)
        self.mock_gpu_free.assert_called_once_with(user, [data.A100_REQUEST,
                                                          data.VGPU_REQUEST])
        self.mock_compute_limits.assert_called_once_with(
            user, ["class:CUSTOM_HEPS_GPU_A100", "class:VGPU"])
        self.mock_gpu_usage_from_servers.assert_not_called()
        self.mock_desktop_create.assert_not_called()

    @test.create_mocks(LOAD)
    def test_flavors_are_read_in_one_call_with_embedded_specs(self):
        self._mock_catalog()
        self.client.get(LAUNCH_URL)
        # nova >= 2.61 embeds the extra specs: no GET /flavors/{id}/os-extra_specs
        self.nova.flavors.list.assert_called_once_with(detailed=True, is_public=None)
        for found in self.nova.flavors.list.return_value:
            found.manager.api.client.get.assert_not_called()
        self.assertIn(
            "flavor_extra_specs", [c.args[1] for c in self.mock_for_feature.call_args_list])

    @test.create_mocks(LOAD)
    def test_flavors_of_a_nova_older_than_2_61_are_read_one_by_one(self):
        self._mock_catalog(flavors=data.flavors(embedded=False))

        def for_feature(ctx, feature):
            if feature == "flavor_extra_specs":
                raise api.nova_client.FeatureNotAvailable(feature)
            return self.nova

        self.mock_for_feature.side_effect = for_feature
        res = self.client.get(LAUNCH_URL)
        self.assertEqual([c[0] for c in res.context["form"].fields["profile"].choices],
                         [data.A100_ID, data.VGPU_ID, data.CPU_ID])
        self.assertContains(res, "Full reconstruction, one whole A100.")
        for found in self.nova.flavors.list.return_value:
            found.manager.api.client.get.assert_called_once_with(
                f"/flavors/{found.id}/os-extra_specs")

    @test.create_mocks(LOAD)
    def test_api_calls_per_render_are_constant(self):
        self._mock_catalog()
        self.client.get(LAUNCH_URL)
        for mocked in (self.mock_golden_image_list, self.nova.flavors.list,
                       self.mock_absolute_limits, self.mock_compute_limits,
                       self.mock_project_usages, self.mock_gpu_free):
            self.assertEqual(mocked.call_count, 1, mocked)
        self.mock_experiment_shares.assert_called_once_with(
            IsUserContext(project_id=self.tenant.id), self.tenant.id)
        for mocked in (self.mock_recent_desktops, self.mock_desktop_network,
                       self.mock_gpu_usage_from_servers, self.mock_export_locations):
            mocked.assert_not_called()

    @test.create_mocks(LOAD)
    def test_no_capacity_number_when_placement_unreadable(self):
        self._mock_catalog()
        self.mock_gpu_free.return_value = None
        res = self.client.get(LAUNCH_URL)
        self.assertNotContains(res, "free now")
        self.assertContains(res, "heps.a100.full — NVIDIA A100 80GB, 8 vCPU, 32 GB RAM")

    @test.create_mocks(LOAD)
    def test_capacity_error_is_silent(self):
        self._mock_catalog()
        self.mock_gpu_free.side_effect = ks_exc.Forbidden("policy")
        res = self.client.get(LAUNCH_URL)
        self.assertEqual(res.status_code, 200)
        self.assertNotContains(res, "free now")
        self.assertMessageCount(res, error=0)

    @test.create_mocks(LOAD)
    def test_default_profile_skips_over_quota_and_full_profiles(self):
        # A100 quota used up (2 of 2); vGPU has no free GPU: CPU profile is the default
        self._mock_catalog(usages=data.usages(a100=2), free=data.free(vgpu=0))
        res = self.client.get(LAUNCH_URL)
        form = res.context["form"]
        self.assertEqual(form.fields["profile"].initial, data.CPU_ID)
        self.assertContains(res, "heps.a100.full — NVIDIA A100 80GB, 8 vCPU, 32 GB RAM"
                                 " · 3 free now · over your quota")
        self.assertContains(res, "none free now")
        self.assertContains(res, "(over quota)")

    @test.create_mocks(LOAD)
    def test_usage_counted_from_servers_when_placement_usages_forbidden(self):
        self._mock_catalog()
        self.mock_project_usages.side_effect = ks_exc.Forbidden("policy")
        self.mock_gpu_usage_from_servers.return_value = {"VGPU": 3}
        res = self.client.get(LAUNCH_URL)
        rows = {str(r["label"]): r for r in res.context["form"].quota_rows()}
        self.assertEqual(rows["GPU: NVIDIA A16 vGPU"]["used"], 3)
        self.assertEqual(rows["GPU: NVIDIA A100 80GB"]["used"], 0)
        self.mock_gpu_usage_from_servers.assert_called_once_with(
            IsUserContext(project_id=self.tenant.id))

    @test.create_mocks(LOAD)
    def test_unreadable_quota_is_shown_unknown_and_does_not_block(self):
        self._mock_catalog()
        self.mock_absolute_limits.side_effect = nova_exc.ClientException(500, "boom")
        self.mock_compute_limits.side_effect = ks_exc.ConnectFailure("down")
        res = self.client.get(LAUNCH_URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "Part of the quota could not be read")
        self.assertContains(res, "unknown")
        server = self._mock_created()
        res = self._post()
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, console_tab_url(server.id))

    @test.create_mocks(LOAD)
    def test_catalog_errors_render_with_messages(self):
        self._mock_catalog()
        self.mock_golden_image_list.side_effect = Exception("glance down")
        self.mock_for_feature.side_effect = nova_exc.ClientException(500, "x")
        res = self.client.get(LAUNCH_URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "No golden image available")
        self.assertContains(res, "No desktop profile available")
        self.assertMessageCount(res, error=2)
        self.mock_gpu_free.assert_not_called()
        res = self._post(image="", profile="")
        self._assert_not_created(res)

    @test.create_mocks(LOAD)
    def test_inconsistent_profile_flavor_is_left_out(self):
        broken = data.flavor("broken", "heps.broken", 4, 8192, 40,
                             {"heps:profile": "true", "heps:gpu_kind": "vgpu"})
        self._mock_catalog(flavors=data.flavors() + [broken])
        with self.assertLogs("heps_desktop_dashboard.api.nova_flavors", "WARNING"):
            res = self.client.get(LAUNCH_URL)
        self.assertEqual(res.status_code, 200)
        self.assertNotContains(res, "heps.broken")

    @test.create_mocks(LOAD)
    def test_names_and_descriptions_are_escaped(self):
        self._mock_catalog()
        images = desktops_data.golden_images()
        images[0] = desktops_data.image(name="<b>bold</b>",
                                        description="<script>alert(1)</script>")
        self.mock_golden_image_list.return_value = images
        res = self.client.get(LAUNCH_URL)
        self.assertNotContains(res, "<script>alert(1)</script>")
        self.assertNotContains(res, "<b>bold</b>")
        self.assertContains(res, "&lt;script&gt;alert(1)&lt;/script&gt;")
