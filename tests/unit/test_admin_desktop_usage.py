"""Admin › Usage: desktop-hours and GPU-hours per project, experiment and user over a
period (default this month) from one nova usage read, the stacked SVG chart per day, the
CSV download, the GPU Capacity sparkline, errors as messages, and Horizon's refusal for
members (GET)."""

import csv
import datetime
import io
from unittest import mock

from django.core.cache import cache
from django.test.utils import override_settings
from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.dashboards.admin.desktop_usage import charts
from test_data import capacity_data as cdata
from test_data import usage_data as ud
from test_data.contexts import IsUserContext

URL = reverse("horizon:admin:desktop_usage:index")
CSV = reverse("horizon:admin:desktop_usage:csv")
SPARK = reverse("horizon:admin:desktop_usage:sparkline")
REPORT = {api.nova_usage: ["usage_all_projects"],
          api.nova_admin: ["desktops_all_projects"],
          api.nova_flavors: ["flavors_with_specs"],
          api.identity_names: ["project_names", "user_names"]}
D1, D2, D3 = ("d1000000-0000-4000-8000-000000000001", "d2000000-0000-4000-8000-000000000002",
              "d3000000-0000-4000-8000-000000000003")
QUERY = {"start": "2026-11-01", "end": "2026-11-03"}


def records():
    return [ud.record(D1, "heps.vgpu.a16", ud.at(1, 12)),
            ud.record(D2, "heps.a100.double", ud.at(1), ended=ud.at(2, 6),
                      project=ud.PROJECT_B, name="=cmd|' /C calc'!A0"),
            ud.record(D3, "heps.cpu.std", ud.at(3))]


class UsageBase(test.BaseAdminViewTests):
    def setUp(self):
        super().setUp()
        cache.clear()

    def _cloud(self):
        self.mock_usage_all_projects.side_effect = \
            lambda ctx, start, end: ud.period(records(), start, min(end, ud.STOP))
        self.mock_desktops_all_projects.side_effect = lambda ctx: iter(
            [ud.desktop(D1), ud.desktop(D3, "heps.cpu.std", experiment="")])
        self.mock_flavors_with_specs.return_value = ud.flavors_with_specs()
        self.mock_project_names.return_value = {ud.PROJECT_A: "experiment-a",
                                                ud.PROJECT_B: "=experiment-b"}
        self.mock_user_names.return_value = {ud.ALICE: "alice"}

    def _rows(self, res):
        return {row.name: row for row in res.context["table"].data}


