"""Admin › Desktop Quotas modals: a project's limits (only changed values written, to
keystone under the unified-limits driver and to nova under the legacy one), a GPU limit
below usage allowed with a warning, bad input and refusals as form errors, and the
default (registered) limits."""

from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard.core import conventions as names
from test_data import quota_data as qdata
from test_data.contexts import IsUserContext

WRITES = qdata.WRITES

INDEX = reverse("horizon:admin:desktop_quotas:index")
DEFAULTS = reverse("horizon:admin:desktop_quotas:defaults")
VGPU = "class:VGPU"
A100 = f"class:{qdata.A100}"
FIELDS = {"servers": "servers", "class:VCPU": "vcpus", "class:MEMORY_MB": "ram_mb",
          VGPU: "gpu_VGPU", A100: f"gpu_{qdata.A100}"}


def edit_url(project_id):
    return reverse("horizon:admin:desktop_quotas:edit", args=[project_id])


def form_data(cloud, project_id, **changed):
    """What the modal posts unchanged (the project's own limits), plus ``changed``."""
    data = {}
    for resource, field in FIELDS.items():
        value = cloud.limits.get((project_id, resource), (None,))[0]
        data[field] = "" if value is None else str(value)
    data.update(changed)
    return data


def no_writes(test_case):
    for name in ("limit_update", "limit_create", "limit_delete", "registered_limit_update",
                 "registered_limit_create", "project_quota_update"):
        getattr(test_case, f"mock_{name}").assert_not_called()


