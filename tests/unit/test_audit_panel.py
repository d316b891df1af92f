"""Admin › Desktop Audit and the Action Log tab: the recent events of the configured
audit file (bounded read, malformed lines skipped with a warning, never a 500), filters,
CSV export, Horizon's refusal for members, and a member's own desktop's events."""

import csv
import io
from unittest import mock

from django.test.utils import override_settings
from django.urls import reverse
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.services import audit_log
from test_data import desktops_data as data
from test_data.audit_data import event_line

URL = reverse("horizon:admin:desktop_audit:index")
CSV = reverse("horizon:admin:desktop_audit:csv")
DESKTOP = data.server(server_id="2c3c0dd1-63e4-4b1c-9f5b-0d2e3c4b5a69")

LINES = [
    event_line("desktop.launch", target_id=DESKTOP.id, target_name="alice-desktop",
               project_id=data.PROJECT_ID, user="alice", user_id=data.USER_ID),
    event_line("data.grant", target_id=DESKTOP.id, target_name="alice-desktop",
               project_id=data.PROJECT_ID, actor="operator", user="heps-operator",
               share_id="s-raw", level="ro"),
    event_line("desktop.delete", target_id="other-desktop", target_name="=HYPERLINK(x)",
               project_id="p-b", user="bob", result="refused", error="NotFound: nope"),
    event_line("desktop.extend", target_id=DESKTOP.id, target_name="<script>x</script>",
               project_id="p-b", user="bob", hours=4),
]


def settings_with(path):
    return override_settings(HEPS_DESKTOPS={"audit_log_file": str(path)})


class AuditFileMixin:
    def write(self, lines, raw=b""):
        path = self.tmp / "audit.jsonl"
        path.write_bytes("".join(line + "\n" for line in lines).encode() + raw)
        return path

    def setUp(self):
        super().setUp()
        import pathlib
        import tempfile

        self._dir = tempfile.TemporaryDirectory()
        self.tmp = pathlib.Path(self._dir.name)
        self.addCleanup(self._dir.cleanup)

    def rows(self, res):
        return res.context["table"].data


