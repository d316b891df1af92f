from unittest import mock

from django.core.cache import cache
from django.urls import reverse
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.desktops import panel as desktops_panel
from test_data import desktops_data as data

INDEX_URL = reverse("horizon:project:desktops:index")


class DesktopsIndexTests(test.TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()

    def _mock_list(self, servers, more=False, prev=False):
        self.mock_desktop_list_paged.return_value = (servers, more, prev)
        self.mock_images_by_id.return_value = {
            data.IMAGE_IMAGING: data.image(),
            data.IMAGE_CRYSTAL: data.image(data.IMAGE_CRYSTAL, "HEPS Crystallography"),
        }

    def test_panel_is_registered_at_project_desktops(self):
        self.assertEqual(INDEX_URL, "/project/desktops/")
        import horizon

        dashboard = horizon.get_dashboard("project")
        panel = dashboard.get_panel("desktops")
        self.assertIsInstance(panel, desktops_panel.Desktops)
        group = [g for g in dashboard.get_panel_groups().values() if "desktops" in
                 [p.slug for p in g]]
        self.assertEqual(str(group[0].name), "Experiment Desktops")

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
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
        self.mock_desktop_list_paged.assert_called_once_with(
            test.IsHttpRequest(), marker=None, reversed_order=False)
        self.mock_images_by_id.assert_called_once_with(
            test.IsHttpRequest(), {data.IMAGE_IMAGING, data.IMAGE_CRYSTAL})

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_index_empty_state_links_to_launch(self):
        self._mock_list([])
        res = self.client.get(INDEX_URL)
        self.assertContains(res, "You have no experiment desktops.")
        self.assertContains(res, 'href="/project/desktops/launch/"')
        self.mock_images_by_id.assert_not_called()

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
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

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_pagination_passes_markers_and_renders_links(self):
        servers = data.servers(3)
        self._mock_list(servers, more=True, prev=True)
        res = self.client.get(INDEX_URL + "?marker=abc")
        self.mock_desktop_list_paged.assert_called_once_with(
            test.IsHttpRequest(), marker="abc", reversed_order=False)
        self.assertContains(res, "marker=" + servers[-1].id)
        self.assertContains(res, "prev_marker=" + servers[0].id)
        self.mock_desktop_list_paged.reset_mock()
        self.client.get(INDEX_URL + "?prev_marker=xyz")
        self.mock_desktop_list_paged.assert_called_once_with(
            test.IsHttpRequest(), marker="xyz", reversed_order=True)

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_unknown_marker_shows_first_page_with_message(self):
        servers = data.servers(2)
        self.mock_desktop_list_paged.side_effect = [
            api.nova.InvalidMarker("nope"), (servers, False, False)]
        self.mock_images_by_id.return_value = {}
        res = self.client.get(INDEX_URL + "?marker=nope")
        self.assertEqual(res.status_code, 200)
        self.assertEqual(len(res.context["table"].data), 2)
        self.assertMessageCount(res, warning=1)

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_malformed_metadata_still_lists_with_warning(self):
        bad = data.server(name="hand-edited", metadata={
            "heps:expires_at": "next tuesday", "heps:experiment": "<script>x</script>"})
        self._mock_list([bad, data.server(metadata={})])
        res = self.client.get(INDEX_URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "hand-edited")
        self.assertContains(res, "Invalid expiry")
        self.assertNotContains(res, "<script>x</script>")
        self.assertMessageCount(res, warning=1)

    def _assert_error_page(self, error):
        self.mock_desktop_list_paged.side_effect = error
        res = self.client.get(INDEX_URL)
        self.assertEqual(res.status_code, 200)
        self.assertEqual(len(res.context["table"].data), 0)
        self.assertMessageCount(res, error=1)
        self.mock_images_by_id.assert_not_called()

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_nova_error_becomes_message(self):
        self._assert_error_page(nova_exc.ClientException(500, "boom"))

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_nova_forbidden_becomes_message(self):
        self._assert_error_page(nova_exc.Forbidden(403, "policy"))

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_nova_unreachable_becomes_message(self):
        self._assert_error_page(ks_exc.ConnectFailure("Unable to establish connection"))

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_old_nova_without_tags_becomes_message(self):
        self._assert_error_page(api.nova.FeatureNotAvailable("server_tags"))

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_glance_error_still_lists_desktops(self):
        self.mock_desktop_list_paged.return_value = ([data.server(name="still-here")],
                                                     False, False)
        self.mock_images_by_id.side_effect = glance_exc.CommunicationError("down")
        res = self.client.get(INDEX_URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "still-here")
        self.assertContains(res, data.IMAGE_IMAGING)

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_names_are_escaped(self):
        self._mock_list([data.server(name='<img src=x onerror="alert(1)">')])
        res = self.client.get(INDEX_URL)
        self.assertNotContains(res, '<img src=x onerror="alert(1)">')
        self.assertContains(res, "&lt;img src=x")

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_transitional_rows_poll_and_show_task_words(self):
        self._mock_list([data.server(name="booting", status="BUILD", task_state="spawning"),
                         data.server(name="shelving", task_state="shelving_offloading")])
        res = self.client.get(INDEX_URL)
        self.assertContains(res, "Booting")
        self.assertContains(res, "Shelving — GPU released")
        self.assertContains(res, 'ajax-update', count=2)
        self.assertContains(res, 'data-update-url="/project/desktops/?action=row_update', count=2)


class DesktopListApiTests(test.TestCase):
    """api.nova.desktop_list_paged makes one filtered call with Horizon's paging."""

    def _client(self, servers):
        client = mock.Mock()
        client.servers.list.return_value = servers
        return client

    @mock.patch.object(api.nova, "client_for")
    def test_single_tag_filtered_call(self, client_for):
        client_for.return_value = client = self._client(data.servers(3))
        servers, more, prev = api.nova.desktop_list_paged(self.request)
        self.assertEqual((len(servers), more, prev), (3, False, False))
        client.servers.list.assert_called_once()
        opts = client.servers.list.call_args.kwargs["search_opts"]
        self.assertEqual(opts["tags"], "heps-desktop")
        self.assertEqual(opts["project_id"], self.request.user.tenant_id)
        self.assertNotIn("marker", opts)
        self.assertEqual(opts["limit"], api.nova.page_size(self.request) + 1)

    @mock.patch.object(api.nova, "client_for")
    def test_more_data_when_page_overflows(self, client_for):
        size = api.nova.page_size(self.request)
        client_for.return_value = self._client(data.servers(size + 1))
        servers, more, prev = api.nova.desktop_list_paged(self.request, marker="m")
        self.assertEqual((len(servers), more, prev), (size, True, True))

    @mock.patch.object(api.nova, "client_for")
    def test_bad_marker_raises_invalid_marker(self, client_for):
        client = client_for.return_value = mock.Mock()
        client.servers.list.side_effect = nova_exc.BadRequest(400, "marker [x] not found")
        with self.assertRaises(api.nova.InvalidMarker):
            api.nova.desktop_list_paged(self.request, marker="x")


class PolicyOncePerPageTests(test.TestCase):
    """Policy is decided once per request and rule, not per row and action."""

    def setUp(self):
        super().setUp()
        cache.clear()

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_policy_checks_do_not_grow_with_rows(self):
        counts = {}
        for count in (1, 20, 200):
            policy = mock.Mock(return_value=True)
            self.mock_desktop_list_paged.return_value = (data.servers(count), False, False)
            self.mock_images_by_id.return_value = {}
            with self.settings(POLICY_CHECK_FUNCTION=policy):
                res = self.client.get(INDEX_URL)
            self.assertEqual(res.status_code, 200)
            counts[count] = policy.call_count
        self.assertEqual(counts[1], counts[200], counts)
        self.assertGreater(counts[1], 0)

    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_denied_policy_hides_actions(self):
        server = data.server()
        self.mock_desktop_list_paged.return_value = ([server], False, False)
        self.mock_images_by_id.return_value = {}
        denied = {"os_compute_api:servers:stop", "os_compute_api:servers:create"}

        def policy(rules, request, target=None):
            return not any(rule in denied for _scope, rule in rules)

        with self.settings(POLICY_CHECK_FUNCTION=policy):
            res = self.client.get(INDEX_URL)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, f"desktops__shelve__{server.id}")
        self.assertNotContains(res, f"desktops__stop__{server.id}")
        self.assertNotContains(res, "desktops__action_launch")


