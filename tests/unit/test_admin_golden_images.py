"""Admin › Golden Images: the catalog and candidates with each image's checklist, the
catalog entry form (validated), mark/unmark on a selection, glance or nova down as
messages, and Horizon's refusal for members (GET and POST)."""

import logging

from django.test.utils import override_settings
from django.urls import reverse
from django.utils import translation
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import golden
from heps_desktop_dashboard.core import golden_checks as gc
from test_data import catalog_data as cd
from test_data import usage_data as ud
from test_data.contexts import IsUserContext

URL = reverse("horizon:admin:golden_images:index")
EDIT = reverse("horizon:admin:golden_images:edit", args=[cd.CIRROS])
DETAIL = reverse("horizon:admin:golden_images:detail", args=[cd.CRYSTAL])
BOARD = {api.images_admin: ["image_list_all", "image_members"],
         api.nova_flavors: ["flavors_with_specs"],
         api.identity_names: ["project_names"],
         api.flavors_admin: ["flavor_access_list"]}
ENTRY = {api.images_admin: ["image_get", "image_members", "image_update_properties"],
         api.nova_flavors: ["flavors_with_specs"], api.identity_names: ["project_names"]}
WRITE = {api.images_admin: ["image_list_all", "image_members", "image_get",
                            "image_update_properties"],
         api.nova_flavors: ["flavors_with_specs"], api.identity_names: ["project_names"],
         api.flavors_admin: ["flavor_access_list"]}


class GoldenBase(test.BaseAdminViewTests):
    def _cloud(self, images=None):
        images = cd.catalog_images() if images is None else images
        if hasattr(self, "mock_image_list_all"):
            self.mock_image_list_all.return_value = images
        if hasattr(self, "mock_image_get"):
            self.mock_image_get.side_effect = lambda ctx, image_id: next(
                i for i in images if i.id == image_id)
        if hasattr(self, "mock_image_update_properties"):
            self.mock_image_update_properties.side_effect = \
                lambda ctx, image, to_set, to_remove=(): image
        self.mock_image_members.return_value = {ud.PROJECT_A: "accepted"}
        self.mock_flavors_with_specs.return_value = ud.flavors_with_specs()
        self.mock_project_names.return_value = {cd.ADMIN_PROJECT: "admin",
                                                ud.PROJECT_A: "experiment-a"}
        return images


