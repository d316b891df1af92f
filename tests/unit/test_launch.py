"""The Launch Desktop modal: every form path, with the api/ layer mocked; plus the plain
quota rules (core/quota.py) and the thin placement/keystone readers."""

import datetime
from unittest import mock

from django.test.utils import override_settings
from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import quota
from heps_desktop_dashboard.desktops import experiments
from heps_desktop_dashboard.desktops import forms as launch_forms
from test_data import desktops_data
from test_data import experiments_data
from test_data import launch_data as data

LAUNCH_URL = reverse("horizon:project:desktops:launch")
INDEX_URL = reverse("horizon:project:desktops:index")

LOAD = {
    api.glance: ["golden_image_list"],
    api.nova: ["profile_list_with_specs", "absolute_limits", "gpu_usage_from_servers",
               "recent_desktops", "desktop_create", "desktop_get", "desktop_discard"],
    api.placement: ["project_usages", "gpu_free"],
    api.keystone: ["compute_limits"],
    api.neutron: ["desktop_network"],
    # The experiment choices come from Manila (desktops/experiments.py).
    manila: ["experiment_shares", "export_locations"],
    experiments: ["apply_on_launch"],
}


class LaunchTestBase(test.TestCase):
    def _mock_catalog(self, limits=None, gpu_limits=None, usages=None, free=None):
        self.mock_golden_image_list.return_value = desktops_data.golden_images()
        self.mock_profile_list_with_specs.return_value = data.catalog()
        self.mock_absolute_limits.return_value = limits or data.absolute_limits()
        self.mock_compute_limits.return_value = gpu_limits or data.gpu_limits()
        self.mock_project_usages.return_value = usages or data.usages()
        self.mock_gpu_free.return_value = data.free() if free is None else free
        self.mock_recent_desktops.return_value = []
        self.mock_desktop_network.return_value = mock.Mock(id="net-1")
        self.mock_experiment_shares.return_value = [
            experiments_data.share(kind, project=self.tenant.id, experiment=exp)
            for exp in ("2026-0142", "E-1") for kind in ("raw", "results")]
        self.mock_export_locations.side_effect = lambda request, share_id: [
            {"path": experiments_data.EXPORT + share_id, "preferred": True}]

    def _mock_created(self, **kwargs):
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

    def _assert_not_created(self, res, message=None):
        self.assertEqual(res.status_code, 200)
        self.assertFormErrors(res)
        if message:
            errors = " ".join(str(e) for errs in res.context["form"].errors.values()
                              for e in errs)
            self.assertIn(message, errors)
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
        # profiles with GPU kind/model, vCPU, RAM and free GPUs
        self.assertContains(res, "heps.a100.full — NVIDIA A100 80GB, 8 vCPU, 32 GB RAM"
                                 " · 3 free now")
        self.assertContains(res, "heps.vgpu.a16 — NVIDIA A16 vGPU, 4 vCPU, 16 GB RAM"
                                 " · 5 free now")
        self.assertContains(res, "heps.cpu.std — CPU only, 4 vCPU, 8 GB RAM")
        self.assertContains(res, "Full reconstruction, one whole A100.")
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
        # capacity for each distinct GPU request, once
        self.mock_gpu_free.assert_called_once_with(
            test.IsHttpRequest(), [data.A100_REQUEST, data.VGPU_REQUEST])
        self.mock_compute_limits.assert_called_once_with(
            test.IsHttpRequest(), ["class:CUSTOM_HEPS_GPU_A100", "class:VGPU"])
        self.mock_gpu_usage_from_servers.assert_not_called()
        self.mock_desktop_create.assert_not_called()

    @test.create_mocks(LOAD)
    def test_api_calls_per_render_are_constant(self):
        self._mock_catalog()
        self.client.get(LAUNCH_URL)
        for mocked in (self.mock_golden_image_list, self.mock_profile_list_with_specs,
                       self.mock_absolute_limits, self.mock_compute_limits,
                       self.mock_project_usages, self.mock_gpu_free):
            self.assertEqual(mocked.call_count, 1, mocked)
        for mocked in (self.mock_recent_desktops, self.mock_desktop_network,
                       self.mock_gpu_usage_from_servers):
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
        self.mock_gpu_usage_from_servers.assert_called_once_with(test.IsHttpRequest())

    @test.create_mocks(LOAD)
    def test_unreadable_quota_is_shown_unknown_and_does_not_block(self):
        self._mock_catalog()
        self.mock_absolute_limits.side_effect = nova_exc.ClientException(500, "boom")
        self.mock_compute_limits.side_effect = ks_exc.ConnectFailure("down")
        res = self.client.get(LAUNCH_URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "Part of the quota could not be read")
        self.assertContains(res, "unknown")
        self._mock_created()
        res = self._post()
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX_URL)

    @test.create_mocks(LOAD)
    def test_catalog_errors_render_with_messages(self):
        self._mock_catalog()
        self.mock_golden_image_list.side_effect = Exception("glance down")
        self.mock_profile_list_with_specs.side_effect = nova_exc.ClientException(500, "x")
        res = self.client.get(LAUNCH_URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "No golden image available")
        self.assertContains(res, "No desktop profile available")
        self.assertMessageCount(res, error=2)
        self.mock_gpu_free.assert_not_called()
        res = self._post(image="", profile="")
        self._assert_not_created(res)

    @test.create_mocks(LOAD)
    def test_names_and_descriptions_are_escaped(self):
        self._mock_catalog()
        images = desktops_data.golden_images()
        images[0]._apiresource["name"] = "<b>bold</b>"
        images[0]._apiresource["heps_description"] = "<script>alert(1)</script>"
        self.mock_golden_image_list.return_value = images
        res = self.client.get(LAUNCH_URL)
        self.assertNotContains(res, "<script>alert(1)</script>")
        self.assertNotContains(res, "<b>bold</b>")
        self.assertContains(res, "&lt;script&gt;alert(1)&lt;/script&gt;")


