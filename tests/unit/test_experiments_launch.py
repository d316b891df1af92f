"""Launch Desktop with an experiment: the choice, the checks before anything is created,
the metadata and user-data the server is created with. Nothing is granted at launch:
the plan is recorded as wanted state and the reconciler attaches the data."""

from unittest import mock

from django.test.utils import override_settings
from openstack_dashboard.test import helpers as test
from unit.test_launch import LAUNCH_URL
from unit.test_launch import LOAD
from unit.test_launch import LaunchTestBase

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from test_data import experiments_data as edata
from test_data import launch_data as data
from test_data.contexts import IsUserContext

EXP = "2026-0142"
# Anything that would grant or move data at launch time.
GRANTS = {**LOAD, api.manila: LOAD[api.manila] + ["access_allow"],
          api.nova: LOAD[api.nova] + ["share_attach", "server_set_metadata"]}


class LaunchWithExperimentTests(LaunchTestBase):
    def _shares(self, **overrides):
        kinds = {"raw": {}, "results": {}}
        for key, value in overrides.items():
            kind, field = key.split("__")
            kinds[kind][field] = value
        return [edata.share(kind, project=kinds[kind].pop("project", self.tenant.id),
                            **kinds[kind]) for kind in kinds]

    @test.create_mocks(LOAD)
    def test_choices_are_the_projects_experiments_and_none(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares() + [
            edata.share("raw", share_id="x", project=edata.OTHER_PROJECT,
                        experiment="2026-0217")]
        res = self.client.get(LAUNCH_URL)
        choices = [c[0] for c in res.context["form"].fields["experiment"].choices]
        self.assertEqual(choices, ["", EXP])
        self.assertContains(res, "Raw data: exp-2026-0142-raw (1 GiB, NFS, available)")
        self.assertNotContains(res, "2026-0217")

    @test.create_mocks(GRANTS)
    def test_access_rule_launch_records_the_plan_and_gives_the_user_data(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares() + [
            edata.share(kind, share_id=f"e1-{kind}", project=self.tenant.id, experiment="E-1")
            for kind in ("raw", "results")]
        self._mock_created()
        res = self._post(experiment=EXP)
        self.assertNoFormErrors(res)
        kwargs = self.mock_desktop_create.call_args.kwargs
        meta = kwargs["metadata"]
        self.assertEqual(meta["heps:experiment"], EXP)
        self.assertEqual((meta["heps:data_mode"], meta["heps:data_state"]),
                         ("access-rule", "attaching"))
        self.assertEqual(meta["heps:mount:raw"].split(),
                         ["nfs", edata.EXPORT + edata.RAW_ID, "/data/raw", "ro", edata.RAW_ID])
        self.assertEqual(meta["heps:mount:results"].split()[2:],
                         ["/data/results", "rw", edata.RESULTS_ID])
        self.assertIn(f"What={edata.EXPORT}{edata.RAW_ID}", kwargs["user_data"])
        # the export paths of the chosen experiment's shares only, as the user
        user = IsUserContext(project_id=self.tenant.id)
        self.assertCountEqual(self.mock_export_locations.call_args_list,
                              [mock.call(user, edata.RAW_ID), mock.call(user, edata.RESULTS_ID)])
        # recorded, not granted: the reconciler attaches once the desktop runs
        self.mock_access_allow.assert_not_called()
        self.mock_share_attach.assert_not_called()
        self.mock_server_set_metadata.assert_not_called()
        # the row shows the data as being attached
        data_state = mounts.read_data_state(meta)
        self.assertEqual(data_state.state, mounts.STATE_ATTACHING)
        self.assertEqual(mounts.pseudo_task_state(meta, "active"),
                         mounts.TASK_ATTACHING_DATA)
        messages = [str(m) for m in res.wsgi_request._messages]
        self.assertTrue(any("Experiment 2026-0142 is attached once the desktop is running"
                            in m for m in messages), messages)

    @test.create_mocks(GRANTS)
    def test_without_experiment_nothing_is_attached(self):
        self._mock_catalog()
        self._mock_created()
        self.assertNoFormErrors(self._post(experiment=""))
        kwargs = self.mock_desktop_create.call_args.kwargs
        self.assertFalse([k for k in kwargs["metadata"]
                          if k.startswith(("heps:data", "heps:mount"))])
        self.assertIsNone(kwargs["user_data"])
        self.mock_export_locations.assert_not_called()
        self.mock_access_allow.assert_not_called()

    @test.create_mocks(LOAD)
    def test_virtiofs_desktops_always_get_the_tag_mounts(self):
        self._mock_catalog()
        self._mock_created()
        with override_settings(HEPS_DESKTOPS={"share_mount_mode": "virtiofs"}):
            self.assertNoFormErrors(self._post(experiment=""))
        self.assertIn("What=heps-raw", self.mock_desktop_create.call_args.kwargs["user_data"])

    @test.create_mocks(LOAD)
    def test_virtiofs_launch_with_an_experiment_records_tags_not_exports(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares()
        self._mock_created()
        with override_settings(HEPS_DESKTOPS={"share_mount_mode": "virtiofs"}):
            self.assertNoFormErrors(self._post(experiment=EXP))
        kwargs = self.mock_desktop_create.call_args.kwargs
        meta = kwargs["metadata"]
        self.assertEqual(meta["heps:data_mode"], "virtiofs")
        self.assertEqual(meta["heps:mount:raw"].split()[:2], ["virtiofs", "heps-raw"])
        self.assertIn("What=heps-results", kwargs["user_data"])
        # virtiofs needs no export paths
        self.mock_export_locations.assert_not_called()

    @test.create_mocks(LOAD)
    def test_hand_made_post_with_another_projects_experiment_creates_nothing(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares()
        self._assert_not_created(self._post(experiment="2026-0217"),
                                 "not one of this project's experiments")

    @test.create_mocks(LOAD)
    def test_share_in_error_or_deleting_creates_nothing(self):
        self._mock_catalog()
        for status in ("error", "deleting"):
            self.mock_experiment_shares.return_value = self._shares(results__status=status)
            self._assert_not_created(self._post(experiment=EXP),
                                     f"exp-2026-0142-results\" is {status}")

    @test.create_mocks(LOAD)
    def test_protocol_the_mode_cannot_mount_creates_nothing(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares(raw__proto="CEPHFS")
        self._assert_not_created(self._post(experiment=EXP), "CEPHFS")

    @test.create_mocks(LOAD)
    def test_share_without_export_creates_nothing(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares()
        self.mock_export_locations.side_effect = lambda ctx, share_id: []
        self._assert_not_created(self._post(experiment=EXP), "has no export location")

    @test.create_mocks(LOAD)
    def test_manila_down_at_submit_creates_nothing(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares()
        res = self.client.get(LAUNCH_URL)
        self.assertEqual(res.status_code, 200)
        # the choices still list (first call), the plan cannot be read (second call)
        self.mock_experiment_shares.side_effect = [
            self._shares(), api.manila.ShareServiceUnavailable("refused")]
        self._assert_not_created(self._post(experiment=EXP), "Manila")

    @test.create_mocks(LOAD)
    def test_manila_down_at_render_leaves_none_and_says_so(self):
        self._mock_catalog()
        self.mock_experiment_shares.side_effect = api.manila.ShareServiceUnavailable("refused")
        res = self.client.get(LAUNCH_URL)
        self.assertEqual([c[0] for c in res.context["form"].fields["experiment"].choices],
                         [""])
        self.assertContains(res, "Unable to retrieve the project&#x27;s experiments")

    @test.create_mocks(LOAD)
    def test_refused_experiment_keeps_the_profile_choice(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares(raw__status="error")
        res = self._post(experiment=EXP, profile=data.CPU_ID)
        self._assert_not_created(res)
        self.assertEqual(list(res.context["form"].errors), ["experiment"])
        self.assertEqual(res.context["form"].data["profile"], data.CPU_ID)