class GoldenIndexTests(GoldenBase):
    def test_panel_is_registered_in_the_admin_group(self):
        import horizon

        self.assertEqual(URL, "/admin/golden_images/")
        dashboard = horizon.get_dashboard("admin")
        group = [g for g in dashboard.get_panel_groups().values()
                 if "golden_images" in [p.slug for p in g]]
        self.assertEqual(str(group[0].name), "Experiment Desktops")
        self.assertEqual(str(dashboard.get_panel("golden_images").name), "Golden Images")

    @test.create_mocks(BOARD)
    def test_golden_images_and_candidates_with_their_checklists(self):
        self._cloud()
        retired = dict(ud.CPU_SPECS, **{"heps:retired": "2026-11-01T00:00:00Z"})
        self.mock_flavors_with_specs.return_value = ud.flavors_with_specs() + [
            (ud.flavor("heps.old", ram=512), retired)]
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        golden_rows = {e.image.name: e for e in res.context["golden_table"].data}
        self.assertEqual(set(golden_rows), {"heps-imaging-desktop", "heps-crystal-desktop",
                                            "alice-desktop-shelved"})
        candidates = [e.image.name for e in res.context["candidates_table"].data]
        self.assertEqual(candidates, ["cirros-plain"])  # not the queued upload
        self.assertEqual(golden_rows["heps-imaging-desktop"].verdict, gc.PASS)
        crystal = {c.key: c for c in golden_rows["heps-crystal-desktop"].checks}
        self.assertEqual(crystal[gc.VIDEO].status, gc.FAIL)
        self.assertEqual(crystal[gc.VISIBILITY].status, gc.PASS)
        self.assertIn("experiment-a", crystal[gc.VISIBILITY].reason)
        self.assertEqual(crystal[gc.GPU_DRIVER].status, gc.WARN)
        self.assertEqual(golden_rows["alice-desktop-shelved"].verdict, gc.FAIL)
        # nova's snapshot after the real golden images
        self.assertEqual([e.image.name for e in res.context["golden_table"].data][-1],
                         "alice-desktop-shelved")
        self.assertContains(res, 'data-check="video"')
        self.assertContains(res, "heps-check-fail")
        self.assertContains(res, "hw_video_model not set")
        self.assertEqual([u.name for u in res.context["profiles"]],
                         ["heps.a100.double", "heps.cpu.std", "heps.vgpu.a16"])  # not retired
        # members of the shared images only, profiles' access lists not needed
        self.assertEqual(self.mock_image_members.call_count, 2)
        self.mock_flavor_access_list.assert_not_called()
        self.mock_image_list_all.assert_called_once_with(IsUserContext())

    @test.create_mocks(BOARD)
    def test_access_lists_are_read_when_every_profile_is_private(self):
        self._cloud()
        self.mock_flavors_with_specs.return_value = [
            (ud.flavor(name, public=False), specs) for name, specs in ud.SPECS.items()]
        self.mock_flavor_access_list.return_value = [ud.PROJECT_B]
        res = self.client.get(URL)
        imaging = {e.image.name: e for e in res.context["golden_table"].data}[
            "heps-crystal-desktop"]
        self.assertEqual({c.key: c for c in imaging.checks}[gc.VISIBILITY].status, gc.FAIL)
        self.assertEqual(self.mock_flavor_access_list.call_count, 3)  # the three profiles

    @test.create_mocks(BOARD)
    def test_glance_down_renders_a_message(self):
        self._cloud()
        self.mock_image_list_all.side_effect = ks_exc.ConnectFailure("glance down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, error=1)
        self.assertContains(res, "cannot be read from the image service")

    @test.create_mocks(BOARD)
    def test_nova_and_keystone_down_leave_warnings(self):
        self._cloud()
        self.mock_flavors_with_specs.side_effect = nova_exc.ClientException(500, "down")
        self.mock_project_names.side_effect = ks_exc.ConnectFailure("keystone down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, warning=2)
        imaging = res.context["golden_table"].data[0]
        self.assertEqual({c.key: c for c in imaging.checks}[gc.MIN_RAM].status, gc.WARN)


class GoldenEditTests(GoldenBase):
    @test.create_mocks(ENTRY)
    def test_form_shows_the_entry_and_its_checklist(self):
        self._cloud()
        res = self.client.get(EDIT)
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/admin/golden_images/_edit.html")
        self.assertContains(res, "heps-checklist-table")
        self.assertFalse(res.context["form"].fields["golden"].initial)
        self.mock_image_update_properties.assert_not_called()

    @test.create_mocks(ENTRY)
    def test_marking_golden_with_techniques_writes_the_properties(self):
        images = self._cloud()
        res = self.client.post(EDIT, {"golden": "on", "techniques": "Imaging, X-ray CT",
                                      "description": "Plain  cirros", "gpu_driver": ""})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, URL)
        self.mock_image_update_properties.assert_called_once_with(
            IsUserContext(), images[2], {golden.GOLDEN: "true",
                                         golden.TECHNIQUES: "imaging,x-ray ct",
                                         golden.DESCRIPTION: "Plain cirros"}, [])

    @test.create_mocks(ENTRY)
    def test_unmarking_and_clearing_removes_properties(self):
        self._cloud()
        url = reverse("horizon:admin:golden_images:edit", args=[cd.IMAGING])
        res = self.client.post(url, {"techniques": "", "description": "",
                                     "gpu_driver": "nvidia-550"})
        self.assertNoFormErrors(res)
        args = self.mock_image_update_properties.call_args.args
        self.assertEqual(args[2], {golden.GOLDEN: "false"})
        self.assertEqual(sorted(args[3]), [golden.DESCRIPTION, golden.TECHNIQUES])

    @test.create_mocks(ENTRY)
    def test_bad_input_is_a_form_error_and_writes_nothing(self):
        self._cloud()
        for data in ({"golden": "on", "techniques": "imaging; rm -rf /"},
                     {"golden": "on", "description": "x" * 300},
                     {"golden": "on", "gpu_driver": "nvidia 550"}):
            res = self.client.post(EDIT, data)
            self.assertEqual(res.status_code, 200)
            self.assertTrue(res.context["form"].errors)
        self.assertIn("A driver name and version", str(res.context["form"].errors))
        with translation.override("zh-hans"):
            res = self.client.post(EDIT, {"golden": "on", "gpu_driver": "nvidia 550"},
                                   HTTP_ACCEPT_LANGUAGE="zh-hans")
        self.assertIn("驱动名称和版本", str(res.context["form"].errors))
        queued = reverse("horizon:admin:golden_images:edit", args=[cd.QUEUED])
        res = self.client.post(queued, {"golden": "on"})
        self.assertFormErrors(res, 1)
        self.assertIn("only an active image can be golden", str(res.context["form"].errors))
        self.mock_image_update_properties.assert_not_called()

    @test.create_mocks(ENTRY)
    def test_glance_refusing_the_write_is_a_message(self):
        self._cloud()
        self.mock_image_update_properties.side_effect = ks_exc.BadRequest("glance: no")
        res = self.client.post(EDIT, {"golden": "on"})
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, error=1)

    @test.create_mocks(ENTRY)
    def test_detail_page_lists_every_check_with_its_reason(self):
        self._cloud()
        res = self.client.get(DETAIL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "heps-check-row", count=len(gc.KEYS))
        self.assertContains(res, "hw_video_model not set")

    @test.create_mocks(ENTRY)
    def test_unknown_image_redirects_with_a_message(self):
        self._cloud()
        self.mock_image_get.side_effect = ks_exc.NotFound("gone")
        res = self.client.get(DETAIL)
        self.assertRedirectsNoFollow(res, URL)