class RowUpdateTests(test.TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()

    def _row_update(self, server):
        return self.client.get(INDEX_URL, {"action": "row_update", "table": "desktops",
                                           "obj_id": server.id},
                               HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    @test.create_mocks({api.nova: ["desktop_get"], api.glance: ["images_by_id"]})
    def test_row_update_is_one_nova_get_when_image_name_is_cached(self):
        server = data.server(name="poll-me", status="BUILD", task_state="spawning")
        self.mock_desktop_get.return_value = server
        from heps_desktop_dashboard.desktops import rows
        rows.remember_image_names({data.IMAGE_IMAGING: data.image()})
        res = self._row_update(server)
        self.assertContains(res, "poll-me")
        self.assertContains(res, "HEPS Imaging 2026.2")
        self.mock_desktop_get.assert_called_once_with(test.IsHttpRequest(), server.id)
        self.mock_images_by_id.assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get"], api.glance: ["images_by_id"]})
    def test_row_update_looks_up_an_unseen_image_once(self):
        server = data.server(status="BUILD", task_state="spawning")
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {data.IMAGE_IMAGING: data.image()}
        self.assertContains(self._row_update(server), "HEPS Imaging 2026.2")
        self.assertContains(self._row_update(server), "HEPS Imaging 2026.2")
        self.mock_images_by_id.assert_called_once()


class ExpiryColumnTests(test.TestCase):
    @test.create_mocks({api.nova: ["desktop_list_paged"], api.glance: ["images_by_id"]})
    def test_desktops_inside_the_warning_window_are_flagged(self):
        import datetime

        from heps_desktop_dashboard.core import desktops

        soon = desktops.format_expiry(datetime.datetime.now(datetime.UTC)
                                      + datetime.timedelta(hours=2))
        self.mock_desktop_list_paged.return_value = (
            [data.server(name="soon", metadata={"heps:expires_at": soon}),
             data.server(name="later")], False, False)
        self.mock_images_by_id.return_value = {}
        res = self.client.get(INDEX_URL)
        self.assertContains(res, 'class="label label-warning"', count=1)
        # and a banner with an Extend button above the table, for that desktop only
        self.assertContains(res, "heps-expiry-warning", count=1)
        self.assertContains(res, 'Desktop "soon" will be deleted in')
        soon_row = res.context["table"].data[0]
        self.assertContains(res, reverse("horizon:project:desktops:extend",
                                         args=[soon_row.id]))
