"""Admin › Desktop Quotas: every project's limits and usage (desktops, vCPUs, RAM, every
GPU class) under the quota driver nova is detected to use, over-quota projects
highlighted, services down as messages, and Horizon's refusal for members (GET and
POST). The modals are in test_admin_quotas_forms.py."""

from django.test.utils import override_settings
from django.urls import reverse
from django.utils import translation
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard.core import quota_admin
from test_data import quota_data as qdata
from test_data.contexts import IsUserContext

URL = reverse("horizon:admin:desktop_quotas:index")
EDIT_A = reverse("horizon:admin:desktop_quotas:edit", args=[qdata.PROJECT_A])
DEFAULTS = reverse("horizon:admin:desktop_quotas:defaults")
READS = qdata.READS
WRITES = qdata.WRITES
VGPU = "class:VGPU"
A100 = f"class:{qdata.A100}"


def projects(res):
    return {row.name: row for row in res.context["table"].data}


class QuotaBoardTests(test.BaseAdminViewTests):
    def test_panel_is_registered_in_the_admin_group(self):
        import horizon

        self.assertEqual(URL, "/admin/desktop_quotas/")
        dashboard = horizon.get_dashboard("admin")
        group = [g for g in dashboard.get_panel_groups().values()
                 if "desktop_quotas" in [p.slug for p in g]]
        self.assertEqual(str(group[0].name), "Experiment Desktops")
        self.assertEqual(str(dashboard.get_panel("desktop_quotas").name), "Desktop Quotas")

    @test.create_mocks(READS)
    def test_unified_limits_with_usage_per_project_and_gpu_class(self):
        qdata.FakeQuotas().install(self)
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/admin/desktop_quotas/index.html")
        self.assertEqual(res.context["driver"], quota_admin.UNIFIED)
        self.assertContains(res, "Nova enforces keystone unified limits")
        rows = projects(res)
        self.assertEqual(set(rows), {"experiment-a", "experiment-b", "admin"})
        a = rows["experiment-a"].lines
        self.assertEqual((a[VGPU].used, a[VGPU].limit, a[VGPU].default), (1, 4, False))
        self.assertEqual((a[A100].used, a[A100].limit), (0, 2))
        self.assertEqual((a["servers"].used, a["servers"].limit), (1, 10))
        self.assertEqual((a["class:MEMORY_MB"].used, a["class:MEMORY_MB"].limit),
                         (16384, 131072))
        # a project without limits of its own gets the registered (default) ones
        admin = rows["admin"].lines
        self.assertEqual((admin[VGPU].limit, admin[VGPU].default), (8, True))
        self.assertContains(res, "(default)")
        # a column per GPU class (CUSTOM_FPGA_X is no GPU), RAM in GiB
        for header in ("Desktops", "vCPUs", "RAM", "VGPU", qdata.A100):
            self.assertContains(res, header)
        self.assertNotContains(res, "CUSTOM_FPGA_X")
        self.assertContains(res, "16 GiB")
        self.assertContains(res, "Edit Default Limits")
        self.assertContains(res, EDIT_A)
        self.assertMessageCount(res, warning=0, error=0)
        self.mock_registered_limits.assert_called_once_with(IsUserContext())
        self.mock_project_limits.assert_called_once_with(IsUserContext(), None)
        self.assertEqual(self.mock_project_quota.call_count, 3)
        self.assertEqual(self.mock_usages_of_project.call_count, 3)
        self.mock_usages_of_project.assert_any_call(IsUserContext(), qdata.PROJECT_B)

    @test.create_mocks(READS)
    def test_over_quota_projects_are_highlighted(self):
        cloud = qdata.FakeQuotas()
        cloud.usage[qdata.PROJECT_B] = {qdata.A100: 3, "VCPU": 8, "MEMORY_MB": 1024}
        cloud.install(self)
        res = self.client.get(URL)
        rows = projects(res)
        self.assertEqual([line.resource for line in rows["experiment-b"].over], [A100])
        self.assertEqual(rows["experiment-a"].over, [])
        self.assertContains(res, "heps-over-quota-row", count=1)
        self.assertContains(res, "Over quota")
        self.assertContains(res, "1 project uses more than its quota")

    @test.create_mocks(READS)
    def test_legacy_driver_is_detected_and_said(self):
        cloud = qdata.FakeQuotas(driver="legacy")
        cloud.nova_projects[(qdata.PROJECT_A, "instances")] = 3
        cloud.install(self)
        res = self.client.get(URL)
        self.assertEqual(res.context["driver"], quota_admin.LEGACY)
        self.assertContains(res, "Nova uses its legacy quota driver")
        self.assertContains(res, "Detected from what nova reports: nova reports instances=")
        a = projects(res)["experiment-a"].lines
        self.assertEqual(a["servers"].limit, 3)          # nova's, not keystone's 10
        self.assertEqual(a["class:VCPU"].limit, 20)
        self.assertFalse(a[VGPU].enforced)              # nova has no GPU quota here
        self.assertEqual(a[VGPU].used, 1)
        self.assertContains(res, "not limited")
        with translation.override("zh-hans"):
            res = self.client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
        self.assertIn("Nova 报告 instances=", res.context["evidence"])

    @test.create_mocks(READS)
    def test_placement_down_shows_gpu_usage_unknown(self):
        qdata.FakeQuotas().install(self)
        self.mock_usages_of_project.side_effect = ks_exc.ConnectFailure("placement down")
        self.mock_resource_classes.side_effect = ks_exc.ConnectFailure("placement down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, warning=1)
        self.assertContains(res, "Placement cannot be read right now")
        a = projects(res)["experiment-a"].lines
        self.assertIsNone(a[VGPU].used)
        self.assertEqual(a["servers"].used, 1)

    @test.create_mocks(READS)
    def test_keystone_down_renders_a_message(self):
        qdata.FakeQuotas().install(self)
        self.mock_project_names.side_effect = ks_exc.ConnectFailure("keystone down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, error=1)
        self.assertContains(res, "The projects cannot be read from keystone right now")
        self.assertEqual(res.context["table"].data, [])

    @test.create_mocks(READS)
    def test_keystone_limits_down_leaves_the_driver_unknown(self):
        qdata.FakeQuotas().install(self)
        self.mock_registered_limits.side_effect = ks_exc.ServiceUnavailable("503")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res.context["driver"], quota_admin.UNKNOWN)
        self.assertMessageCount(res, warning=1)
        self.assertContains(res, "nothing can be changed")
        self.assertFalse(projects(res)["experiment-a"].lines[VGPU].known)

    @test.create_mocks(READS)
    def test_nova_down_keeps_keystone_limits(self):
        qdata.FakeQuotas().install(self)
        self.mock_project_quota.side_effect = nova_exc.ClientException(500, "nova")
        self.mock_default_quota.side_effect = nova_exc.ClientException(500, "nova")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, warning=1)
        self.assertEqual(res.context["driver"], quota_admin.UNKNOWN)


def deny_admin(rules, request, target=None):
    return not any(rule == ("compute", "context_is_admin") for rule in rules)


class QuotaRefusalTests(test.TestCase):
    @test.create_mocks(WRITES)
    def test_member_is_refused_and_nothing_is_read_or_written(self):
        for url in (URL, EDIT_A, DEFAULTS):
            for method in (self.client.get, self.client.post):
                res = method(url, {"gpu_VGPU": "0", "servers": "1"})
                self.assertEqual(res.status_code, 403, url)
        self.mock_project_names.assert_not_called()
        self.mock_registered_limits.assert_not_called()
        self.mock_limit_update.assert_not_called()
        self.mock_registered_limit_update.assert_not_called()


@override_settings(POLICY_CHECK_FUNCTION=deny_admin)
class QuotaPolicyTests(test.BaseAdminViewTests):
    @test.create_mocks(WRITES)
    def test_denied_admin_rule_refuses_get_and_post(self):
        for url in (URL, EDIT_A, DEFAULTS):
            for method in (self.client.get, self.client.post):
                self.assertEqual(method(url, {"gpu_VGPU": "0"}).status_code, 403, url)
        self.mock_project_names.assert_not_called()
        self.mock_limit_update.assert_not_called()
