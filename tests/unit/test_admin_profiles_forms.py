"""Admin › Desktop Profiles modals: create (the flavor, its extra specs in nova's words,
its project access; rolled back when nova refuses a spec), edit (a new flavor under a
new name, the old one retired and its other specs carried over), delete (retire instead
while desktops use it), bad input as form errors, each change audited."""

from django.urls import reverse
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard.core import conventions as names
from test_data import desktops_data as data
from test_data import profile_data as pdata
from test_data.contexts import IsUserContext

INDEX = reverse("horizon:admin:desktop_profiles:index")
CREATE = reverse("horizon:admin:desktop_profiles:create")
NEW_ID = "f-new"


def edit_url(flavor_id):
    return reverse("horizon:admin:desktop_profiles:edit", args=[flavor_id])


def delete_url(flavor_id):
    return reverse("horizon:admin:desktop_profiles:delete", args=[flavor_id])


def vgpu_form(**changed):
    found = {"name": "heps.vgpu.a16.big", "gpu_kind": "vgpu",
             "vgpu_type": "vgpu:CUSTOM_HEPS_GPU_A16", "passthrough_gpu": "",
             "gpu_count": "1", "gpu_model": "NVIDIA A16 vGPU", "vcpus": "8",
             "ram_mb": "32768", "disk_gb": "60", "cpu_pinning": "on", "huge_pages": "",
             "video_model": "virtio", "video_ram_mb": "128",
             "description": "Big visualisation desktop", "public_ip": "",
             "is_public": "on"}
    found.update(changed)
    return {k: v for k, v in found.items() if v != ""}