class ProjectQuotaFormTests(test.BaseAdminViewTests):
    @test.create_mocks(WRITES)
    def test_modal_shows_each_limit_with_its_usage(self):
        qdata.FakeQuotas().install(self)
        res = self.client.get(edit_url(qdata.PROJECT_A))
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/admin/desktop_quotas/_edit.html")
        form = res.context["form"]
        self.assertEqual(form["gpu_VGPU"].value(), 4)
        self.assertEqual(form[f"gpu_{qdata.A100}"].value(), 2)
        self.assertContains(res, "VGPU — 1 in use")
        self.assertContains(res, "Empty: the default (8) applies.")
        self.assertContains(res, "RAM (MiB) — 16 GiB in use")
        self.assertContains(res, "experiment-a")
        self.assertContains(res, "Another GPU class")

    @test.create_mocks(WRITES)
    def test_only_changed_limits_are_written_and_below_usage_warns(self):
        cloud = qdata.FakeQuotas().install(self)
        old_id = cloud.limit_id(qdata.PROJECT_A, VGPU)
        res = self.client.post(edit_url(qdata.PROJECT_A),
                               form_data(cloud, qdata.PROJECT_A, gpu_VGPU="0"))
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX)
        # keystone ignores an update to 0: the project limit is made again with 0
        self.mock_limit_delete.assert_called_once_with(IsUserContext(), old_id)
        self.mock_limit_create.assert_called_once_with(
            IsUserContext(), qdata.PROJECT_A, VGPU, 0, qdata.REGION)
        self.mock_limit_update.assert_not_called()
        self.assertEqual(cloud.limits[(qdata.PROJECT_A, VGPU)][0], 0)
        self.assertMessageCount(warning=1, success=1)

    @test.create_mocks(WRITES)
    def test_a_changed_limit_is_updated_in_place(self):
        cloud = qdata.FakeQuotas().install(self)
        res = self.client.post(edit_url(qdata.PROJECT_A),
                               form_data(cloud, qdata.PROJECT_A, gpu_VGPU="3"))
        self.assertNoFormErrors(res)
        self.mock_limit_update.assert_called_once_with(
            IsUserContext(), cloud.limit_id(qdata.PROJECT_A, VGPU), 3)
        self.mock_limit_create.assert_not_called()
        self.mock_limit_delete.assert_not_called()
        self.assertMessageCount(warning=0, success=1)

    @test.create_mocks(WRITES)
    def test_keystone_keeping_the_old_value_is_a_form_error(self):
        cloud = qdata.FakeQuotas().install(self)
        self.mock_limit_update.side_effect = lambda ctx, lid, value: {"resource_limit": 4}
        res = self.client.post(edit_url(qdata.PROJECT_A),
                               form_data(cloud, qdata.PROJECT_A, gpu_VGPU="3"))
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "keystone kept class:VGPU at 4")

    @test.create_mocks(WRITES)
    def test_audit_event_per_change(self):
        cloud = qdata.FakeQuotas().install(self)
        with self.assertLogs(names.AUDIT_LOGGER, "INFO") as logs:
            self.client.post(edit_url(qdata.PROJECT_A), form_data(
                cloud, qdata.PROJECT_A, gpu_VGPU="3", servers="5"))
        events = [line for line in logs.output if '"quota.set"' in line]
        self.assertEqual(len(events), 2)
        self.assertIn('"resource": "class:VGPU"', "".join(events))

    @test.create_mocks(WRITES)
    def test_empty_removes_the_project_limit(self):
        cloud = qdata.FakeQuotas().install(self)
        old_id = cloud.limit_id(qdata.PROJECT_B, A100)
        self.client.post(edit_url(qdata.PROJECT_B),
                         form_data(cloud, qdata.PROJECT_B, **{f"gpu_{qdata.A100}": ""}))
        self.mock_limit_delete.assert_called_once_with(IsUserContext(), old_id)
        self.mock_limit_update.assert_not_called()

    @test.create_mocks(WRITES)
    def test_a_new_project_limit_is_made_in_the_registered_limits_region(self):
        cloud = qdata.FakeQuotas().install(self)
        res = self.client.post(edit_url(qdata.ADMIN_PROJECT),
                               form_data(cloud, qdata.ADMIN_PROJECT, gpu_VGPU="2"))
        self.assertNoFormErrors(res)
        self.mock_limit_create.assert_called_once_with(
            IsUserContext(), qdata.ADMIN_PROJECT, VGPU, 2, qdata.REGION)

    @test.create_mocks(WRITES)
    def test_another_gpu_class_by_name(self):
        cloud = qdata.FakeQuotas().install(self)
        del cloud.limits[(qdata.PROJECT_A, A100)]
        data = form_data(cloud, qdata.PROJECT_A, extra_class="", extra_limit="")
        del data[f"gpu_{qdata.A100}"]
        # the A100 class still has its own field (it has a registered limit)
        res = self.client.post(edit_url(qdata.PROJECT_A),
                               {**data, "extra_class": qdata.A100, "extra_limit": "1"})
        self.assertFormErrors(res, 1)
        self.assertContains(res, "has its own field above")
        no_writes(self)

    @test.create_mocks(WRITES)
    def test_bad_values_are_form_errors_and_nothing_is_written(self):
        cloud = qdata.FakeQuotas().install(self)
        for bad in ({"gpu_VGPU": "-1"}, {"gpu_VGPU": "1.5"}, {"servers": "ten"},
                    {"extra_class": "CUSTOM_FPGA_X", "extra_limit": "1"},
                    {"extra_class": "CUSTOM_NOT_THERE_GPU", "extra_limit": "1"},
                    {"extra_class": "VCPU", "extra_limit": "1"},
                    {"extra_class": "<script>", "extra_limit": "1"},
                    {"extra_limit": "3"}):
            res = self.client.post(edit_url(qdata.PROJECT_A),
                                   form_data(cloud, qdata.PROJECT_A, **bad))
            self.assertEqual(res.status_code, 200, bad)
            self.assertFormErrors(res, 1)
        self.assertContains(res, "Name the GPU class")
        no_writes(self)

    @test.create_mocks(WRITES)
    def test_unknown_class_error_names_the_known_ones(self):
        cloud = qdata.FakeQuotas().install(self)
        res = self.client.post(edit_url(qdata.PROJECT_A), form_data(
            cloud, qdata.PROJECT_A, extra_class="CUSTOM_NOT_THERE_GPU", extra_limit="1"))
        self.assertContains(res, "is not a GPU class placement knows (known: VGPU, "
                                 "CUSTOM_HEPS_GPU_A100)")

    @test.create_mocks(WRITES)
    def test_keystone_refusal_is_a_form_error(self):
        cloud = qdata.FakeQuotas().install(self)
        self.mock_limit_update.side_effect = ks_exc.Forbidden("not allowed by policy")
        res = self.client.post(edit_url(qdata.PROJECT_A),
                               form_data(cloud, qdata.PROJECT_A, gpu_VGPU="3"))
        self.assertEqual(res.status_code, 200)
        # Horizon's test data stubs keystoneauth's exception texts: the class name shows
        self.assertContains(res, "Nothing was changed: Forbidden")
        self.assertMessageCount(success=0)

    @test.create_mocks(WRITES)
    def test_keystone_unreachable_on_save_is_a_form_error(self):
        cloud = qdata.FakeQuotas().install(self)
        self.mock_limit_update.side_effect = ks_exc.ConnectFailure("down")
        res = self.client.post(edit_url(qdata.PROJECT_A),
                               form_data(cloud, qdata.PROJECT_A, gpu_VGPU="3"))
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "a service did not answer")

    @test.create_mocks(WRITES)
    def test_unknown_project_and_unreadable_keystone_redirect_with_a_message(self):
        qdata.FakeQuotas().install(self)
        res = self.client.get(edit_url("0" * 32))
        self.assertRedirectsNoFollow(res, INDEX)
        self.mock_registered_limits.side_effect = ks_exc.ConnectFailure("down")
        res = self.client.get(edit_url(qdata.PROJECT_A))
        self.assertRedirectsNoFollow(res, INDEX)
        self.assertMessageCount(error=2)