class UsageViewTests(UsageBase):
    def test_panel_is_registered_in_the_admin_group(self):
        import horizon

        self.assertEqual(URL, "/admin/desktop_usage/")
        dashboard = horizon.get_dashboard("admin")
        group = [g for g in dashboard.get_panel_groups().values()
                 if "desktop_usage" in [p.slug for p in g]]
        self.assertEqual(str(group[0].name), "Experiment Desktops")
        self.assertEqual(str(dashboard.get_panel("desktop_usage").name), "Usage")

    @test.create_mocks(REPORT)
    def test_per_project_with_totals_chart_and_csv_link(self):
        self._cloud()
        res = self.client.get(URL, QUERY)
        self.assertEqual(res.status_code, 200)
        rows = self._rows(res)
        self.assertEqual(set(rows), {"experiment-a", "=experiment-b"})
        self.assertEqual((rows["experiment-a"].desktops, rows["experiment-a"].gpu_hours,
                          rows["experiment-a"].desktop_hours), (2, 60.0, 84.0))
        self.assertEqual(rows["=experiment-b"].gpu_hours, 60.0)   # 30 h x 2 A100
        self.assertEqual(rows["=experiment-b"].gpu_classes, "CUSTOM_HEPS_GPU_A100 60.00")
        table = res.context["table"]
        self.assertEqual(str(table.columns["name"].verbose_name), "Project")
        self.assertIn("hide", table.columns["project"].classes)
        self.assertEqual(res.context["totals"].gpu_hours, 120.0)
        self.assertContains(res, '<svg class="heps-usage-bars"')
        self.assertContains(res, "2026-11-02")  # a bar's title
        self.assertContains(res, f"{CSV}?start=2026-11-01&amp;end=2026-11-03&amp;group=project")
        self.mock_usage_all_projects.assert_called_once_with(
            IsUserContext(), ud.at(1), ud.at(4))
        self.mock_desktops_all_projects.assert_called_once_with(IsUserContext())

    @test.create_mocks(REPORT)
    def test_per_experiment_and_per_user(self):
        self._cloud()
        res = self.client.get(URL, dict(QUERY, group="experiment"))
        rows = self._rows(res)
        self.assertEqual(set(rows), {"2026-0142", "No experiment",
                                     "Unknown (deleted desktops)"})
        self.assertEqual(rows["2026-0142"].project, "experiment-a")
        self.assertNotIn("hide", res.context["table"].columns["project"].classes)
        self.assertEqual(str(res.context["table"].columns["name"].verbose_name), "Experiment")
        res = self.client.get(URL, dict(QUERY, group="user", metric="desktop"))
        rows = self._rows(res)
        self.assertEqual(set(rows), {"alice", "Unknown (deleted desktops)"})
        self.assertEqual(rows["alice"].desktop_hours, 84.0)
        self.assertContains(res, "Desktop-hours per day")

    @test.create_mocks(REPORT)
    def test_default_period_is_this_month(self):
        self._cloud()
        now = datetime.datetime(2026, 11, 17, 9, 30, tzinfo=datetime.UTC)
        with mock.patch.object(desktops, "utcnow", return_value=now):
            res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.mock_usage_all_projects.assert_called_once_with(
            IsUserContext(), ud.at(1), ud.at(18))

    @test.create_mocks(REPORT)
    def test_invalid_period_warns_and_shows_this_month(self):
        self._cloud()
        for query in ({"start": "2026-11-05", "end": "2026-11-01"},
                      {"start": "yesterday"}, {"start": "2024-01-01", "end": "2026-11-01"},
                      {"group": "host"}):
            self.mock_usage_all_projects.reset_mock()
            res = self.client.get(URL, query)
            self.assertEqual(res.status_code, 200)
            self.assertMessageCount(res, warning=1)
            start = self.mock_usage_all_projects.call_args.args[1]
            self.assertEqual(start.day, 1)

    @test.create_mocks(REPORT)
    def test_csv_has_a_row_per_line_and_no_formulas(self):
        self._cloud()
        res = self.client.get(CSV, QUERY)
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn('filename="desktop-usage-2026-11-01-2026-11-03.csv"',
                      res["Content-Disposition"])
        rows = list(csv.DictReader(io.StringIO(res.content.decode())))
        by_project = {row["project_id"]: row for row in rows}
        self.assertEqual(float(by_project[ud.PROJECT_A]["gpu_hours"]), 60.0)
        self.assertEqual(float(by_project[ud.PROJECT_B]
                               ["gpu_hours CUSTOM_HEPS_GPU_A100"]), 60.0)
        self.assertEqual(by_project[ud.PROJECT_B]["project"], "'=experiment-b")
        self.assertEqual(rows[0]["period_start"], "2026-11-01T00:00:00Z")
        self.assertEqual(rows[0]["period_end"], "2026-11-04T00:00:00Z")
        users = list(csv.DictReader(io.StringIO(self.client.get(
            CSV, dict(QUERY, group="user")).content.decode())))
        self.assertEqual({row["user"] for row in users}, {"alice",
                                                          "Unknown (deleted desktops)"})

    @test.create_mocks(REPORT)
    def test_nova_down_renders_a_message(self):
        self._cloud()
        self.mock_usage_all_projects.side_effect = nova_exc.ClientException(500, "down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, error=1)
        self.assertContains(res, "cannot be read from the compute service")
        res = self.client.get(CSV)
        self.assertRedirectsNoFollow(res, URL)

    @test.create_mocks(REPORT)
    def test_keystone_and_flavors_down_leave_warnings(self):
        self._cloud()
        self.mock_project_names.side_effect = ks_exc.ConnectFailure("keystone down")
        self.mock_flavors_with_specs.side_effect = nova_exc.ClientException(500, "x")
        res = self.client.get(URL, QUERY)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, warning=2)
        rows = self._rows(res)
        self.assertEqual(set(rows), {ud.PROJECT_A})  # ids; the deleted desktop left out