class LaunchSubmitTests(LaunchTestBase):
    @test.create_mocks(LOAD)
    def test_launch_with_the_defaults(self):
        self._mock_catalog()
        form = self.client.get(LAUNCH_URL).context["form"]
        defaults = {name: field.initial for name, field in form.fields.items()}
        defaults["experiment"] = ""
        server = self._mock_created()
        before = desktops.utcnow()
        res = self.client.post(LAUNCH_URL, defaults)
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_desktop_create.assert_called_once()
        kwargs = self.mock_desktop_create.call_args.kwargs
        self.assertEqual(kwargs["name"], "test_user-desktop")
        self.assertEqual(kwargs["image_id"], desktops_data.IMAGE_IMAGING)
        self.assertEqual(kwargs["flavor_id"], data.A100_ID)
        self.assertEqual(kwargs["network_id"], "net-1")
        self.assertEqual(kwargs["security_groups"], ["heps-desktop"])
        meta = kwargs["metadata"]
        self.assertEqual(meta["heps:owner"], "test_user")
        self.assertEqual(meta["heps:profile"], "heps.a100.full")
        self.assertNotIn("heps:experiment", meta)
        expires = desktops.parse_expiry(meta["heps:expires_at"])
        self.assertAlmostEqual((expires - before).total_seconds(), 24 * 3600, delta=5)
        self.mock_desktop_get.assert_called_once_with(test.IsHttpRequest(), server.id)
        self.mock_desktop_discard.assert_not_called()
        self.assertIn(defaults["launch_token"],
                      self.client.session[launch_forms.USED_TOKENS_KEY])

    @test.create_mocks(LOAD)
    def test_experiment_is_stored_and_default_name_follows_it(self):
        self._mock_catalog()
        self._mock_created()
        res = self._post(experiment="2026-0142")
        self.assertNoFormErrors(res)
        kwargs = self.mock_desktop_create.call_args.kwargs
        self.assertEqual(kwargs["name"], "test_user-2026-0142-desktop")
        self.assertEqual(kwargs["metadata"]["heps:experiment"], "2026-0142")

    @test.create_mocks(LOAD)
    def test_empty_name_gets_the_default(self):
        self._mock_catalog()
        self._mock_created()
        res = self._post(name="   ", experiment="E-1")
        self.assertNoFormErrors(res)
        self.assertEqual(self.mock_desktop_create.call_args.kwargs["name"],
                         "test_user-E-1-desktop")

    @test.create_mocks({**LOAD, api.nova: LOAD[api.nova] + ["desktop_list_paged"],
                        api.glance: ["golden_image_list", "images_by_id"]})
    def test_unicode_and_html_names_are_kept_and_escaped(self):
        self._mock_catalog()
        self.mock_images_by_id.return_value = {}
        for token, name in (("b1", "成像-桌面 Ünïcödé"), ("b2", "<img src=x onerror=alert(1)>")):
            self.mock_desktop_create.reset_mock()
            server = self._mock_created(name=name)
            self.mock_desktop_list_paged.return_value = ([server], False, False)
            res = self.client.post(LAUNCH_URL, self._form_data(name=name, launch_token=token),
                                   follow=True)
            self.assertEqual(res.status_code, 200)
            self.assertNoFormErrors(res)
            self.assertEqual(self.mock_desktop_create.call_args.kwargs["name"], name)
            self.assertNotContains(res, "<img src=x onerror=alert(1)>")
            self.assertContains(res, "Launching desktop")

    @test.create_mocks(LOAD)
    def test_bad_names_are_refused(self):
        self._mock_catalog()
        cases = {
            "x" * 256: "at most 255 characters",
            "bad\x07name": "control characters",
            "tab\tname": "control characters",
            "c1\x85control": "control characters",
            "zero\u200bwidth": "control characters",
            "line\u2028break": "line breaks",
            "emoji \U0001F600": "emoji",
        }
        for name, message in cases.items():
            res = self._post(name=name)
            self._assert_not_created(res, message)

    @test.create_mocks(LOAD)
    def test_bad_experiment_is_refused(self):
        self._mock_catalog()
        for experiment in ("<script>", "a" * 65, "two words"):
            res = self._post(experiment=experiment)
            self._assert_not_created(res)

    @test.create_mocks(LOAD)
    def test_lifetime_out_of_range_is_refused(self):
        self._mock_catalog()
        for hours, message in ((0, "greater than or equal to 1"),
                               (169, "less than or equal to 168"),
                               (-5, "greater than or equal to 1"),
                               ("ten", "whole number"),
                               ("", "required")):
            res = self._post(lifetime_hours=hours)
            self._assert_not_created(res, message)

    @test.create_mocks(LOAD)
    def test_hand_made_ids_are_refused(self):
        self._mock_catalog()
        # a plain (non-golden) image id and a flavor that is not a profile
        res = self._post(image="33333333-3333-4333-8333-333333333333")
        self._assert_not_created(res, "not in the golden image catalog")
        res = self._post(profile="m1.small")
        self._assert_not_created(res, "not a desktop profile")

    @test.create_mocks(LOAD)
    def test_image_deleted_between_render_and_submit(self):
        self._mock_catalog()
        self.mock_golden_image_list.return_value = desktops_data.golden_images()[1:]
        res = self._post()
        self._assert_not_created(res, "it may just have been deleted")

    @test.create_mocks(LOAD)
    def test_profile_deleted_between_render_and_submit(self):
        self._mock_catalog()
        self.mock_profile_list_with_specs.return_value = data.catalog()[1:]
        res = self._post()
        self._assert_not_created(res, "it may just have been deleted")

    def _assert_launch_error(self, error, message):
        self.mock_desktop_create.side_effect = error
        res = self._post()
        self.assertEqual(res.status_code, 200)
        self.assertFormErrors(res)
        errors = " ".join(str(e) for e in res.context["form"].non_field_errors())
        self.assertIn(message, errors)
        self.mock_desktop_create.assert_called_once()
        self.mock_desktop_discard.assert_not_called()
        self.mock_desktop_create.reset_mock(side_effect=True)

    @test.create_mocks(LOAD)
    def test_nova_image_or_flavor_gone_at_create(self):
        self._mock_catalog()
        self._assert_launch_error(
            nova_exc.BadRequest(400, "Image 1111 could not be found."),
            "The golden image is no longer available")
        self._assert_launch_error(
            nova_exc.NotFound(404, "Flavor a100-full could not be found."),
            "The desktop profile is no longer available")
        self._assert_launch_error(nova_exc.BadRequest(400, "Invalid input"),
                                  "rejected the launch: Invalid input")

    @test.create_mocks(LOAD)
    def test_nova_quota_exceeded_names_the_resource(self):
        self._mock_catalog()
        self._assert_launch_error(
            nova_exc.Forbidden(403, "Project p is over a limit for [Resource "
                                    "class:CUSTOM_HEPS_GPU_A100 is over limit of 2 due to "
                                    "current usage 2 and delta 1]"),
            "Quota exceeded for GPU: NVIDIA A100 80GB")
        self._assert_launch_error(
            nova_exc.Forbidden(403, "Quota exceeded for cores: Requested 8, but already "
                                    "used 36 of 40 cores"),
            "Quota exceeded for vCPUs")

    @test.create_mocks(LOAD)
    def test_nova_errors_become_form_errors(self):
        self._mock_catalog()
        self._assert_launch_error(nova_exc.Forbidden(403, "Policy does not allow"),
                                  "not allowed to launch desktops")
        self._assert_launch_error(nova_exc.Conflict(409, "Conflict"),
                                  "cannot launch the desktop right now")
        self._assert_launch_error(nova_exc.ClientException(500, "Unexpected API Error"),
                                  "the compute service failed")
        self._assert_launch_error(ks_exc.ConnectFailure("refused"), "cannot be reached")
        self._assert_launch_error(api.nova.FeatureNotAvailable("create_with_tags"),
                                  "too old")
        self._assert_launch_error(RuntimeError("anything"), "the compute service failed")

    @test.create_mocks(LOAD)
    def test_quota_checked_before_submit(self):
        self._mock_catalog(usages=data.usages(a100=2))
        res = self._post(profile=data.A100_ID)
        self._assert_not_created(res, "Quota exceeded for GPU: NVIDIA A100 80GB: the "
                                      "project uses 2 of 2 and this desktop needs 1 more.")
        # the same project can still launch a profile without that GPU
        self._mock_created()
        res = self._post(profile=data.CPU_ID)
        self.assertNoFormErrors(res)

    @test.create_mocks(LOAD)
    def test_instance_cores_and_ram_quota(self):
        self._mock_catalog(limits=data.absolute_limits(instances=(10, 10), cores=(38, 40),
                                                       ram=(131072, 131072)))
        res = self._post(profile=data.CPU_ID)
        self._assert_not_created(res)
        errors = [str(e) for e in res.context["form"].non_field_errors()]
        self.assertEqual(len(errors), 3)
        self.assertIn("Quota exceeded for Instances: the project uses 10 of 10", errors[0])
        self.assertIn("Quota exceeded for vCPUs: the project uses 38 of 40 and this desktop "
                      "needs 4 more", errors[1])
        self.assertIn("RAM (GB): the project uses 128 of 128 and this desktop needs 8 more",
                      errors[2])

    @test.create_mocks(LOAD)
    def test_unlimited_quota_never_blocks(self):
        limits = data.absolute_limits(instances=(50, -1))
        limits["maxTotalCores"] = float("inf")
        self._mock_catalog(limits=limits, gpu_limits={"class:VGPU": None})
        self._mock_created()
        res = self._post()
        self.assertNoFormErrors(res)

    @test.create_mocks(LOAD)
    def test_no_free_gpu_is_refused(self):
        self._mock_catalog(free=data.free(a100=0))
        res = self._post(profile=data.A100_ID)
        self._assert_not_created(res, "No NVIDIA A100 80GB is free right now")

    @test.create_mocks(LOAD)
    def test_double_submit_with_the_same_form_token(self):
        self._mock_catalog()
        self._mock_created()
        res = self._post(launch_token="f" * 32)
        self.assertNoFormErrors(res)
        res = self._post(launch_token="f" * 32)
        errors = " ".join(str(e) for e in res.context["form"].non_field_errors())
        self.assertIn("already submitted", errors)
        self.assertEqual(self.mock_desktop_create.call_count, 1)

    @test.create_mocks(LOAD)
    def test_double_submit_of_an_identical_desktop_seconds_ago(self):
        self._mock_catalog()
        twin = data.created(name="test_user-desktop", image_id=desktops_data.IMAGE_IMAGING,
                            flavor_name="heps.a100.full", status="ACTIVE")
        self.mock_recent_desktops.return_value = [twin]
        res = self._post(launch_token="")
        self.assertEqual(res.status_code, 200)
        errors = " ".join(str(e) for e in res.context["form"].non_field_errors())
        self.assertIn("launched less than 60 seconds ago", errors)
        self.mock_desktop_create.assert_not_called()
        self.mock_recent_desktops.assert_called_once_with(test.IsHttpRequest(), 60)
        # another name is another desktop
        self._mock_created(name="second")
        res = self._post(name="second")
        self.assertNoFormErrors(res)

    @test.create_mocks(LOAD)
    def test_double_submit_check_failing_does_not_block(self):
        self._mock_catalog()
        self._mock_created()
        self.mock_recent_desktops.side_effect = nova_exc.ClientException(500, "x")
        res = self._post()
        self.assertNoFormErrors(res)
        self.mock_desktop_create.assert_called_once()

    @test.create_mocks(LOAD)
    def test_half_launched_desktop_is_deleted(self):
        self._mock_catalog()
        server = self._mock_created()
        for failure in (nova_exc.NotFound(404, "server is not a desktop"),
                        data.created(server_id=server.id, status="ERROR",
                                     fault="No valid host was found.")):
            self.mock_desktop_discard.reset_mock()
            if isinstance(failure, Exception):
                self.mock_desktop_get.side_effect = failure
            else:
                self.mock_desktop_get.side_effect = None
                self.mock_desktop_get.return_value = failure
            res = self._post(launch_token="")
            self.assertEqual(res.status_code, 200)
            errors = " ".join(str(e) for e in res.context["form"].non_field_errors())
            self.assertIn("failed right after it was created and was deleted", errors)
            self.mock_desktop_discard.assert_called_once_with(test.IsHttpRequest(), server.id)
        self.assertNotIn(launch_forms.USED_TOKENS_KEY, self.client.session)

    @test.create_mocks(LOAD)
    def test_half_launched_desktop_that_cannot_be_deleted_is_reported(self):
        self._mock_catalog()
        server = self._mock_created()
        self.mock_desktop_get.side_effect = nova_exc.ClientException(500, "boom")
        self.mock_desktop_discard.side_effect = nova_exc.ClientException(500, "boom")
        res = self._post()
        errors = " ".join(str(e) for e in res.context["form"].non_field_errors())
        self.assertIn("could not be deleted", errors)
        self.assertIn(server.id, errors)

    @test.create_mocks(LOAD)
    def test_no_desktop_network(self):
        self._mock_catalog()
        self.mock_desktop_network.side_effect = api.neutron.NoDesktopNetwork("none")
        res = self._post()
        errors = " ".join(str(e) for e in res.context["form"].non_field_errors())
        self.assertIn("No network is configured for desktops", errors)
        self.mock_desktop_create.assert_not_called()
        self.mock_desktop_network.side_effect = ks_exc.ConnectFailure("neutron down")
        res = self._post()
        errors = " ".join(str(e) for e in res.context["form"].non_field_errors())
        self.assertIn("Unable to find the network", errors)
        self.mock_desktop_create.assert_not_called()

    @override_settings(HEPS_DESKTOPS={"default_lifetime_hours": 100,
                                      "max_lifetime_hours": 48})
    @test.create_mocks(LOAD)
    def test_lifetime_default_never_exceeds_the_maximum(self):
        self._mock_catalog()
        form = self.client.get(LAUNCH_URL).context["form"]
        self.assertEqual(form.fields["lifetime_hours"].initial, 48)
        res = self._post(lifetime_hours=49)
        self._assert_not_created(res, "less than or equal to 48")


