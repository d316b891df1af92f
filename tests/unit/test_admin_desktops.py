"""Admin › Desktops: every project's desktops in one nova call per page with names from
one keystone call each, nova's filters and the page's own (GPU model of several
profiles, expiring within N hours), marker paging that keeps the filters, errors as
messages, and Horizon's refusal for members (GET and POST)."""

from django.core.cache import cache
from django.test.utils import override_settings
from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import profiles
from test_data import desktops_data as data
from test_data.contexts import IsUserContext

URL = reverse("horizon:admin:desktops:index")
PAGE_SIZE = 20
LIST = {api.nova_admin: ["desktop_page_all_projects"],
        api.identity_names: ["project_names", "user_names"],
        api.glance: ["images_by_id"],
        api.nova_flavors: ["profile_list_with_specs"]}
ALICE, BOB = "a11ce000000000000000000000000001", "b0b00000000000000000000000000002"
PROJECT_A, PROJECT_B = "e0000000000000000000000000000a01", "e0000000000000000000000000000b02"


def desktop(name, project=PROJECT_A, user=ALICE, **kwargs):
    return data.server(name=name, project_id=project, user_id=user, **kwargs)


def catalog():
    a16 = data.profile("vgpu-a16", "heps.vgpu.a16", profiles.GPU_VGPU)
    a16_big = data.profile("vgpu-a16-big", "heps.vgpu.a16.big", profiles.GPU_VGPU)
    a100 = profiles.profile_from_flavor("a100", "heps.a100.full", 16, 65536, 80, {
        "heps:profile": "true", "heps:gpu_kind": "passthrough",
        "heps:gpu_model": "NVIDIA A100", "resources:CUSTOM_HEPS_GPU_A100": "1"})
    return [(a16, {}), (a16_big, {}), (a100, {})]


class AdminDesktopsBase(test.BaseAdminViewTests):
    def setUp(self):
        super().setUp()
        cache.clear()

    def _mock(self, servers, more=False, prev=False):
        self.mock_desktop_page_all_projects.return_value = (servers, more, prev)
        self.mock_project_names.return_value = {PROJECT_A: "experiment-a",
                                                PROJECT_B: "experiment-b"}
        self.mock_user_names.return_value = {ALICE: "alice", BOB: "bob"}
        self.mock_images_by_id.return_value = {data.IMAGE_IMAGING: data.image()}
        self.mock_profile_list_with_specs.return_value = catalog()

    def _listed(self, filters=None, marker=None, reversed_order=False):
        self.mock_desktop_page_all_projects.assert_called_once_with(
            IsUserContext(), PAGE_SIZE, marker=marker, reversed_order=reversed_order,
            filters=filters or {})

    def _names(self, res):
        return [row.name for row in res.context["table"].data]


