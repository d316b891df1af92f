"""Desktops › Usage: the user's own project's desktop-hours and GPU-hours per experiment
and per user (nova's one-project usage), the chart and CSV, a message when nova is down,
the policy on every view, and the Desktops table's link to it."""

import csv
import io
from unittest import mock

from django.test.utils import override_settings
from django.urls import reverse
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops import tables as desktop_tables
from heps_desktop_dashboard.dashboards.project.desktops.usage import links
from test_data import desktops_data as data
from test_data import usage_data as ud
from test_data.contexts import IsUserContext

URL = reverse("horizon:project:desktops:usage")
CSV = reverse("horizon:project:desktops:usage_csv")
REPORT = {api.nova_usage: ["usage_project"], api.nova: ["desktop_scan"],
          api.nova_flavors: ["flavors_with_specs"]}
MINE, OTHERS, GONE = ("d1000000-0000-4000-8000-000000000001",
                      "d2000000-0000-4000-8000-000000000002",
                      "d3000000-0000-4000-8000-000000000003")
QUERY = {"start": "2026-11-01", "end": "2026-11-03"}


class ProjectUsageTests(test.TestCase):
    def _cloud(self):
        project = data.PROJECT_ID
        self.mock_usage_project.side_effect = lambda ctx, start, end: ud.period([
            ud.record(MINE, "heps.vgpu.a16", ud.at(1, 12), project=project),
            ud.record(OTHERS, "heps.cpu.std", ud.at(3), project=project),
            ud.record(GONE, "heps.a100.double", ud.at(2), ended=ud.at(2, 3),
                      project=project)], start, min(end, ud.STOP))
        self.mock_desktop_scan.side_effect = lambda ctx: iter([
            ud.desktop(MINE, project=project, user=data.USER_ID),
            ud.desktop(OTHERS, "heps.cpu.std", project=project, user=data.OTHER_USER_ID,
                       experiment="2026-0150")])
        self.mock_flavors_with_specs.return_value = ud.flavors_with_specs()

    @test.create_mocks(REPORT)
    def test_per_experiment_by_default_then_per_user(self):
        self._cloud()
        res = self.client.get(URL, QUERY)
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/desktops/usage.html")
        rows = {row.name: row for row in res.context["table"].data}
        self.assertEqual(set(rows), {"2026-0142", "2026-0150", "Unknown (deleted desktops)"})
        self.assertEqual(rows["2026-0142"].gpu_hours, 60.0)
        self.assertEqual(rows["Unknown (deleted desktops)"].gpu_hours, 6.0)
        self.assertContains(res, '<svg class="heps-usage-bars"')
        self.assertContains(res, f"{CSV}?start=2026-11-01")
        self.assertNotContains(res, 'value="project"')  # one project: no such grouping
        self.mock_usage_project.assert_called_once_with(
            IsUserContext(project_id=data.PROJECT_ID), ud.at(1), ud.at(4))
        res = self.client.get(URL, dict(QUERY, group="user"))
        rows = {row.name: row for row in res.context["table"].data}
        # keystone does not tell a member the other members' names (conftest): ids
        self.assertEqual(set(rows), {data.USERNAME, data.OTHER_USER_ID,
                                     "Unknown (deleted desktops)"})
        with mock.patch.object(api.keystone, "project_members",
                               return_value={data.OTHER_USER_ID: "bob"}):
            res = self.client.get(URL, dict(QUERY, group="user"))
        self.assertIn("bob", {row.name for row in res.context["table"].data})

    @test.create_mocks(REPORT)
    def test_csv_of_the_project(self):
        self._cloud()
        res = self.client.get(CSV, dict(QUERY, group="user"))
        self.assertEqual(res.status_code, 200)
        self.assertIn("project-desktop-usage-2026-11-01-2026-11-03.csv",
                      res["Content-Disposition"])
        rows = {row["user_id"]: row for row in csv.DictReader(io.StringIO(
            res.content.decode()))}
        self.assertEqual(float(rows[data.USER_ID]["gpu_hours"]), 60.0)
        self.assertEqual(rows[data.USER_ID]["user"], data.USERNAME)
        self.assertEqual(sum(float(r["gpu_hours"]) for r in rows.values()), 66.0)

    @test.create_mocks(REPORT)
    def test_nova_down_is_a_message(self):
        self._cloud()
        self.mock_usage_project.side_effect = nova_exc.ClientException(503, "down")
        res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, error=1)
        self.assertRedirectsNoFollow(self.client.get(CSV), URL)

    def test_the_desktops_table_links_to_it(self):
        self.assertIn(links.ShowUsage, desktop_tables.DesktopsTable._meta.table_actions)
        self.assertEqual(links.ShowUsage.url, "horizon:project:desktops:usage")


def deny_usage(rules, request, target=None):
    return not any(rule == links.RULES[0] for rule in rules)


@override_settings(POLICY_CHECK_FUNCTION=deny_usage)
class ProjectUsagePolicyTests(test.TestCase):
    @test.create_mocks(REPORT)
    def test_denied_usage_policy_refuses_page_and_csv(self):
        for url in (URL, CSV):
            res = self.client.get(url)
            self.assertRedirectsNoFollow(res, reverse("horizon:project:desktops:index"))
        self.mock_usage_project.assert_not_called()
