"""The Launch Desktop modal, submitting: validation, the quota checked before nova is
asked, the launch service's create call (metadata with a signed expiry, no owner key),
double submits, and every failure turned into a form error."""

import datetime
from unittest import mock

from django.test.utils import override_settings
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test
from unit.test_launch import LAUNCH_URL
from unit.test_launch import LOAD
from unit.test_launch import LaunchTestBase
from unit.test_launch import console_tab_url

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.dashboards.project.desktops import forms as launch_forms
from heps_desktop_dashboard.services import launch
from test_data import desktops_data
from test_data import launch_data as data
from test_data.contexts import IsUserContext


class LaunchSubmitTests(LaunchTestBase):
    def _user(self):
        return IsUserContext(project_id=self.tenant.id, user_id=self.user.id)

    @test.create_mocks(LOAD)
    def test_launch_with_the_defaults(self):
        self._mock_catalog()
        form = self.client.get(LAUNCH_URL).context["form"]
        defaults = {name: field.initial for name, field in form.fields.items()}
        defaults["experiment"] = ""
        server = self._mock_created()
        before = desktops.utcnow().replace(microsecond=0)
        res = self.client.post(LAUNCH_URL, defaults)
        after = desktops.utcnow()
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, console_tab_url(server.id))
        self.mock_desktop_create.assert_called_once()
        self.assertEqual(self.mock_desktop_create.call_args.args, (self._user(),))
        kwargs = self.mock_desktop_create.call_args.kwargs
        self.assertEqual(kwargs["name"], "test_user-desktop")
        self.assertEqual(kwargs["image_id"], desktops_data.IMAGE_IMAGING)
        self.assertEqual(kwargs["flavor_id"], data.A100_ID)
        self.assertEqual(kwargs["network_id"], "net-1")
        self.assertEqual(kwargs["security_groups"], ["heps-desktop"])
        self.assertIsNone(kwargs["user_data"])
        meta = kwargs["metadata"]
        # nova's user_id is the owner: no editable owner key is written
        self.assertNotIn("heps:owner", meta)
        self.assertEqual(meta["heps:profile"], "heps.a100.full")
        self.assertNotIn("heps:experiment", meta)
        expires = desktops.parse_expiry(meta["heps:expires_at"])
        lifetime = datetime.timedelta(hours=24)
        self.assertTrue(before + lifetime <= expires <= after + lifetime, expires)
        self.mock_desktop_get.assert_called_once_with(self._user(), server.id)
        self.mock_desktop_discard.assert_not_called()
        self.assertIn(defaults["launch_token"],
                      self.client.session[launch_forms.USED_TOKENS_KEY])

    @test.create_mocks(LOAD)
    def test_the_launch_expiry_is_signed_for_this_user_project_and_profile(self):
        self._mock_catalog()
        self._mock_created()
        self.assertNoFormErrors(self._post())
        meta = self.mock_desktop_create.call_args.kwargs["metadata"]
        policy = conf.lifetime_policy()

        def launched(**kwargs):
            fields = {"metadata": meta, "user_id": self.user.id, "project_id": self.tenant.id,
                      "flavor_name": "heps.a100.full",
                      "created_at": desktops.format_expiry(desktops.utcnow())}
            fields.update(kwargs)
            return desktops.read_desktop(data.created(**fields), policy)

        info = launched()
        self.assertEqual(info.expiry_problem, "")
        self.assertEqual(info.expires_at, desktops.parse_expiry(meta["heps:expires_at"]))
        self.assertEqual(info.owner_id, self.user.id)
        # the same metadata copied onto another user's (or profile's) desktop is not believed
        for other in ({"user_id": desktops_data.OTHER_USER_ID},
                      {"project_id": desktops_data.OTHER_PROJECT_ID},
                      {"flavor_name": "heps.cpu.std"}):
            self.assertEqual(launched(**other).expiry_problem, desktops.EXPIRY_BAD_SIGNATURE,
                             other)

    @test.create_mocks(LOAD)
    def test_the_form_hands_the_launch_to_the_launch_service(self):
        self._mock_catalog()
        with mock.patch.object(launch, "launch", return_value=data.created()) as launched:
            res = self._post(lifetime_hours=12)
        self.assertNoFormErrors(res)
        profile = next(p for p, _specs in data.catalog() if p.id == data.A100_ID)
        launched.assert_called_once_with(self._user(), launch.LaunchRequest(
            name="test_user-desktop", image_id=desktops_data.IMAGE_IMAGING, profile=profile,
            lifetime_hours=12, plan=None))
        self.mock_desktop_create.assert_not_called()

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
            self._assert_not_created(self._post(name=name), message)

    @test.create_mocks(LOAD)
    def test_bad_experiment_is_refused(self):
        self._mock_catalog()
        for experiment in ("<script>", "a" * 65, "two words"):
            self._assert_not_created(self._post(experiment=experiment))

    @test.create_mocks(LOAD)
    def test_lifetime_out_of_range_is_refused(self):
        self._mock_catalog()
        for hours, message in ((0, "greater than or equal to 1"),
                               (169, "less than or equal to 168"),
                               (-5, "greater than or equal to 1"),
                               ("ten", "whole number"),
                               ("", "required")):
            self._assert_not_created(self._post(lifetime_hours=hours), message)

    @test.create_mocks(LOAD)
    def test_hand_made_ids_are_refused(self):
        self._mock_catalog()
        # a plain (non-golden) image id and a flavor of the cloud that is not a profile
        res = self._post(image="33333333-3333-4333-8333-333333333333")
        self._assert_not_created(res, "not in the golden image catalog")
        res = self._post(profile=data.PLAIN_ID)
        self._assert_not_created(res, "not a desktop profile")

    @test.create_mocks(LOAD)
    def test_image_deleted_between_render_and_submit(self):
        self._mock_catalog()
        self.mock_golden_image_list.return_value = desktops_data.golden_images()[1:]
        self._assert_not_created(self._post(), "it may just have been deleted")

    @test.create_mocks(LOAD)
    def test_profile_deleted_between_render_and_submit(self):
        self._mock_catalog(flavors=data.flavors(only=(data.VGPU_ID, data.CPU_ID)))
        self._assert_not_created(self._post(), "it may just have been deleted")

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
        self.assertNoFormErrors(self._post(profile=data.CPU_ID))

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
    def test_the_post_reuses_the_nova_limits_its_form_read_and_a_launch_forgets_them(self):
        """nova's /limits (slow with unified limits) is read by the form's GET; the POST
        right after checks the quota with it, and a launch makes the next form read it
        again."""
        self._mock_catalog(limits=data.absolute_limits(instances=(10, 10)))
        self.client.get(LAUNCH_URL)
        self._assert_not_created(self._post(profile=data.CPU_ID),
                                 "Quota exceeded for Instances: the project uses 10 of 10")
        self.assertEqual(self.mock_absolute_limits.call_count, 1)
        self.mock_absolute_limits.return_value = data.absolute_limits()
        self.client.get(LAUNCH_URL)    # a form (GET) always reads them
        self.assertEqual(self.mock_absolute_limits.call_count, 2)
        self._mock_created()
        self.assertNoFormErrors(self._post(profile=data.CPU_ID, launch_token="b" * 32))
        self.assertEqual(self.mock_absolute_limits.call_count, 2)
        self.client.get(LAUNCH_URL)
        self.assertEqual(self.mock_absolute_limits.call_count, 3)

    @test.create_mocks(LOAD)
    def test_unlimited_quota_never_blocks(self):
        limits = data.absolute_limits(instances=(50, -1))
        limits["maxTotalCores"] = float("inf")
        self._mock_catalog(limits=limits, gpu_limits={"class:VGPU": None})
        self._mock_created()
        self.assertNoFormErrors(self._post())

    @test.create_mocks(LOAD)
    def test_no_free_gpu_is_refused(self):
        self._mock_catalog(free=data.free(a100=0))
        self._assert_not_created(self._post(profile=data.A100_ID),
                                 "No NVIDIA A100 80GB is free right now")

    @test.create_mocks(LOAD)
    def test_double_submit_with_the_same_form_token(self):
        self._mock_catalog()
        self._mock_created()
        self.assertNoFormErrors(self._post(launch_token="f" * 32))
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
        self.mock_recent_desktops.assert_called_once_with(self._user(), 60)
        # another name is another desktop
        self._mock_created(name="second")
        self.assertNoFormErrors(self._post(name="second"))

    @test.create_mocks(LOAD)
    def test_double_submit_check_failing_does_not_block(self):
        self._mock_catalog()
        self._mock_created()
        self.mock_recent_desktops.side_effect = nova_exc.ClientException(500, "x")
        self.assertNoFormErrors(self._post())
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
            self.mock_desktop_discard.assert_called_once_with(self._user(), server.id)
        self.assertIn("No valid host was found.", errors)
        self.assertNotIn(launch_forms.USED_TOKENS_KEY, self.client.session)

    @test.create_mocks(LOAD)
    def test_half_launched_desktop_that_cannot_be_deleted_is_reported(self):
        self._mock_catalog()
        server = self._mock_created()
        self.mock_desktop_get.side_effect = nova_exc.ClientException(500, "boom")
        self.mock_desktop_discard.side_effect = nova_exc.ClientException(500, "boom")
        with self.assertLogs("heps_desktop_dashboard.services.launch", "ERROR"):
            res = self._post()
        errors = " ".join(str(e) for e in res.context["form"].non_field_errors())
        self.assertIn("could not be deleted", errors)
        self.assertIn(server.id, errors)
        self.assertNotIn("and was deleted", errors)

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
        self.assertIn("a service did not answer", errors)
        self.mock_desktop_create.assert_not_called()
        self.mock_desktop_network.assert_called_with(self._user(), None)

    @override_settings(HEPS_DESKTOPS={"default_lifetime_hours": 100,
                                      "max_lifetime_hours": 48})
    @test.create_mocks(LOAD)
    def test_lifetime_default_never_exceeds_the_maximum(self):
        self._mock_catalog()
        form = self.client.get(LAUNCH_URL).context["form"]
        self.assertEqual(form.fields["lifetime_hours"].initial, 48)
        self._assert_not_created(self._post(lifetime_hours=49), "less than or equal to 48")