class LegacyQuotaFormTests(test.BaseAdminViewTests):
    @test.create_mocks(WRITES)
    def test_legacy_driver_writes_nova_quotas_only(self):
        cloud = qdata.FakeQuotas(driver="legacy").install(self)
        res = self.client.get(edit_url(qdata.PROJECT_A))
        self.assertNotIn("gpu_VGPU", res.context["form"].fields)
        self.assertNotIn("extra_class", res.context["form"].fields)
        self.mock_project_quota_update.return_value = {"instances": 5, "cores": 20,
                                                       "ram": 51200}
        res = self.client.post(edit_url(qdata.PROJECT_A), {
            "servers": "5", "vcpus": "20", "ram_mb": "51200"})
        self.assertNoFormErrors(res)
        self.mock_project_quota_update.assert_called_once_with(
            IsUserContext(), qdata.PROJECT_A, {"instances": 5})
        self.mock_limit_update.assert_not_called()
        del cloud

    @test.create_mocks(WRITES)
    def test_nova_ignoring_the_update_is_a_form_error(self):
        qdata.FakeQuotas(driver="legacy").install(self)
        self.mock_project_quota_update.return_value = {"instances": 10, "cores": 20,
                                                       "ram": 51200}
        res = self.client.post(edit_url(qdata.PROJECT_A), {
            "servers": "5", "vcpus": "20", "ram_mb": "51200"})
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "nova kept its old instances")


class DefaultLimitsFormTests(test.BaseAdminViewTests):
    @test.create_mocks(WRITES)
    def test_registered_limits_are_edited(self):
        cloud = qdata.FakeQuotas()
        for project_id in (qdata.PROJECT_A, qdata.PROJECT_B):
            del cloud.limits[(project_id, VGPU)]
        cloud.install(self)
        data = {"servers": "20", "vcpus": "64", "ram_mb": "131072", "gpu_VGPU": "6",
                f"gpu_{qdata.A100}": "4"}
        res = self.client.get(DEFAULTS)
        self.assertEqual(res.context["form"]["gpu_VGPU"].value(), 8)
        res = self.client.post(DEFAULTS, data)
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX)
        self.mock_registered_limit_update.assert_called_once_with(
            IsUserContext(), cloud.registered_ids[VGPU], 6)

    @test.create_mocks(WRITES)
    def test_a_default_for_a_new_gpu_class_and_required_base_limits(self):
        cloud = qdata.FakeQuotas()
        cloud.limits.clear()
        del cloud.registered[A100]
        cloud.install(self)
        res = self.client.post(DEFAULTS, {"servers": "", "vcpus": "64", "ram_mb": "131072",
                                          "gpu_VGPU": "8"})
        self.assertFormErrors(res, 1)
        res = self.client.post(DEFAULTS, {"servers": "20", "vcpus": "64", "ram_mb": "131072",
                                          "gpu_VGPU": "8", "extra_class": qdata.A100,
                                          "extra_limit": "2"})
        self.assertNoFormErrors(res)
        self.mock_registered_limit_create.assert_called_once_with(IsUserContext(), A100, 2)

    @test.create_mocks(WRITES)
    def test_a_default_projects_have_their_own_limits_for_is_not_editable(self):
        qdata.FakeQuotas().install(self)
        res = self.client.get(DEFAULTS)
        self.assertTrue(res.context["form"].fields["gpu_VGPU"].disabled)
        self.assertContains(res, "Keystone keeps this default while 2 projects have")
        self.assertContains(res, "Greyed defaults cannot be changed")
        res = self.client.post(DEFAULTS, {"servers": "20", "vcpus": "64", "ram_mb": "131072",
                                          "gpu_VGPU": "6", f"gpu_{qdata.A100}": "4"})
        self.assertNoFormErrors(res)
        self.mock_registered_limit_update.assert_not_called()