class AdminDesktopsListTests(AdminDesktopsBase):
    def test_panel_is_registered_in_the_admin_group(self):
        import horizon

        self.assertEqual(URL, "/admin/desktops/")
        dashboard = horizon.get_dashboard("admin")
        group = [g for g in dashboard.get_panel_groups().values()
                 if "desktops" in [p.slug for p in g]]
        self.assertEqual(str(group[0].name), "Experiment Desktops")
        self.assertEqual(str(dashboard.get_panel("desktops").name), "Desktops")

    @test.create_mocks(LIST)
    def test_admin_sees_every_projects_desktops_with_names(self):
        mine = desktop("alice-desktop")
        setattr(mine, "OS-EXT-SRV-ATTR:host", "heps-gpu-01")
        self._mock([mine, desktop("bob-desktop", PROJECT_B, BOB, status="SHUTOFF")])
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/admin/desktops/index.html")
        rows = {row.name: row for row in res.context["table"].data}
        self.assertEqual((rows["alice-desktop"].project_name, rows["alice-desktop"].owner_name,
                          rows["alice-desktop"].host), ("experiment-a", "alice", "heps-gpu-01"))
        self.assertEqual(rows["bob-desktop"].project_name, "experiment-b")
        for text in ("experiment-b", "bob", "heps-gpu-01", "HEPS Imaging 2026.2", "2026-0142",
                     "Stopped", "heps.vgpu.a16", "Extend (admin)",
                     reverse("horizon:admin:desktops:detail", args=[mine.id])):
            self.assertContains(res, text)
        self._listed()
        self.mock_project_names.assert_called_once_with(IsUserContext())
        self.mock_user_names.assert_called_once_with(IsUserContext())
        self.mock_images_by_id.assert_called_once_with(IsUserContext(), {data.IMAGE_IMAGING})
        self.assertMessageCount(res, warning=0, error=0)

    @test.create_mocks(LIST)
    def test_calls_are_constant_in_the_number_of_desktops(self):
        for count in (1, 20, 200):
            for mocked in (self.mock_desktop_page_all_projects, self.mock_project_names,
                           self.mock_user_names, self.mock_images_by_id):
                mocked.reset_mock()
            self._mock([desktop(f"d{i}", user=(ALICE, BOB)[i % 2]) for i in range(count)])
            res = self.client.get(URL)
            self.assertEqual(len(res.context["table"].data), count)
            for mocked in (self.mock_desktop_page_all_projects, self.mock_project_names,
                           self.mock_user_names, self.mock_images_by_id):
                self.assertEqual(mocked.call_count, 1, (count, mocked))
        # the profile catalog (filter choices) is cached between pages
        self.assertEqual(self.mock_profile_list_with_specs.call_count, 1)

    @test.create_mocks(LIST)
    def test_nova_filters_are_passed_to_nova(self):
        self._mock([desktop("x")])
        res = self.client.get(URL, {"project": PROJECT_B, "owner": BOB, "host": "heps-gpu-02",
                                    "status": "SHUTOFF", "profile": "heps.a100.full"})
        self.assertEqual(res.status_code, 200)
        self._listed({"project_id": PROJECT_B, "user_id": BOB, "host": "heps-gpu-02",
                      "status": "SHUTOFF", "flavor": "a100"})
        self.assertContains(res, f'<option value="{PROJECT_B}" selected>experiment-b</option>',
                            html=False)

    @test.create_mocks(LIST)
    def test_gpu_model_of_one_profile_is_a_nova_filter(self):
        self._mock([desktop("x", flavor_name="heps.a100.full")])
        self.client.get(URL, {"gpu_model": "NVIDIA A100"})
        self._listed({"flavor": "a100"})

    @test.create_mocks(LIST)
    def test_gpu_model_of_several_profiles_is_matched_on_the_page(self):
        self._mock([desktop("small", flavor_name="heps.vgpu.a16"),
                    desktop("whole", flavor_name="heps.a100.full"),
                    desktop("big", flavor_name="heps.vgpu.a16.big")], more=True)
        res = self.client.get(URL, {"gpu_model": "NVIDIA A16 vGPU"})
        self._listed({})
        self.assertEqual(self._names(res), ["small", "big"])

    @test.create_mocks(LIST)
    def test_gpu_model_no_profile_has_lists_nothing_without_asking_nova(self):
        self._mock([desktop("x")])
        res = self.client.get(URL, {"gpu_model": "Voodoo 2"})
        self.assertEqual(self._names(res), [])
        self.mock_desktop_page_all_projects.assert_not_called()

    @test.create_mocks(LIST)
    def test_expiring_within_hours_uses_the_signed_expiry(self):
        soon = desktop("soon", expires_at=data.in_hours(2))
        later = desktop("later", expires_at=data.in_hours(30))
        forged = desktop("forged", metadata={"heps:expires_at": data.in_hours(1)},
                         created=data.in_hours(-1))  # unsigned: creation + 24 h
        self._mock([soon, later, forged])
        res = self.client.get(URL, {"expiring": "4"})
        self.assertEqual(self._names(res), ["soon"])
        self._listed({})

    @test.create_mocks(LIST)
    def test_invalid_filters_are_refused_with_a_message(self):
        self._mock([desktop("x")])
        res = self.client.get(URL, {"project": "<script>alert(1)</script>", "expiring": "-3",
                                    "status": "EXPLODED"})
        self.assertEqual(res.status_code, 200)
        self._listed({})
        self.assertMessageCount(res, warning=1)
        self.assertNotContains(res, "<script>alert(1)")
        self.assertContains(res, "heps-filter-error", count=3)

    @test.create_mocks(LIST)
    def test_pagination_keeps_the_filters_and_uses_the_fetched_markers(self):
        first, middle, last = desktop("a"), desktop("b"), desktop("c")
        self._mock([first, middle, last], more=True, prev=True)
        res = self.client.get(URL, {"marker": "m0", "host": "heps-gpu-01", "status": "ACTIVE"})
        self._listed({"host": "heps-gpu-01", "status": "ACTIVE"}, marker="m0")
        self.assertContains(res, f"?marker={last.id}&amp;host=heps-gpu-01&amp;status=ACTIVE")
        self.assertContains(res, f"?prev_marker={first.id}&amp;host=heps-gpu-01")
        self.mock_desktop_page_all_projects.reset_mock()
        self.client.get(URL, {"prev_marker": "p0"})
        self._listed({}, marker="p0", reversed_order=True)

    @test.create_mocks(LIST)
    def test_a_page_with_no_match_still_links_to_the_next_one(self):
        late = desktop("late", expires_at=data.in_hours(100))
        self._mock([late], more=True)
        res = self.client.get(URL, {"expiring": "2"})
        self.assertEqual(self._names(res), [])
        self.assertContains(res, f"?marker={late.id}&amp;expiring=2")

    @test.create_mocks(LIST)
    def test_unknown_marker_shows_the_first_page(self):
        self._mock([])
        self.mock_desktop_page_all_projects.side_effect = [
            api.nova_admin.InvalidMarker("gone"), ([desktop("x")], False, False)]
        res = self.client.get(URL, {"marker": "gone"})
        self.assertEqual(self._names(res), ["x"])
        self.assertMessageCount(res, warning=1)

    @test.create_mocks(LIST)
    def test_keystone_down_shows_ids_with_a_message(self):
        self._mock([desktop("x")])
        self.mock_user_names.side_effect = ks_exc.ConnectFailure("keystone down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        row = res.context["table"].data[0]
        self.assertEqual((row.project_name, row.owner_name), (PROJECT_A, ALICE))
        self.assertMessageCount(res, warning=1)

    @test.create_mocks(LIST)
    def test_nova_down_renders_the_page_with_a_message(self):
        for error in (nova_exc.ClientException(500, "boom"),
                      ks_exc.ConnectFailure("nova down")):
            self._mock([])
            self.mock_desktop_page_all_projects.side_effect = error
            res = self.client.get(URL)
            self.assertEqual(res.status_code, 200)
            self.assertEqual(self._names(res), [])
            self.assertMessageCount(res, error=1)
            self.mock_images_by_id.assert_not_called()

    @test.create_mocks(LIST)
    def test_flavor_list_down_only_empties_the_profile_choices(self):
        self._mock([desktop("x")])
        self.mock_profile_list_with_specs.side_effect = nova_exc.ClientException(500, "x")
        res = self.client.get(URL)
        self.assertEqual(self._names(res), ["x"])
        self.assertEqual(res.context["profiles"], [])
        self.assertMessageCount(res, warning=1)

    @test.create_mocks(LIST)
    def test_names_and_metadata_are_escaped(self):
        evil = desktop("<b>x</b>", metadata={"heps:experiment": "<i>y</i>"})
        self._mock([evil])
        self.mock_project_names.return_value = {PROJECT_A: "<img src=x>"}
        res = self.client.get(URL)
        self.assertNotContains(res, "<b>x</b>")
        self.assertNotContains(res, "<img src=x>")
        self.assertContains(res, "&lt;img src=x&gt;")


class MemberRefusalTests(test.TestCase):
    @test.create_mocks(LIST)
    def test_member_gets_horizons_refusal_on_get_and_post(self):
        detail = reverse("horizon:admin:desktops:detail", args=[data.server().id])
        extend = reverse("horizon:admin:desktops:extend", args=[data.server().id])
        for url in (URL, detail, extend):
            for method in (self.client.get, self.client.post):
                res = method(url, {"action": "fleet__delete__x", "hours": 5, "reason": "x"})
                self.assertEqual(res.status_code, 403, url)
        self.mock_desktop_page_all_projects.assert_not_called()
        self.mock_project_names.assert_not_called()


def deny_admin(rules, request, target=None):
    return not any(rule == ("compute", "context_is_admin") for rule in rules)


@override_settings(POLICY_CHECK_FUNCTION=deny_admin)
class PolicyRefusalTests(test.BaseAdminViewTests):
    @test.create_mocks(LIST)
    def test_panel_rule_guards_every_url(self):
        server_id = data.server().id
        for url in (URL, reverse("horizon:admin:desktops:detail", args=[server_id]),
                    reverse("horizon:admin:desktops:extend", args=[server_id])):
            for method in (self.client.get, self.client.post):
                res = method(url, {"action": f"fleet__shelve__{server_id}"})
                self.assertEqual(res.status_code, 403, url)
        self.mock_desktop_page_all_projects.assert_not_called()