class SparklineTests(UsageBase):
    @test.create_mocks(REPORT)
    def test_seven_days_per_gpu_class_cached(self):
        self._cloud()
        now = datetime.datetime(2026, 11, 3, 12, tzinfo=datetime.UTC)
        with mock.patch.object(desktops, "utcnow", return_value=now):
            res = self.client.get(SPARK, {"rc": "VGPU", "traits": "CUSTOM_HEPS_GPU_A16"})
            again = self.client.get(SPARK, {"rc": "CUSTOM_HEPS_GPU_A100"})
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res["Content-Type"], "image/svg+xml")
        self.assertIn("<polyline", res.content.decode())
        self.assertIn("60.00 in all", res.content.decode())   # D1: Nov 1 12:00 to Nov 4
        self.assertIn("60.00 in all", again.content.decode())  # D2: 30 h x 2
        self.assertEqual(self.mock_usage_all_projects.call_count, 1)
        start, end = self.mock_usage_all_projects.call_args.args[1:]
        self.assertEqual((start, end), (ud.at(3) - datetime.timedelta(days=6), ud.at(4)))

    @test.create_mocks(REPORT)
    def test_nova_down_gives_an_empty_line(self):
        self._cloud()
        self.mock_usage_all_projects.side_effect = nova_exc.ClientException(500, "down")
        res = self.client.get(SPARK, {"rc": "VGPU"})
        self.assertEqual(res.status_code, 200)
        self.assertIn("0.00 in all", res.content.decode())

    @test.create_mocks({api.placement_inventory: ["resource_providers", "inventories",
                                                  "usages", "allocations", "traits"],
                        api.nova_admin: ["desktops_all_projects"],
                        api.identity_names: ["project_names", "user_names"]})
    def test_gpu_capacity_shows_a_sparkline_per_class(self):
        cdata.FakePlacement().install(self)
        self.mock_desktops_all_projects.side_effect = lambda ctx: iter([])
        self.mock_project_names.return_value = self.mock_user_names.return_value = {}
        res = self.client.get(reverse("horizon:admin:gpu_capacity:index"))
        self.assertContains(res, 'class="heps-sparkline"', count=2)
        self.assertContains(res, f"{SPARK}?rc=VGPU&amp;traits=CUSTOM_HEPS_GPU_A16")
        self.assertContains(res, f"{SPARK}?rc=CUSTOM_HEPS_GPU_A100&amp;traits=")

    def test_chart_helpers(self):
        self.assertEqual([charts.nice_ceiling(v) for v in (0, 0.7, 3, 12, 100)],
                         [1.0, 1.0, 5.0, 20.0, 100.0])
        series = [(f"s{i}", [float(i)]) for i in range(12)]
        top = charts.top_series(series, "Other", limit=3)
        self.assertEqual([label for label, _v in top], ["s11", "s10", "s9", "Other"])
        self.assertEqual(top[-1][1], [sum(range(9))])
        self.assertEqual([charts.axis_label(v, 0.2) for v in (0, 0.05, 0.2)],
                         ["0.00", "0.05", "0.20"])
        self.assertEqual(charts.axis_label(7.5, 10), "8")
        svg = charts.stacked_bars([datetime.date(2026, 11, 1)], [("<b>x</b>", [2.0])], "h")
        self.assertIn("&lt;b&gt;x&lt;/b&gt;", svg)


class UsageRefusalTests(test.TestCase):
    @test.create_mocks(REPORT)
    def test_member_is_refused_and_nothing_is_read(self):
        for url in (URL, CSV, SPARK):
            self.assertEqual(self.client.get(url).status_code, 403)
        self.mock_usage_all_projects.assert_not_called()


def deny_admin(rules, request, target=None):
    return not any(rule == ("compute", "context_is_admin") for rule in rules)


@override_settings(POLICY_CHECK_FUNCTION=deny_admin)
class UsagePolicyTests(test.BaseAdminViewTests):
    @test.create_mocks(REPORT)
    def test_denied_admin_rule_refuses(self):
        for url in (URL, CSV, SPARK):
            self.assertEqual(self.client.get(url).status_code, 403)
        self.mock_usage_all_projects.assert_not_called()