class CreateProfileTests(test.BaseAdminViewTests):
    def _created(self):
        self.mock_flavor_create.return_value = pdata.flavor(NEW_ID, "new", 8, 32768, 60, {})

    @test.create_mocks(pdata.WRITES)
    def test_choices_come_from_placement_and_pci_aliases_in_use(self):
        pdata.install(self)
        res = self.client.get(CREATE)
        self.assertEqual(res.status_code, 200)
        form = res.context["form"]
        self.assertEqual([v for v, _l in form.fields["vgpu_type"].choices],
                         ["vgpu:CUSTOM_HEPS_GPU_A16"])
        self.assertEqual([v for v, _l in form.fields["passthrough_gpu"].choices],
                         ["rc:CUSTOM_HEPS_GPU_A100"])
        self.assertContains(res, "vGPU CUSTOM_HEPS_GPU_A16 (on 2 hosts)")
        self.assertEqual(dict(form.fields["projects"].choices), pdata.PROJECTS)

    @test.create_mocks(pdata.WRITES)
    def test_create_writes_the_flavor_and_its_specs(self):
        pdata.install(self)
        self._created()
        with self.assertLogs(names.AUDIT_LOGGER, "INFO") as logs:
            res = self.client.post(CREATE, vgpu_form())
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX)
        self.mock_flavor_create.assert_called_once_with(
            IsUserContext(), "heps.vgpu.a16.big", 8, 32768, 60, True,
            description="Big visualisation desktop")
        self.mock_flavor_set_specs.assert_called_once_with(IsUserContext(), NEW_ID, {
            "heps:profile": "true", "heps:gpu_kind": "vgpu", "resources:VGPU": "1",
            "trait:CUSTOM_HEPS_GPU_A16": "required", "heps:gpu_model": "NVIDIA A16 vGPU",
            "heps:description": "Big visualisation desktop", "hw:cpu_policy": "dedicated",
            "heps:video_model": "virtio", "hw_video:ram_max_mb": "128"})
        self.mock_flavor_access_add.assert_not_called()
        self.assertIn('"profile.create"', "".join(logs.output))

    @test.create_mocks(pdata.WRITES)
    def test_private_passthrough_profile_with_projects(self):
        pdata.install(self)
        self._created()
        res = self.client.post(CREATE, vgpu_form(
            name="heps.a100.pair", gpu_kind="passthrough", vgpu_type="",
            passthrough_gpu="rc:CUSTOM_HEPS_GPU_A100", gpu_count="2", gpu_model="",
            huge_pages="on", is_public="", projects=[pdata.PROJECT_A, pdata.PROJECT_B]))
        self.assertNoFormErrors(res)
        specs = self.mock_flavor_set_specs.call_args[0][2]
        self.assertEqual(specs["resources:CUSTOM_HEPS_GPU_A100"], "2")
        self.assertEqual(specs["heps:gpu_model"], "CUSTOM_HEPS_GPU_A100")
        self.assertEqual(specs["hw:mem_page_size"], "large")
        self.assertNotIn("resources:VGPU", specs)
        self.assertEqual(self.mock_flavor_create.call_args[0][5], False)
        self.assertEqual(sorted(c[0][2] for c in self.mock_flavor_access_add.call_args_list),
                         sorted([pdata.PROJECT_A, pdata.PROJECT_B]))

    @test.create_mocks(pdata.WRITES)
    def test_bad_input_is_a_form_error_and_nothing_is_created(self):
        pdata.install(self)
        for bad in ({"name": "heps.vgpu.a16"},                        # nova has it
                    {"name": "bad name!"},
                    {"vgpu_type": ""},                                # no GPU chosen
                    {"vgpu_type": "vgpu:CUSTOM_NOT_OFFERED"},         # hand-made POST
                    {"gpu_kind": "quantum"},
                    {"vcpus": "0"}, {"ram_mb": "-1"}, {"gpu_count": "1.5"},
                    {"video_ram_mb": "999999"},
                    {"is_public": "", "projects": []}):                # private, nobody
            res = self.client.post(CREATE, vgpu_form(**bad))
            self.assertEqual(res.status_code, 200, bad)
            self.assertFormErrors(res, 1)
        self.mock_flavor_create.assert_not_called()

    @test.create_mocks(pdata.WRITES)
    def test_nova_refusing_a_spec_removes_the_new_flavor(self):
        pdata.install(self)
        self._created()
        self.mock_flavor_set_specs.side_effect = nova_exc.BadRequest(400, "bad extra spec")
        res = self.client.post(CREATE, vgpu_form())
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "The profile was not saved: nova refused the profile")
        self.mock_flavor_delete.assert_called_once_with(IsUserContext(), NEW_ID)

    @test.create_mocks(pdata.WRITES)
    def test_nova_name_conflict_is_a_form_error(self):
        pdata.install(self)
        self.mock_flavor_create.side_effect = nova_exc.Conflict(409, "exists")
        res = self.client.post(CREATE, vgpu_form())
        self.assertContains(res, "nova already has a flavor of that name")
        self.mock_flavor_set_specs.assert_not_called()


