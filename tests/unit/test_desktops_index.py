"""The Desktops list page: one nova list call and one glance call per page, the columns
(owner = nova's user_id, expiry = the signed one), paging, errors as messages, and
policy decided once per request."""

import datetime
from unittest import mock

from django.core.cache import cache
from django.urls import reverse
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.dashboards.project.desktops import panel as desktops_panel
from test_data import desktops_data as data
from test_data.contexts import IsUserContext

INDEX_URL = reverse("horizon:project:desktops:index")
PAGE_SIZE = 20  # Horizon's default API_RESULT_PAGE_SIZE
LIST = {api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]}


class IndexTestBase(test.TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()

    def _mock_list(self, servers, more=False, prev=False):
        self.mock_desktop_list_paged.return_value = (servers, more, prev)
        self.mock_images_by_id.return_value = {
            data.IMAGE_IMAGING: data.image(),
            data.IMAGE_CRYSTAL: data.image(data.IMAGE_CRYSTAL, "HEPS Crystallography"),
        }

    def _user(self):
        return IsUserContext(project_id=self.tenant.id, user_id=self.user.id)

    def _rows(self, res):
        return {row.name: row for row in res.context["table"].data}


class DesktopsIndexTests(IndexTestBase):
    def test_panel_is_registered_at_project_desktops(self):
        self.assertEqual(INDEX_URL, "/project/desktops/")
        import horizon

        dashboard = horizon.get_dashboard("project")
        panel = dashboard.get_panel("desktops")
        self.assertIsInstance(panel, desktops_panel.Desktops)
        group = [g for g in dashboard.get_panel_groups().values() if "desktops" in
                 [p.slug for p in g]]
        self.assertEqual(str(group[0].name), "Experiment Desktops")

    @test.create_mocks(LIST)
    def test_index_lists_desktops_with_their_columns(self):
        servers = [data.server(name="nano-ct-analysis"),
                   data.server(name="xtal", image_id=data.IMAGE_CRYSTAL,
                               flavor_name="heps.a100.full", status="SHUTOFF")]
        self._mock_list(servers)
        res = self.client.get(INDEX_URL)
        self.assertTemplateUsed(res, "heps_desktops/desktops/index.html")
        table = res.context["table"]
        self.assertEqual(table.name, "desktops")
        self.assertEqual(len(table.data), 2)
        self.assertContains(res, "nano-ct-analysis")
        self.assertContains(res, "HEPS Imaging 2026.2")
        self.assertContains(res, "HEPS Crystallography")
        self.assertContains(res, "heps.a100.full")
        self.assertContains(res, "2026-0142")
        self.assertContains(res, "Stopped")
        self.assertContains(res, "Launch Desktop")
        # valid signed expiries: no problem label, no warning, no banner
        self.assertNotContains(res, "label-danger")
        self.assertNotContains(res, "heps-expiry-warning")
        self.assertMessageCount(res, warning=0)
        self.mock_desktop_list_paged.assert_called_once_with(
            self._user(), PAGE_SIZE, marker=None, reversed_order=False)
        self.mock_images_by_id.assert_called_once_with(
            self._user(), {data.IMAGE_IMAGING, data.IMAGE_CRYSTAL})

    def _owner_cells(self, res):
        """The owner shown per row (someone else's rows also say so, in a note)."""
        return {row.datum.name: str(row.cells["owner"].data).split(" <span")[0]
                for row in res.context["table"].get_rows()}

    @test.create_mocks(LIST)
    def test_owner_is_novas_user_id_and_the_viewer_sees_their_own_name(self):
        self._mock_list([
            data.server(name="mine"),
            data.server(name="colleague", user_id=data.OTHER_USER_ID),
        ])
        res = self.client.get(INDEX_URL)
        rows = self._rows(res)
        self.assertEqual(rows["mine"].owner_id, self.user.id)
        self.assertEqual(rows["colleague"].owner_id, data.OTHER_USER_ID)
        self.assertEqual(self._owner_cells(res),
                         {"mine": "test_user", "colleague": data.OTHER_USER_ID})
        self.assertContains(res, data.OTHER_USER_ID)

    @test.create_mocks(LIST)
    def test_editing_heps_owner_changes_nothing(self):
        # Any project member can edit metadata: a claimed owner is trusted for nothing.
        colleague = data.server(name="colleague", user_id=data.OTHER_USER_ID)
        colleague.metadata["heps:owner"] = "test_user"
        mine = data.server(name="mine")
        mine.metadata["heps:owner"] = "mallory"
        self._mock_list([colleague, mine])
        res = self.client.get(INDEX_URL)
        self.assertEqual(self._owner_cells(res),
                         {"mine": "test_user", "colleague": data.OTHER_USER_ID})
        self.assertNotContains(res, "mallory")
        self.assertMessageCount(res, warning=0)

    @test.create_mocks(LIST)
    def test_index_empty_state_links_to_launch(self):
        self._mock_list([])
        res = self.client.get(INDEX_URL)
        self.assertContains(res, "You have no experiment desktops.")
        self.assertContains(res, 'href="/project/desktops/launch/"')
        self.mock_images_by_id.assert_not_called()

    @test.create_mocks(LIST)
    def test_api_calls_are_constant_in_the_number_of_desktops(self):
        for count in (1, 20, 200):
            self.mock_desktop_list_paged.reset_mock()
            self.mock_images_by_id.reset_mock()
            self._mock_list(data.servers(count))
            res = self.client.get(INDEX_URL)
            self.assertEqual(res.status_code, 200)
            self.assertEqual(len(res.context["table"].data), count)
            self.assertEqual(self.mock_desktop_list_paged.call_count, 1, count)
            self.assertEqual(self.mock_images_by_id.call_count, 1, count)

    @test.create_mocks(LIST)
    def test_pagination_passes_markers_and_renders_links(self):
        servers = data.servers(3)
        self._mock_list(servers, more=True, prev=True)
        res = self.client.get(INDEX_URL + "?marker=abc")
        self.mock_desktop_list_paged.assert_called_once_with(
            self._user(), PAGE_SIZE, marker="abc", reversed_order=False)
        self.assertContains(res, "marker=" + servers[-1].id)
        self.assertContains(res, "prev_marker=" + servers[0].id)
        self.mock_desktop_list_paged.reset_mock()
        self.client.get(INDEX_URL + "?prev_marker=xyz")
        self.mock_desktop_list_paged.assert_called_once_with(
            self._user(), PAGE_SIZE, marker="xyz", reversed_order=True)

    @test.create_mocks(LIST)
    def test_unknown_marker_shows_first_page_with_message(self):
        servers = data.servers(2)
        self.mock_desktop_list_paged.side_effect = [
            api.nova.InvalidMarker("nope"), (servers, False, False)]
        self.mock_images_by_id.return_value = {}
        res = self.client.get(INDEX_URL + "?marker=nope")
        self.assertEqual(res.status_code, 200)
        self.assertEqual(len(res.context["table"].data), 2)
        self.assertMessageCount(res, warning=1)
        self.assertEqual(self.mock_desktop_list_paged.call_args_list[1],
                         mock.call(self._user(), PAGE_SIZE))

    @test.create_mocks(LIST)
    def test_malformed_metadata_still_lists_with_warning(self):
        bad = data.server(name="hand-edited", metadata={
            "heps:expires_at": "next tuesday", "heps:experiment": "<script>x</script>"})
        self._mock_list([bad, data.server(name="fine")])
        res = self.client.get(INDEX_URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "hand-edited")
        self.assertNotContains(res, "<script>x</script>")
        self.assertEqual(self._rows(res)["hand-edited"].experiment, "")
        self.assertContains(res, "label-danger", count=1)
        self.assertMessageCount(res, warning=1)
        messages = [str(m) for m in res.wsgi_request._messages]
        self.assertIn('Desktop "hand-edited" has malformed metadata: heps:experiment, '
                      "heps:expires_at.", messages)

    def _assert_error_page(self, error):
        self.mock_desktop_list_paged.side_effect = error
        res = self.client.get(INDEX_URL)
        self.assertEqual(res.status_code, 200)
        self.assertEqual(len(res.context["table"].data), 0)
        self.assertMessageCount(res, error=1)
        self.mock_images_by_id.assert_not_called()

    @test.create_mocks(LIST)
    def test_nova_error_becomes_message(self):
        self._assert_error_page(nova_exc.ClientException(500, "boom"))

    @test.create_mocks(LIST)
    def test_nova_forbidden_becomes_message(self):
        self._assert_error_page(nova_exc.Forbidden(403, "policy"))

    @test.create_mocks(LIST)
    def test_nova_unreachable_becomes_message(self):
        self._assert_error_page(ks_exc.ConnectFailure("Unable to establish connection"))

    @test.create_mocks(LIST)
    def test_old_nova_without_tags_becomes_message(self):
        self._assert_error_page(api.nova.FeatureNotAvailable("server_tags"))

    @test.create_mocks(LIST)
    def test_glance_error_still_lists_desktops(self):
        self.mock_desktop_list_paged.return_value = ([data.server(name="still-here")],
                                                     False, False)
        # api.glance is raw REST on the session: its errors are keystoneauth's
        for error in (ks_exc.ConnectFailure("down"), ks_exc.InternalServerError()):
            self.mock_images_by_id.side_effect = error
            res = self.client.get(INDEX_URL)
            self.assertEqual(res.status_code, 200)
            self.assertContains(res, "still-here")
            self.assertContains(res, data.IMAGE_IMAGING)

    @test.create_mocks(LIST)
    def test_names_are_escaped(self):
        self._mock_list([data.server(name='<img src=x onerror="alert(1)">')])
        res = self.client.get(INDEX_URL)
        self.assertNotContains(res, '<img src=x onerror="alert(1)">')
        self.assertContains(res, "&lt;img src=x")

    @test.create_mocks(LIST)
    def test_transitional_rows_poll_and_show_task_words(self):
        self._mock_list([data.server(name="booting", status="BUILD", task_state="spawning"),
                         data.server(name="shelving", task_state="shelving_offloading")])
        res = self.client.get(INDEX_URL)
        self.assertContains(res, "Booting")
        self.assertContains(res, "Shelving — GPU released")
        self.assertContains(res, 'ajax-update', count=2)
        self.assertContains(res, 'data-update-url="/project/desktops/?action=row_update', count=2)


class ExpiryColumnTests(IndexTestBase):
    @test.create_mocks(LIST)
    def test_desktops_inside_the_warning_window_are_flagged(self):
        self._mock_list([data.server(name="soon", expires_at=data.in_hours(2)),
                         data.server(name="later")])
        res = self.client.get(INDEX_URL)
        self.assertContains(res, 'class="label label-warning"', count=1)
        self.assertNotContains(res, "label-danger")
        # and a banner with an Extend button above the table, for that desktop only
        self.assertContains(res, "heps-expiry-warning", count=1)
        self.assertContains(res, 'Desktop "soon" will be shelved in')
        self.assertContains(res, reverse("horizon:project:desktops:extend",
                                         args=[self._rows(res)["soon"].id]))

    def _edited(self, name, created, claimed="2099-01-01T00:00:00Z"):
        """A desktop whose signed expiry was "extended" by hand: ``heps:expires_at`` and
        the expiry inside the token say ``claimed``, the token's MAC is the old one."""
        server = data.server(name=name, created=created, expires_at=data.in_hours(2))
        version, scope, _text, mac = server.metadata["heps:expires_sig"].split(" ")
        server.metadata.update({"heps:expires_at": claimed,
                                "heps:expires_sig": f"{version} {scope} {claimed} {mac}"})
        return server

    @test.create_mocks(LIST)
    def test_an_edited_or_unsigned_expiry_shows_the_red_label_and_the_fallback(self):
        created = desktops.format_expiry(desktops.utcnow() - datetime.timedelta(hours=1))
        fallback = desktops.parse_expiry(created) + datetime.timedelta(hours=24)
        far = "2099-01-01T00:00:00Z"
        signed = data.server(name="signed", created=created, expires_at=data.in_hours(30))
        copied = data.server(name="copied", created=created, metadata={
            "heps:expires_at": signed.metadata["heps:expires_at"],
            "heps:expires_sig": signed.metadata["heps:expires_sig"]})
        self._mock_list([
            self._edited("edited", created, far),
            data.server(name="unsigned", created=created, metadata={"heps:expires_at": far}),
            data.server(name="missing", created=created, metadata={}),
            copied,  # another desktop's valid token is not this one's
            signed,
        ])
        res = self.client.get(INDEX_URL)
        rows = self._rows(res)
        problems = {"edited": desktops.EXPIRY_BAD_SIGNATURE,
                    "unsigned": desktops.EXPIRY_UNSIGNED,
                    "missing": desktops.EXPIRY_MISSING,
                    "copied": desktops.EXPIRY_BAD_SIGNATURE}
        for name, problem in problems.items():
            # the claimed 2099 (or missing) expiry is not believed: creation + 24 h is
            self.assertEqual(rows[name].info.expiry_problem, problem, name)
            self.assertEqual(rows[name].expires_at, fallback, name)
        self.assertEqual(rows["signed"].info.expiry_problem, "")
        self.assertContains(res, 'class="label label-danger"', count=4)
        self.assertContains(res, "The expiry was changed outside the dashboard or is "
                                 "missing", count=4)
        self.assertMessageCount(res, warning=4)
        self.assertNotContains(res, "2099")

    @test.create_mocks(LIST)
    def test_editing_only_heps_expires_at_changes_nothing(self):
        server = data.server(name="kept", expires_at=data.in_hours(2))
        signed = desktops.parse_expiry(server.metadata["heps:expires_at"])
        server.metadata["heps:expires_at"] = "2099-01-01T00:00:00Z"
        self._mock_list([server])
        res = self.client.get(INDEX_URL)
        row = self._rows(res)["kept"]
        self.assertEqual(row.expires_at, signed)
        self.assertEqual(row.info.expiry_problem, "")
        # still inside the warning window, with its banner
        self.assertContains(res, 'class="label label-warning"', count=1)
        self.assertContains(res, "heps-expiry-warning", count=1)
        self.assertNotContains(res, "2099")

    @test.create_mocks(LIST)
    def test_an_old_desktop_with_an_edited_expiry_gets_the_warning_window(self):
        # creation + the default lifetime is already past: the fallback is the warning
        # window from now, so it is not deleted at once and not kept forever either
        before = desktops.utcnow()
        self._mock_list([self._edited("old", "2026-01-01T00:00:00Z")])
        res = self.client.get(INDEX_URL)
        after = desktops.utcnow()
        row = self._rows(res)["old"]
        window = datetime.timedelta(hours=4)  # expiry_warning_hours' default
        self.assertTrue(before + window <= row.expires_at <= after + window, row.expires_at)
        self.assertContains(res, 'class="label label-danger"', count=1)


class PolicyOncePerPageTests(IndexTestBase):
    """Policy is decided once per request and rule, not per row and action."""

    @test.create_mocks(LIST)
    def test_policy_checks_do_not_grow_with_rows(self):
        counts = {}
        for count in (1, 20, 200):
            policy = mock.Mock(return_value=True)
            self._mock_list(data.servers(count))
            with self.settings(POLICY_CHECK_FUNCTION=policy):
                res = self.client.get(INDEX_URL)
            self.assertEqual(res.status_code, 200)
            counts[count] = policy.call_count
        self.assertEqual(counts[1], counts[200], counts)
        self.assertGreater(counts[1], 0)

    @test.create_mocks(LIST)
    def test_denied_policy_hides_actions(self):
        server = data.server()
        self._mock_list([server])
        denied = {"os_compute_api:servers:stop", "os_compute_api:servers:create"}

        def policy(rules, request, target=None):
            return not any(rule in denied for _scope, rule in rules)

        with self.settings(POLICY_CHECK_FUNCTION=policy):
            res = self.client.get(INDEX_URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, f"desktops__shelve__{server.id}")
        self.assertNotContains(res, f"desktops__stop__{server.id}")
        self.assertNotContains(res, "desktops__action_launch")

    @test.create_mocks(LIST)
    def test_list_rows_render_no_detail_only_actions(self):
        server = data.server()
        self._mock_list([server])
        res = self.client.get(INDEX_URL)
        self.assertContains(res, f"desktops__stop__{server.id}")
        for detail_only in ("soft_reboot", "hard_reboot", "detach_experiment"):
            self.assertNotContains(res, f"desktops__{detail_only}__{server.id}")
        self.assertNotContains(res, reverse("horizon:project:desktops:rename",
                                            args=[server.id]))