class AdminAuditTests(AuditFileMixin, test.BaseAdminViewTests):
    def test_admin_sees_the_recent_events_newest_first(self):
        with settings_with(self.write(LINES)):
            res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/admin/desktop_audit/index.html")
        self.assertEqual([r.action for r in self.rows(res)], [
            "desktop.extend", "desktop.delete", "data.grant", "desktop.launch"])
        self.assertContains(res, "&lt;script&gt;x&lt;/script&gt;")
        self.assertNotContains(res, "<script>x</script>")
        self.assertContains(res, "heps-operator (reconciler)")

    def test_filters_by_user_project_action_desktop_and_result(self):
        path = self.write(LINES)
        cases = {"user=BOB": ["desktop.extend", "desktop.delete"],
                 "project=p-b&result=refused": ["desktop.delete"],
                 "action=data.": ["data.grant"],
                 "action=desktop.launch": ["desktop.launch"],
                 f"desktop={DESKTOP.id[:8]}": ["desktop.extend", "data.grant",
                                               "desktop.launch"],
                 "desktop=alice-desk&user=operator": ["data.grant"],
                 "action=reconcile.": []}
        with settings_with(path):
            for query, expected in cases.items():
                res = self.client.get(f"{URL}?{query}")
                self.assertEqual([r.action for r in self.rows(res)], expected, query)

    def test_csv_has_every_matching_event_and_quotes_formulas(self):
        with settings_with(self.write(LINES)):
            res = self.client.get(f"{CSV}?project=p-b")
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment", res["Content-Disposition"])
        rows = list(csv.reader(io.StringIO(res.content.decode())))
        self.assertEqual(rows[0], list(audit_log.CSV_FIELDS))
        self.assertEqual([r[5] for r in rows[1:]], ["desktop.extend", "desktop.delete"])
        by_action = {r[5]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
        self.assertEqual(by_action["desktop.delete"]["target_name"], "'=HYPERLINK(x)")
        self.assertIn("error=NotFound: nope", by_action["desktop.delete"]["details"])
        self.assertIn("hours=4", by_action["desktop.extend"]["details"])

    def test_the_table_links_the_csv_with_the_filters(self):
        with settings_with(self.write(LINES)):
            res = self.client.get(f"{URL}?user=bob&desktop=x")
        self.assertContains(res, f"{CSV}?user=bob&amp;desktop=x")

    def test_malformed_lines_are_skipped_with_a_warning_never_a_500(self):
        junk = ["not json at all", '{"action": 7}', "[1, 2, 3]", '{"half": ',
                "2026-11-29 09:00:00 INFO " + LINES[0], "", "{" + "x" * 70000 + "}"]
        path = self.write(junk + LINES[1:2], raw=b"\xff\xfe binary \x00\n" + b'{"act')
        with settings_with(path):
            res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertEqual([r.action for r in self.rows(res)], ["data.grant", "desktop.launch"])
        messages = [str(m) for m in res.context["messages"]]
        self.assertTrue(any("7 line(s) of the audit file are not audit events" in m
                            for m in messages), messages)

    def test_not_configured_says_how_to_configure_it(self):
        with override_settings(HEPS_DESKTOPS={}):
            res = self.client.get(URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "No audit file is configured")
        self.assertContains(res, "heps_desktops.audit")
        self.assertContains(res, "audit_log_file")

    def test_an_unreadable_file_is_a_message(self):
        with settings_with(self.tmp / "missing.jsonl"):
            res = self.client.get(URL)
            csv_res = self.client.get(CSV)
        self.assertEqual((res.status_code, csv_res.status_code), (200, 200))
        self.assertEqual(self.rows(res), [])
        self.assertIn("cannot be read", " ".join(str(m) for m in res.context["messages"]))


class BoundedReadTests(AuditFileMixin, test.TestCase):
    def test_only_the_tail_is_read_and_its_cut_first_line_dropped(self):
        lines = [event_line("desktop.launch", target_id=f"d-{i:04d}") for i in range(200)]
        path = self.write(lines)
        found = audit_log.read(str(path), tail_bytes=len(lines[0]) * 10 + 5)
        self.assertTrue(found.truncated)
        self.assertEqual(found.malformed, 0)
        self.assertEqual(found.events[0]["target_id"], "d-0199")
        self.assertLessEqual(len(found.events), 10)
        self.assertEqual(len(audit_log.read(str(path)).events), 200)


class MemberRefusalTests(AuditFileMixin, test.TestCase):
    def test_member_gets_horizons_refusal_and_nothing_is_read(self):
        with settings_with(self.write(LINES)), \
                mock.patch.object(audit_log, "read", side_effect=AssertionError("read")):
            for url in (URL, CSV, f"{CSV}?user=alice"):
                self.assertEqual(self.client.get(url).status_code, 403, url)


def deny_admin(rules, request, target=None):
    return not any(tuple(rule) == ("compute", "context_is_admin") for rule in rules)


@override_settings(POLICY_CHECK_FUNCTION=deny_admin)
class DeniedAdminRuleTests(test.BaseAdminViewTests):
    def test_denied_admin_rule_refuses(self):
        with mock.patch.object(audit_log, "read", side_effect=AssertionError("read")):
            for url in (URL, CSV):
                self.assertEqual(self.client.get(url).status_code, 403, url)


class ActionLogTabTests(AuditFileMixin, test.TestCase):
    def _tab(self, server):
        url = reverse("horizon:project:desktops:detail", args=[server.id])
        return self.client.get(url + "?tab=desktop_details__audit",
                               HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    @test.create_mocks({api.nova: ["desktop_get", "action_list"],
                        api.glance: ["images_by_id"]})
    def test_the_owner_sees_the_events_of_this_desktop_and_project_only(self):
        self.mock_desktop_get.return_value = DESKTOP
        self.mock_images_by_id.return_value = {}
        self.mock_action_list.return_value = []
        with settings_with(self.write(LINES)):
            res = self._tab(DESKTOP)
        self.assertEqual(res.status_code, 200)
        content = res.content.decode()
        self.assertIn("desktop.launch", content)
        self.assertIn("data.grant", content)
        self.assertIn("share_id=s-raw", content)
        # the same desktop id with another project's claim, and other desktops: not shown
        self.assertNotIn("desktop.extend", content)
        self.assertNotIn("desktop.delete", content)

    @test.create_mocks({api.nova: ["desktop_get", "action_list"],
                        api.glance: ["images_by_id"]})
    def test_someone_elses_desktop_or_no_file_shows_a_note(self):
        self.mock_images_by_id.return_value = {}
        self.mock_action_list.return_value = []
        theirs = data.server(server_id=DESKTOP.id, user_id="someone-else")
        self.mock_desktop_get.return_value = theirs
        with settings_with(self.write(LINES)), \
                mock.patch.object(audit_log, "for_desktop",
                                  side_effect=AssertionError("read")):
            res = self._tab(theirs)
        self.assertNotIn("desktop.launch", res.content.decode())
        self.mock_desktop_get.return_value = DESKTOP
        with override_settings(HEPS_DESKTOPS={}):
            res = self._tab(DESKTOP)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "not kept in a file here")