class GoldenBatchTests(GoldenBase):
    @test.create_mocks(WRITE)
    def test_mark_and_unmark_on_a_selection(self):
        images = self._cloud()
        res = self.client.post(URL, {"action": "candidates__mark", "object_ids": [cd.CIRROS]})
        self.assertRedirectsNoFollow(res, URL)
        self.mock_image_update_properties.assert_called_once_with(
            IsUserContext(), images[2], {golden.GOLDEN: "true"}, [])
        self.mock_image_update_properties.reset_mock()
        with self.assertLogs("heps_desktops.audit", logging.INFO) as logs:
            self.client.post(URL, {"action": "golden__unmark",
                                   "object_ids": [cd.IMAGING, cd.SHELVED]})
        self.assertEqual(self.mock_image_update_properties.call_count, 2)
        self.assertEqual(len([line for line in logs.output if "image.catalog" in line]), 2)

    @test.create_mocks(WRITE)
    def test_marking_a_queued_image_by_hand_is_refused(self):
        self._cloud()
        res = self.client.post(URL, {"action": f"candidates__mark__{cd.QUEUED}"})
        self.assertRedirectsNoFollow(res, URL)
        self.mock_image_update_properties.assert_not_called()


def deny_admin(rules, request, target=None):
    return not any(rule[1] == "context_is_admin" for rule in rules)


class GoldenRefusalTests(test.TestCase):
    @test.create_mocks(WRITE)
    def test_member_is_refused_and_nothing_is_read_or_written(self):
        for url in (URL, EDIT, DETAIL):
            self.assertEqual(self.client.get(url).status_code, 403)
        for url, data in ((URL, {"action": f"candidates__mark__{cd.CIRROS}"}),
                          (EDIT, {"golden": "on"})):
            self.assertEqual(self.client.post(url, data).status_code, 403)
        self.mock_image_list_all.assert_not_called()
        self.mock_image_update_properties.assert_not_called()


@override_settings(POLICY_CHECK_FUNCTION=deny_admin)
class GoldenPolicyTests(test.BaseAdminViewTests):
    @test.create_mocks(WRITE)
    def test_denied_admin_rule_refuses_get_and_post(self):
        self.assertEqual(self.client.get(URL).status_code, 403)
        self.assertEqual(self.client.post(EDIT, {"golden": "on"}).status_code, 403)
        self.mock_image_update_properties.assert_not_called()


class GoldenReasonTextTests(test.TestCase):
    def test_every_reason_code_has_words_and_simplified_chinese_is_used(self):
        from heps_desktop_dashboard.dashboards.admin.golden_images import texts
        params_only = {"disk_format_ok", "techniques"}
        self.assertEqual(set(texts.REASON_TEXTS), set(gc.REASONS) - params_only)
        check = gc.min_ram_check(cd.image(min_ram=12288), cd.uses())
        self.assertIn("min RAM 12288 MB", texts.reason(check))
        with translation.override("zh-hans"):
            self.assertIn("最小内存 12288 MB", texts.reason(check))
            self.assertIn("heps.cpu.std (8192 MB)", texts.reason(check))