class QuotaRulesTests(test.TestCase):
    def _profile(self, profile_id):
        return next(p for p, _s in data.catalog() if p.id == profile_id)

    def test_launch_needs(self):
        self.assertEqual(quota.launch_needs(self._profile(data.VGPU_ID)),
                         {"instances": 1, "cores": 4, "ram": 16384, "class:VGPU": 1})
        self.assertEqual(quota.launch_needs(self._profile(data.CPU_ID)),
                         {"instances": 1, "cores": 4, "ram": 8192})

    def test_gpu_requests_keep_the_traits_of_their_group(self):
        self.assertEqual(quota.gpu_requests(data.VGPU_SPECS), (data.VGPU_REQUEST,))
        self.assertEqual(quota.gpu_requests(data.A100_SPECS), (data.A100_REQUEST,))
        self.assertEqual(quota.gpu_requests(data.CPU_SPECS), ())
        numbered = {"resources1:VGPU": "2", "trait1:CUSTOM_X": "required",
                    "trait1:CUSTOM_Y": "forbidden", "trait:CUSTOM_Z": "required",
                    "resources:VCPU": "4"}
        self.assertEqual(quota.gpu_requests(numbered),
                         (quota.GpuRequest("VGPU", 2, ("CUSTOM_X",), ("CUSTOM_Y",)),))

    def test_free_from_candidates_counts_candidate_providers_once(self):
        self.assertEqual(quota.free_from_candidates(data.CANDIDATES_VGPU, "VGPU"), 7)
        self.assertEqual(quota.free_from_candidates({}, "VGPU"), 0)

    def test_quota_error_resources(self):
        unified = ("Project x is over a limit for [Resource class:VGPU is over limit of 4 "
                   "due to current usage 4 and delta 1, Resource servers is over limit of "
                   "10 due to current usage 10 and delta 1]")
        self.assertTrue(quota.is_quota_error(unified))
        self.assertEqual(quota.quota_error_resources(unified), ["class:VGPU", "instances"])
        legacy = "Quota exceeded for cores, ram: Requested 8, but already used 36 of 40"
        self.assertEqual(quota.quota_error_resources(legacy), ["cores", "ram"])
        self.assertFalse(quota.is_quota_error("Policy doesn't allow"))

    def test_lines_and_exceeded(self):
        lines = quota.nova_lines(data.absolute_limits(cores=(38, 40)))
        lines.update(quota.gpu_lines(["VGPU"], {"class:VGPU": 4}, {"VGPU": 4}))
        needs = quota.launch_needs(self._profile(data.VGPU_ID))
        self.assertEqual([line.resource for line in quota.exceeded(lines, needs)],
                         ["cores", "class:VGPU"])
        unknown = quota.nova_lines(None)
        self.assertFalse(unknown["cores"].known)
        self.assertEqual(quota.exceeded(unknown, needs), [])
        no_limit = quota.gpu_lines(["VGPU"], {}, {"VGPU": 100})
        self.assertTrue(no_limit["class:VGPU"].fits(1))

    def test_gpu_usage_from_servers_skips_offloaded(self):
        usage = quota.gpu_usage_from_servers([
            ("ACTIVE", data.VGPU_SPECS), ("SHUTOFF", data.VGPU_SPECS),
            ("SHELVED_OFFLOADED", data.VGPU_SPECS), ("ACTIVE", data.A100_SPECS),
            ("ACTIVE", {"pci_passthrough:alias": "a40:1"}), ("ACTIVE", {}),
        ])
        self.assertEqual(usage, {"VGPU": 2, "CUSTOM_HEPS_GPU_A100": 1})