class EditProfileTests(test.BaseAdminViewTests):
    def _get(self, flavors, flavor_id):
        flavor = flavors[flavor_id]
        self.mock_flavor_get.return_value = (flavor, dict(flavor._info["extra_specs"]))

    @test.create_mocks(pdata.WRITES)
    def test_edit_starts_from_the_profile_under_a_new_name(self):
        flavors = pdata.install(self)
        self._get(flavors, pdata.A100_ID)
        res = self.client.get(edit_url(pdata.A100_ID))
        self.assertEqual(res.status_code, 200)
        form = res.context["form"]
        self.assertEqual(form["name"].value(), "heps.a100.full.v2")
        self.assertEqual(form["passthrough_gpu"].value(), "rc:CUSTOM_HEPS_GPU_A100")
        self.assertEqual(form["gpu_kind"].value(), "passthrough")
        self.assertTrue(form["cpu_pinning"].value())
        self.assertFalse(form["is_public"].value())
        self.assertEqual(form["projects"].value(), [pdata.PROJECT_B])
        self.assertContains(res, "Save as New Profile")

    @test.create_mocks(pdata.WRITES)
    def test_save_makes_a_new_flavor_and_retires_the_old_one(self):
        flavors = pdata.install(self)
        self._get(flavors, pdata.A100_ID)
        self.mock_flavor_create.return_value = pdata.flavor(NEW_ID, "x", 8, 32768, 80, {})
        res = self.client.post(edit_url(pdata.A100_ID), vgpu_form(
            name="heps.a100.full.v2", gpu_kind="passthrough", vgpu_type="",
            passthrough_gpu="rc:CUSTOM_HEPS_GPU_A100", gpu_count="1", vcpus="16",
            is_public="", projects=[pdata.PROJECT_B]))
        self.assertNoFormErrors(res)
        first, second = self.mock_flavor_set_specs.call_args_list
        self.assertEqual(first[0][1], NEW_ID)
        self.assertEqual(first[0][2]["heps:persistent"], "home")   # carried over
        self.assertNotIn("heps:retired", first[0][2])
        self.assertEqual(second[0][1], pdata.A100_ID)
        self.assertEqual(set(second[0][2]), {"heps:retired", "heps:replaced_by"})
        self.assertEqual(second[0][2]["heps:replaced_by"], "heps.a100.full.v2")
        self.mock_flavor_delete.assert_not_called()

    @test.create_mocks(pdata.WRITES)
    def test_the_old_name_is_refused(self):
        flavors = pdata.install(self)
        self._get(flavors, pdata.VGPU_ID)
        res = self.client.post(edit_url(pdata.VGPU_ID), vgpu_form(name="heps.vgpu.a16"))
        self.assertFormErrors(res, 1)
        self.mock_flavor_create.assert_not_called()

    @test.create_mocks(pdata.WRITES)
    def test_a_retired_profile_is_not_edited(self):
        flavors = pdata.install(self)
        self._get(flavors, pdata.OLD_ID)
        res = self.client.get(edit_url(pdata.OLD_ID))
        self.assertRedirectsNoFollow(res, INDEX)
        res = self.client.post(edit_url(pdata.OLD_ID), vgpu_form(name="heps.vgpu.new"))
        self.assertRedirectsNoFollow(res, INDEX)
        self.mock_flavor_create.assert_not_called()


class DeleteProfileTests(test.BaseAdminViewTests):
    @test.create_mocks(pdata.WRITES)
    def test_an_unused_profile_is_deleted(self):
        flavors = pdata.install(self)
        flavor = flavors[pdata.H100_ID]
        self.mock_flavor_get.return_value = (flavor, dict(flavor._info["extra_specs"]))
        res = self.client.get(delete_url(pdata.H100_ID))
        self.assertContains(res, "No desktop uses it")
        res = self.client.post(delete_url(pdata.H100_ID), {})
        self.assertRedirectsNoFollow(res, INDEX)
        self.mock_flavor_delete.assert_called_once_with(IsUserContext(), pdata.H100_ID)
        self.mock_flavor_set_specs.assert_not_called()

    @test.create_mocks(pdata.WRITES)
    def test_a_profile_in_use_is_retired_after_confirmation(self):
        used = [data.server(name="alice-viz", flavor_name="heps.vgpu.a16")]
        flavors = pdata.install(self, used)
        flavor = flavors[pdata.VGPU_ID]
        self.mock_flavor_get.return_value = (flavor, dict(flavor._info["extra_specs"]))
        res = self.client.get(delete_url(pdata.VGPU_ID))
        self.assertContains(res, "It will be retired instead of")
        self.assertContains(res, "alice-viz")
        self.assertContains(res, "Retire Profile")
        res = self.client.post(delete_url(pdata.VGPU_ID), {})
        self.assertRedirectsNoFollow(res, INDEX)
        self.mock_flavor_delete.assert_not_called()
        self.mock_flavor_set_specs.assert_called_once()
        self.assertIn("heps:retired", self.mock_flavor_set_specs.call_args[0][2])
        self.assertMessageCount(warning=1)

    @test.create_mocks(pdata.WRITES)
    def test_a_flavor_that_is_no_profile_is_not_touched(self):
        flavors = pdata.install(self)
        flavor = flavors[pdata.SMALL_ID]
        self.mock_flavor_get.return_value = (flavor, {})
        res = self.client.post(delete_url(pdata.SMALL_ID), {})
        self.assertRedirectsNoFollow(res, INDEX)
        self.mock_flavor_delete.assert_not_called()
