"""The ajax row update of the Desktops table (reads only: one nova GET), and the nova
calls behind the list and every per-desktop action (api.nova on a faked novaclient)."""

from unittest import mock

from django.core.cache import cache
from django.urls import reverse
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops import rows
from test_data import contexts
from test_data import desktops_data as data

INDEX_URL = reverse("horizon:project:desktops:index")
MUTATING_NOVA = ["server_set_metadata", "server_delete_metadata", "server_stop",
                 "server_start", "server_shelve", "server_delete", "desktop_start",
                 "desktop_stop", "desktop_shelve", "share_attach", "share_detach"]
# Everything a row update could reach: api.nova's functions (the mocked ones) and, below
# any other, the clients of nova and Manila themselves.
ROW_UPDATE = {
    api.nova: ["desktop_get"] + MUTATING_NOVA,
    api.nova_client: ["for_feature", "client", "request"],
    api.manila: ["manilaclient", "access_allow", "access_deny"],
    api.glance: ["images_by_id"],
}


class RowUpdateTests(test.TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()

    def _row_update(self, server):
        return self.client.get(INDEX_URL, {"action": "row_update", "table": "desktops",
                                           "obj_id": server.id},
                               HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    def _assert_read_only(self):
        self.mock_desktop_get.assert_called_once_with(
            contexts.IsUserContext(project_id=self.tenant.id), mock.ANY)
        for name in MUTATING_NOVA + ["for_feature", "client", "request", "manilaclient",
                                     "access_allow", "access_deny"]:
            getattr(self, f"mock_{name}").assert_not_called()

    @test.create_mocks(ROW_UPDATE)
    def test_row_update_is_one_nova_get_when_image_name_is_cached(self):
        server = data.server(name="poll-me", status="BUILD", task_state="spawning")
        self.mock_desktop_get.return_value = server
        rows.remember_image_names({data.IMAGE_IMAGING: data.image()})
        res = self._row_update(server)
        self.assertContains(res, "poll-me")
        self.assertContains(res, "HEPS Imaging 2026.2")
        self.assertContains(res, "Booting")
        self.mock_desktop_get.assert_called_once_with(
            contexts.IsUserContext(project_id=self.tenant.id), server.id)
        self.mock_images_by_id.assert_not_called()
        self._assert_read_only()

    @test.create_mocks(ROW_UPDATE)
    def test_row_update_of_an_attaching_desktop_moves_nothing_on(self):
        # The reconciler attaches the data; a GET only shows how far it is.
        metadata = dict(data.server().metadata)
        metadata.update({"heps:data_mode": "access-rule", "heps:data_state": "attaching",
                         "heps:mount:raw": "nfs 10.0.0.10:/share/raw /data/raw ro raw-id"})
        server = data.server(name="attaching", metadata=metadata)
        self.mock_desktop_get.return_value = server
        rows.remember_image_names({data.IMAGE_IMAGING: data.image()})
        res = self._row_update(server)
        self.assertContains(res, "Attaching experiment data")
        self.assertContains(res, "ajax-update")  # Horizon keeps polling the row
        self._assert_read_only()

    @test.create_mocks(ROW_UPDATE)
    def test_row_update_shows_the_owner_like_the_list(self):
        server = data.server(name="colleague", user_id=data.OTHER_USER_ID)
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {}
        self.assertContains(self._row_update(server), data.OTHER_USER_ID)
        self._assert_read_only()

    @test.create_mocks(ROW_UPDATE)
    def test_row_update_looks_up_an_unseen_image_once(self):
        server = data.server(status="BUILD", task_state="spawning")
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {data.IMAGE_IMAGING: data.image()}
        self.assertContains(self._row_update(server), "HEPS Imaging 2026.2")
        self.assertContains(self._row_update(server), "HEPS Imaging 2026.2")
        self.mock_images_by_id.assert_called_once_with(
            contexts.IsUserContext(project_id=self.tenant.id), [data.IMAGE_IMAGING])

    @test.create_mocks(ROW_UPDATE)
    def test_row_update_of_a_desktop_that_is_gone_is_no_500(self):
        server = data.server()
        self.mock_desktop_get.side_effect = nova_exc.NotFound(404, "not a desktop")
        res = self._row_update(server)
        self.assertLess(res.status_code, 500)
        self.assertNotEqual(res.status_code, 200)
        self._assert_read_only()


class DesktopNovaApiTests(test.TestCase):
    """api.nova.desktop_list_paged / desktop_get / per-desktop actions on a faked client."""

    def _client(self, servers=()):
        client = mock.Mock()
        client.servers.list.return_value = list(servers)
        return client

    @mock.patch.object(api.nova_client, "for_feature")
    def test_single_tag_filtered_call(self, for_feature):
        for_feature.return_value = client = self._client(data.servers(3))
        ctx = contexts.user_context()
        servers, more, prev = api.nova.desktop_list_paged(ctx, 20)
        self.assertEqual((len(servers), more, prev), (3, False, False))
        client.servers.list.assert_called_once()
        kwargs = client.servers.list.call_args.kwargs
        opts = kwargs["search_opts"]
        self.assertEqual(opts["tags"], "heps-desktop")
        self.assertEqual(opts["project_id"], ctx.project_id)
        self.assertNotIn("all_tenants", opts)
        self.assertNotIn("marker", opts)
        self.assertEqual(opts["limit"], 21)
        self.assertEqual(kwargs["sort_dirs"], ["desc"] * len(kwargs["sort_keys"]))

    @mock.patch.object(api.nova_client, "for_feature")
    def test_operator_lists_every_project(self, for_feature):
        for_feature.return_value = client = self._client(data.servers(1))
        api.nova.desktop_list_paged(contexts.operator_context(), 5, marker="m",
                                    reversed_order=True)
        kwargs = client.servers.list.call_args.kwargs
        self.assertEqual(kwargs["search_opts"]["all_tenants"], 1)
        self.assertNotIn("project_id", kwargs["search_opts"])
        self.assertEqual(kwargs["search_opts"]["marker"], "m")
        self.assertEqual(kwargs["sort_dirs"][0], "asc")

    @mock.patch.object(api.nova_client, "for_feature")
    def test_more_data_when_page_overflows(self, for_feature):
        for_feature.return_value = self._client(data.servers(21))
        servers, more, prev = api.nova.desktop_list_paged(contexts.user_context(), 20,
                                                          marker="m")
        self.assertEqual((len(servers), more, prev), (20, True, True))

    @mock.patch.object(api.nova_client, "for_feature")
    def test_bad_marker_raises_invalid_marker(self, for_feature):
        client = for_feature.return_value = mock.Mock()
        client.servers.list.side_effect = nova_exc.BadRequest(400, "marker [x] not found")
        with self.assertRaises(api.nova.InvalidMarker):
            api.nova.desktop_list_paged(contexts.user_context(), 20, marker="x")

    @mock.patch.object(api.nova_client, "for_feature")
    def test_desktop_get_is_a_tagged_server_of_the_users_project(self, for_feature):
        ctx = contexts.user_context()
        client = for_feature.return_value = mock.Mock()
        mine = data.server(project_id=ctx.project_id)
        client.servers.get.return_value = mine
        self.assertIs(api.nova.desktop_get(ctx, mine.id), mine)
        for other in (data.server(project_id=ctx.project_id, tags=()),
                      data.server(project_id=data.OTHER_PROJECT_ID)):
            client.servers.get.return_value = other
            with self.assertRaises(api.nova.NotFound):
                api.nova.desktop_get(ctx, other.id)
        # the reconciler's operator context acts on every project (tag still checked)
        client.servers.get.return_value = other
        self.assertIs(api.nova.desktop_get(contexts.operator_context(), other.id), other)

    @mock.patch.object(api.nova_client, "for_feature")
    def test_actions_check_the_desktop_first(self, for_feature):
        ctx = contexts.user_context()
        client = for_feature.return_value = mock.Mock()
        foreign = data.server(project_id=data.OTHER_PROJECT_ID)
        client.servers.get.return_value = foreign
        for call in (api.nova.desktop_stop, api.nova.desktop_start, api.nova.desktop_shelve,
                     api.nova.desktop_unshelve, api.nova.desktop_reboot):
            with self.assertRaises(api.nova.NotFound):
                call(ctx, foreign.id)
        with self.assertRaises(api.nova.NotFound):
            api.nova.desktop_rename(ctx, foreign.id, "x")
        for name in ("stop", "start", "shelve", "unshelve", "reboot", "update"):
            getattr(client.servers, name).assert_not_called()
        mine = client.servers.get.return_value = data.server(project_id=ctx.project_id)
        api.nova.desktop_reboot(ctx, mine.id, hard=True)
        client.servers.reboot.assert_called_once_with(mine.id, "HARD")