class ApiReadersTests(test.TestCase):
    """The thin placement and keystone readers, with their HTTP clients faked."""

    def _request(self, superuser=False):
        request = mock.Mock()
        request.user.project_id = "proj-1"
        request.user.is_superuser = superuser
        request.user.services_region = "RegionOne"
        request.user.service_catalog = [{"type": "identity", "id": "ks"},
                                        {"type": "compute", "id": "nova-svc"}]
        return request

    def test_gpu_free_one_call_per_request_with_traits(self):
        reader = mock.Mock()
        reader.get.return_value = data.FakeResponse(data.CANDIDATES_VGPU)
        with mock.patch.object(api.placement, "capacity_reader", return_value=reader):
            found = api.placement.gpu_free(self._request(),
                                           [data.VGPU_REQUEST, data.VGPU_REQUEST])
        self.assertEqual(found, {data.VGPU_REQUEST: 7})
        reader.get.assert_called_once_with(
            "/allocation_candidates",
            params={"resources": "VGPU:1", "root_required": "!COMPUTE_STATUS_DISABLED",
                    "required": "CUSTOM_HEPS_GPU_A16"},
            headers={"OpenStack-API-Version": "placement 1.35"}, raise_exc=True)

    def test_capacity_reader_needs_admin_or_credential(self):
        with mock.patch.object(api.placement, "_user_adapter") as user_adapter:
            self.assertIsNone(api.placement.capacity_reader(self._request()))
            self.assertIsNone(api.placement.gpu_free(self._request(), [data.VGPU_REQUEST]))
            self.assertIs(api.placement.capacity_reader(self._request(superuser=True)),
                          user_adapter.return_value)
        cred = {"id": "app-cred", "secret": "s3cret"}
        with override_settings(HEPS_DESKTOPS={"capacity_credential": cred}):
            first = api.placement.capacity_reader(self._request())
            again = api.placement.capacity_reader(self._request())
        self.assertIs(first, again)  # one session per process: its token is reused
        self.assertEqual(first.service_type, "placement")
        self.assertEqual(first.session.auth.auth_methods[0].application_credential_id,
                         "app-cred")

    def test_compute_limits_project_limit_wins_over_registered(self):
        def limit(name, value, region="RegionOne", project="proj-1"):
            return mock.Mock(resource_name=name, resource_limit=value, region_id=region,
                             project_id=project)

        def registered(name, value, region="RegionOne"):
            return mock.Mock(resource_name=name, default_limit=value, region_id=region)

        client = mock.Mock()
        client.limits.list.return_value = [limit("class:VGPU", 4), limit("servers", 10),
                                           limit("class:CUSTOM_A", 9, region="Other")]
        client.registered_limits.list.return_value = [
            registered("class:VGPU", 8), registered("class:CUSTOM_A", -1)]
        with mock.patch.object(api.keystone.horizon_keystone, "keystoneclient",
                               return_value=client):
            found = api.keystone.compute_limits(self._request(),
                                                ["class:VGPU", "class:CUSTOM_A"])
            self.assertEqual(found, {"class:VGPU": 4, "class:CUSTOM_A": None})
            client.limits.list.assert_called_once_with(service="nova-svc",
                                                       project_id="proj-1")
            client.registered_limits.list.assert_called_once_with(service="nova-svc")
            client.registered_limits.list.reset_mock()
            self.assertEqual(api.keystone.compute_limits(self._request(), ["class:VGPU"]),
                             {"class:VGPU": 4})
            client.registered_limits.list.assert_not_called()

    def test_recent_desktops_filters_by_creation_time(self):
        now = desktops.utcnow()
        fresh = data.created(created_at=desktops.format_expiry(now))
        old = data.created(created_at=desktops.format_expiry(now - datetime.timedelta(
            hours=2)))
        gone = data.created(status="DELETED", created_at=desktops.format_expiry(now))
        client = mock.Mock()
        client.servers.list.return_value = [fresh, old, gone]
        with mock.patch.object(api.nova, "client_for", return_value=client):
            found = api.nova.recent_desktops(self._request(), 60)
        self.assertEqual(found, [fresh])
        opts = client.servers.list.call_args.kwargs["search_opts"]
        self.assertEqual(opts["tags"], "heps-desktop")
        self.assertIn("changes-since", opts)

    def test_profile_list_with_specs_uses_embedded_specs(self):
        def flavor(flavor_id, name, specs):
            found = mock.Mock(id=flavor_id, vcpus=4, ram=8192, disk=40, extra_specs=specs)
            found.name = name
            return found

        embedded = [flavor(data.VGPU_ID, "heps.vgpu.a16", data.VGPU_SPECS),
                    flavor("m1", "m1.small", {}), flavor(data.CPU_ID, "heps.cpu.std",
                                                          data.CPU_SPECS)]
        with mock.patch.object(api.nova.horizon_nova, "flavor_list",
                               return_value=embedded) as flavor_list:
            found = api.nova.profile_list_with_specs(self._request())
        flavor_list.assert_called_once_with(mock.ANY)  # no per-flavor spec calls
        self.assertEqual([(p.name, specs) for p, specs in found],
                         [("heps.vgpu.a16", data.VGPU_SPECS), ("heps.cpu.std", data.CPU_SPECS)])
        # an older nova embeds no specs: they are fetched
        bare = [flavor(data.VGPU_ID, "heps.vgpu.a16", {})]
        with mock.patch.object(api.nova.horizon_nova, "flavor_list",
                               side_effect=[bare, embedded[:1]]) as flavor_list:
            found = api.nova.profile_list_with_specs(self._request())
        self.assertEqual(flavor_list.call_args_list[1], mock.call(mock.ANY, get_extras=True))
        self.assertEqual([p.name for p, _specs in found], ["heps.vgpu.a16"])

    def test_absolute_limits_one_raw_call_errors_as_nova_exceptions(self):
        proxy = mock.Mock()
        proxy.get.return_value = mock.Mock(
            status_code=200, content=b"x",
            json=lambda: {"limits": {"absolute": data.absolute_limits()}})
        with mock.patch.object(api.nova._nova, "computeclient", return_value=proxy):
            self.assertEqual(api.nova.absolute_limits(self._request()),
                             data.absolute_limits())
            proxy.get.assert_called_once_with("/limits", raise_exc=False)
            proxy.get.return_value = mock.Mock(
                status_code=403, content=b"x", headers={},
                json=lambda: {"forbidden": {"message": "Policy", "code": 403}})
            with self.assertRaises(nova_exc.Forbidden):
                api.nova.absolute_limits(self._request())
