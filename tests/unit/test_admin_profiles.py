"""Admin › Desktop Profiles: every profile with its GPU, size, tuning, access and the
desktops that use it, retired ones marked, a profile no host can satisfy flagged;
services down as messages; Horizon's refusal for members (GET and POST). The create,
edit and delete modals are in test_admin_profiles_forms.py."""

from django.test.utils import override_settings
from django.urls import reverse
from django.utils import translation
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import profiles
from heps_desktop_dashboard.dashboards.admin.desktop_profiles import texts as profile_texts
from test_data import desktops_data as data
from test_data import profile_data as pdata
from test_data.contexts import IsUserContext

URL = reverse("horizon:admin:desktop_profiles:index")
CREATE = reverse("horizon:admin:desktop_profiles:create")


def rows(res):
    return {row.name: row for row in res.context["table"].data}


class ProfileBoardTests(test.BaseAdminViewTests):
    def test_panel_is_registered_in_the_admin_group(self):
        import horizon

        self.assertEqual(URL, "/admin/desktop_profiles/")
        dashboard = horizon.get_dashboard("admin")
        group = [g for g in dashboard.get_panel_groups().values()
                 if "desktop_profiles" in [p.slug for p in g]]
        self.assertEqual(str(group[0].name), "Experiment Desktops")
        self.assertEqual(str(dashboard.get_panel("desktop_profiles").name),
                         "Desktop Profiles")

    @test.create_mocks(pdata.READS)
    def test_profiles_with_gpu_access_desktops_and_flags(self):
        used = [data.server(name="alice-viz", flavor_name="heps.vgpu.a16"),
                data.server(name="bob-viz", flavor_name="heps.vgpu.a16"),
                data.server(name="old-one", flavor_name="heps.vgpu.old")]
        pdata.install(self, used)
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/admin/desktop_profiles/index.html")
        found = rows(res)
        # m1.small is not a profile; retired ones come last
        self.assertEqual(list(found), ["heps.a100.full", "heps.cpu.std", "heps.h100",
                                       "heps.vgpu.a16", "heps.vgpu.old"])
        self.assertEqual([s.name for s in found["heps.vgpu.a16"].desktops],
                         ["alice-viz", "bob-viz"])
        self.assertContains(res, "2 desktops")
        self.assertContains(res, reverse("horizon:admin:desktops:detail", args=[used[0].id]))
        # private profile: the projects allowed, by name
        self.assertEqual(found["heps.a100.full"].project_names, ["experiment-b"])
        self.mock_flavor_access_list.assert_called_once_with(IsUserContext(), pdata.A100_ID)
        # retired profile: marked, with its successor, still listing its desktop
        old = found["heps.vgpu.old"]
        self.assertTrue(old.retired)
        self.assertContains(res, "Retired")
        self.assertContains(res, "replaced by heps.vgpu.a16")
        self.assertEqual([s.name for s in old.desktops], ["old-one"])
        # no host has an H100 class: flagged; the others are satisfiable
        self.assertIn("CUSTOM_HEPS_GPU_H100", found["heps.h100"].problem)
        self.assertEqual(found["heps.vgpu.a16"].problem, "")
        self.assertEqual(found["heps.a100.full"].problem, "")
        self.assertContains(res, "No host can run it", count=1)
        self.assertContains(res, "no resource provider in placement has CUSTOM_HEPS_GPU_H100")
        with translation.override("zh-hans"):
            self.assertEqual(profile_texts.problem(found["heps.h100"]),
                             "Placement 中没有资源提供者拥有 CUSTOM_HEPS_GPU_H100")
        self.assertContains(res, "1 profile asks for a GPU no host has")
        for text in ("CPU pinning", "huge pages", "video RAM ≤ 64 MiB", "Create Profile",
                     "vGPU CUSTOM_HEPS_GPU_A16", "NVIDIA A100 80GB (simulated)"):
            self.assertContains(res, text)
        # edit is offered on live profiles only; delete on every one
        self.assertContains(res, reverse("horizon:admin:desktop_profiles:edit",
                                         args=[pdata.VGPU_ID]))
        self.assertNotContains(res, reverse("horizon:admin:desktop_profiles:edit",
                                            args=[pdata.OLD_ID]))
        self.assertContains(res, reverse("horizon:admin:desktop_profiles:delete",
                                         args=[pdata.OLD_ID]))
        self.assertMessageCount(res, warning=0, error=0)

    @test.create_mocks(pdata.READS)
    def test_placement_down_leaves_profiles_unchecked_with_a_message(self):
        pdata.install(self)
        self.mock_resource_providers.side_effect = ks_exc.ConnectFailure("placement down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, warning=1)
        self.assertContains(res, "Placement cannot be read right now")
        self.assertEqual(rows(res)["heps.h100"].problem, "")

    @test.create_mocks(pdata.READS)
    def test_keystone_and_nova_desktops_down_are_messages(self):
        pdata.install(self)
        self.mock_project_names.side_effect = ks_exc.ConnectFailure("keystone down")
        self.mock_desktops_all_projects.side_effect = nova_exc.ClientException(500, "x")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, warning=2)
        self.assertEqual(rows(res)["heps.a100.full"].project_names, [pdata.PROJECT_B])

    @test.create_mocks(pdata.READS)
    def test_nova_down_renders_a_message(self):
        pdata.install(self)
        self.mock_flavors_with_specs.side_effect = nova_exc.ClientException(503, "down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, error=1)
        self.assertContains(res, "The profiles cannot be read from nova right now")


class LaunchHidesRetiredTests(test.TestCase):
    @test.create_mocks({api.nova_flavors: ["flavors_with_specs"]})
    def test_retired_profiles_are_not_offered_at_launch(self):
        found = pdata.flavors()
        self.mock_flavors_with_specs.return_value = [(f, dict(f._info["extra_specs"]))
                                                     for f in found]
        names = [p.name for p, _s in api.nova_flavors.profile_list_with_specs(None)]
        self.assertNotIn("heps.vgpu.old", names)
        self.assertNotIn("m1.small", names)
        self.assertIn("heps.vgpu.a16", names)
        self.assertTrue(profiles.is_retired({"heps:retired": "2026-01-01T00:00:00Z"}))
        self.assertFalse(profiles.is_retired({"heps:retired": "false"}))
        self.assertFalse(profiles.is_retired({}))


def deny_admin(rules, request, target=None):
    return not any(rule == ("compute", "context_is_admin") for rule in rules)


URLS = (URL, CREATE, reverse("horizon:admin:desktop_profiles:edit", args=[pdata.VGPU_ID]),
        reverse("horizon:admin:desktop_profiles:delete", args=[pdata.VGPU_ID]))


class ProfileRefusalTests(test.TestCase):
    @test.create_mocks(pdata.WRITES)
    def test_member_is_refused_and_nothing_is_read_or_written(self):
        for url in URLS:
            for method in (self.client.get, self.client.post):
                res = method(url, {"name": "x", "gpu_kind": "none", "vcpus": "1",
                                   "ram_mb": "1024", "disk_gb": "1"})
                self.assertEqual(res.status_code, 403, url)
        self.mock_flavors_with_specs.assert_not_called()
        self.mock_flavor_create.assert_not_called()
        self.mock_flavor_delete.assert_not_called()
        self.mock_flavor_set_specs.assert_not_called()


@override_settings(POLICY_CHECK_FUNCTION=deny_admin)
class ProfilePolicyTests(test.BaseAdminViewTests):
    @test.create_mocks(pdata.WRITES)
    def test_denied_admin_rule_refuses_get_and_post(self):
        for url in URLS:
            for method in (self.client.get, self.client.post):
                self.assertEqual(method(url, {"name": "x"}).status_code, 403, url)
        self.mock_flavors_with_specs.assert_not_called()
        self.mock_flavor_delete.assert_not_called()
