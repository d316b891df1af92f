"""Launch Desktop with an experiment: the choice, the checks before anything is created,
the metadata and user-data the server is created with, and the first attach step."""

from django.test.utils import override_settings
from openstack_dashboard.test import helpers as test
from unit.test_launch import LAUNCH_URL
from unit.test_launch import LOAD
from unit.test_launch import LaunchTestBase

from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.desktops import experiments
from test_data import experiments_data as edata
from test_data import launch_data as data

EXP = "2026-0142"


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

    @test.create_mocks(LOAD)
    def test_access_rule_launch_records_the_plan_and_gives_the_user_data(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares()
        server = self._mock_created()
        res = self._post(experiment=EXP)
        self.assertNoFormErrors(res)
        kwargs = self.mock_desktop_create.call_args.kwargs
        meta = kwargs["metadata"]
        self.assertEqual(meta["heps:experiment"], EXP)
        self.assertEqual((meta["heps:data_mode"], meta["heps:data_state"]),
                         ("access-rule", "attaching"))
        self.assertEqual(meta["heps:mount:raw"].split()[2:4], ["/data/raw", "ro"])
        self.assertEqual(meta["heps:mount:results"].split()[2:4], ["/data/results", "rw"])
        self.assertIn(f"What={edata.EXPORT}{edata.RAW_ID}", kwargs["user_data"])
        self.assertEqual(self.mock_apply_on_launch.call_args.args[1:3], (server, EXP))
        self.assertEqual(self.mock_apply_on_launch.call_args.kwargs["plan"].experiment_id,
                         EXP)

    @test.create_mocks(LOAD)
    def test_without_experiment_nothing_is_attached(self):
        self._mock_catalog()
        self._mock_created()
        self.assertNoFormErrors(self._post(experiment=""))
        kwargs = self.mock_desktop_create.call_args.kwargs
        self.assertFalse([k for k in kwargs["metadata"] if k.startswith("heps:data")])
        self.assertIsNone(kwargs["user_data"])
        self.mock_apply_on_launch.assert_not_called()

    @test.create_mocks(LOAD)
    def test_virtiofs_desktops_always_get_the_tag_mounts(self):
        self._mock_catalog()
        self._mock_created()
        with override_settings(HEPS_DESKTOPS={"share_mount_mode": "virtiofs"}):
            self.assertNoFormErrors(self._post(experiment=""))
        self.assertIn("What=heps-raw", self.mock_desktop_create.call_args.kwargs["user_data"])

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
    def test_manila_down_at_submit_creates_nothing(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares()
        res = self.client.get(LAUNCH_URL)
        self.mock_experiment_shares.side_effect = [
            self._shares(), manila.ShareServiceUnavailable("refused")]
        self._assert_not_created(self._post(experiment=EXP), "Manila")
        self.assertEqual(res.status_code, 200)

    @test.create_mocks(LOAD)
    def test_manila_down_at_render_leaves_none_and_says_so(self):
        self._mock_catalog()
        self.mock_experiment_shares.side_effect = manila.ShareServiceUnavailable("refused")
        res = self.client.get(LAUNCH_URL)
        self.assertEqual([c[0] for c in res.context["form"].fields["experiment"].choices],
                         [""])
        self.assertContains(res, "Unable to retrieve the project&#x27;s experiments")

    @test.create_mocks(LOAD)
    def test_a_failed_first_step_still_launches(self):
        self._mock_catalog()
        self.mock_experiment_shares.return_value = self._shares()
        self._mock_created()
        self.mock_apply_on_launch.side_effect = experiments.ShareServiceUnavailable("down")
        res = self._post(experiment=EXP)
        self.assertNoFormErrors(res)
        self.mock_desktop_create.assert_called_once()
        self.assertEqual(data.A100_ID, self.mock_desktop_create.call_args.kwargs["flavor_id"])
