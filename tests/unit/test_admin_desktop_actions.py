"""Admin › Desktops actions: batch actions on any project's desktop (re-read, audited),
Delete through services/revocation.revoke_then_delete, the admin's Extend past the users'
maximum with a reason (signed expiry, audit event), the detail page, and the admin-only
api reads refusing a non-admin context."""

import datetime
import json
from unittest import mock

from django.core.cache import cache
from django.urls import reverse
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import fleet
from heps_desktop_dashboard.services import revocation
from test_data import contexts
from test_data import desktops_data as data
from test_data.contexts import IsUserContext

URL = reverse("horizon:admin:desktops:index")
LIST = {api.nova_admin: ["desktop_page_all_projects", "desktop_get_any_project"],
        api.identity_names: ["project_names", "user_names"],
        api.glance: ["images_by_id"],
        api.nova_flavors: ["profile_list_with_specs"]}
OTHER = data.OTHER_PROJECT_ID
AUDIT = "heps_desktops.audit"


def _with(**extra):
    mocks = dict(LIST)
    for module, names in extra.items():
        mocks[getattr(api, module)] = names
    return mocks


def _events(logs):
    return [json.loads(record.getMessage()) for record in logs.records]


class AdminActionBase(test.BaseAdminViewTests):
    def setUp(self):
        super().setUp()
        cache.clear()

    def _page(self, servers):
        self.mock_desktop_page_all_projects.return_value = (servers, False, False)
        self.mock_project_names.return_value = {OTHER: "experiment-b"}
        self.mock_user_names.return_value = {}
        self.mock_images_by_id.return_value = {}
        self.mock_profile_list_with_specs.return_value = []

    def _messages(self, res):
        return [str(m) for m in res.wsgi_request._messages]


class BatchActionTests(AdminActionBase):
    @test.create_mocks(_with(nova=["server_shelve"]))
    def test_shelve_a_selection_across_projects(self):
        mine, theirs = data.server(name="a"), data.server(name="b", project_id=OTHER,
                                                          status="SHUTOFF")
        self._page([mine, theirs])
        self.mock_desktop_get_any_project.side_effect = \
            lambda ctx, server_id: {mine.id: mine, theirs.id: theirs}[server_id]
        with self.assertLogs(AUDIT, "INFO") as logs:
            res = self.client.post(URL, {"action": "fleet__shelve",
                                         "object_ids": [mine.id, theirs.id]})
        self.assertRedirectsNoFollow(res, URL)
        self.assertEqual(sorted(c.args[1] for c in self.mock_server_shelve.call_args_list),
                         sorted([mine.id, theirs.id]))
        events = _events(logs)
        self.assertEqual({e["action"] for e in events}, {"desktop.shelve"})
        self.assertEqual({e["project_id"] for e in events}, {data.PROJECT_ID, OTHER})
        self.assertTrue(all(e["admin"] and e["result"] == "ok" for e in events))
        self.assertTrue(any("GPUs released" in m for m in self._messages(res)))

    @test.create_mocks(_with(nova=["server_stop"]))
    def test_action_on_a_desktop_beyond_the_page_is_read_from_nova(self):
        elsewhere = data.server(name="far", project_id=OTHER)
        self._page([])
        self.mock_desktop_get_any_project.return_value = elsewhere
        res = self.client.post(URL, {"action": f"fleet__stop__{elsewhere.id}"})
        self.assertRedirectsNoFollow(res, URL)
        self.mock_server_stop.assert_called_once_with(IsUserContext(), elsewhere.id)

    @test.create_mocks(_with(nova=["server_stop"]))
    def test_a_posted_server_that_is_not_a_desktop_is_refused(self):
        self._page([])
        self.mock_desktop_get_any_project.side_effect = nova_exc.NotFound(404, "no")
        res = self.client.post(URL, {"action": "fleet__stop__"
                                               "5e1f0000-0000-4000-8000-000000000009"})
        self.assertEqual(res.status_code, 302)
        self.mock_server_stop.assert_not_called()

    @test.create_mocks(_with(nova=["server_start"]))
    def test_action_not_allowed_in_the_state_is_not_run(self):
        running = data.server(status="ACTIVE")
        self._page([running])
        self.client.post(URL, {"action": f"fleet__start__{running.id}"})
        self.mock_server_start.assert_not_called()

    @test.create_mocks(LIST)
    def test_delete_revokes_then_deletes(self):
        theirs = data.server(name="b", project_id=OTHER)
        self._page([theirs])
        self.mock_desktop_get_any_project.return_value = theirs
        with mock.patch.object(revocation, "revoke_then_delete",
                               return_value=revocation.RevokeReport()) as delete:
            res = self.client.post(URL, {"action": "fleet__delete",
                                         "object_ids": [theirs.id]})
        self.assertRedirectsNoFollow(res, URL)
        delete.assert_called_once_with(IsUserContext(), theirs)

    @test.create_mocks(LIST)
    def test_delete_with_manila_down_warns(self):
        theirs = data.server(name="b", project_id=OTHER)
        self._page([theirs])
        self.mock_desktop_get_any_project.return_value = theirs
        with mock.patch.object(revocation, "revoke_then_delete",
                               return_value=revocation.RevokeReport(manila_down=True)):
            res = self.client.post(URL, {"action": f"fleet__delete__{theirs.id}"})
        self.assertEqual(res.status_code, 302)
        self.assertTrue(any("reconciler" in m for m in self._messages(res)),
                        self._messages(res))


class ExtendTests(AdminActionBase):
    def _url(self, server):
        return reverse("horizon:admin:desktops:extend", args=[server.id])

    def _soon(self):
        return data.server(name="beamtime", project_id=OTHER, expires_at=data.in_hours(2))

    @test.create_mocks(_with(nova=["server_set_metadata"]))
    def test_extend_past_the_users_maximum_with_a_reason(self):
        server = self._soon()
        self.mock_desktop_get_any_project.return_value = server
        self.mock_project_names.return_value = {OTHER: "experiment-b"}
        self.mock_user_names.return_value = {}
        res = self.client.get(self._url(server))
        self.assertContains(res, "beamtime")
        self.assertContains(res, "experiment-b")
        before = desktops.read_desktop(server, conf.lifetime_policy()).expires_at
        with self.assertLogs(AUDIT, "INFO") as logs:
            res = self.client.post(self._url(server),
                                   {"hours": 500, "reason": "beamtime overrun, INC-42"})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, URL)
        ctx, server_id, metadata = self.mock_server_set_metadata.call_args.args
        self.assertEqual((ctx, server_id), (IsUserContext(), server.id))
        server.metadata.update(metadata)
        after = desktops.read_desktop(server, conf.lifetime_policy())
        self.assertEqual(after.expiry_problem, "")  # signed: the plugin believes it
        self.assertEqual(after.expires_at, before + datetime.timedelta(hours=500))
        event, = _events(logs)
        self.assertEqual((event["action"], event["result"], event["reason"]),
                         ("desktop.extend", "ok", "beamtime overrun, INC-42"))
        self.assertTrue(event["beyond_user_maximum"])
        self.assertEqual(event["project_id"], OTHER)

    @test.create_mocks(_with(nova=["server_set_metadata"]))
    def test_a_reason_is_required_and_hours_are_bounded(self):
        server = self._soon()
        self.mock_desktop_get_any_project.return_value = server
        self.mock_project_names.return_value = {}
        self.mock_user_names.return_value = {}
        for post in ({"hours": 5, "reason": ""}, {"hours": 5, "reason": "  x "},
                     {"hours": fleet.ADMIN_MAX_HOURS + 1, "reason": "long enough"},
                     {"hours": 0, "reason": "long enough"}):
            res = self.client.post(self._url(server), post)
            self.assertEqual(res.status_code, 200, post)
            self.assertFormErrors(res, 1)
        self.mock_server_set_metadata.assert_not_called()

    @test.create_mocks(LIST)
    def test_extend_of_a_server_that_is_not_a_desktop_redirects(self):
        self.mock_desktop_get_any_project.side_effect = nova_exc.NotFound(404, "no")
        self.mock_project_names.return_value = {}
        self.mock_user_names.return_value = {}
        res = self.client.get(reverse("horizon:admin:desktops:extend",
                                      args=["5e1f0000-0000-4000-8000-000000000009"]))
        self.assertRedirectsNoFollow(res, URL)


class DetailTests(AdminActionBase):
    @test.create_mocks(LIST)
    def test_detail_page_shows_names_and_actions(self):
        server = data.server(name="<b>far</b>", project_id=OTHER, status="SHUTOFF")
        self.mock_desktop_get_any_project.return_value = server
        self.mock_project_names.return_value = {OTHER: "experiment-b"}
        self.mock_user_names.return_value = {data.USER_ID: "alice"}
        self.mock_images_by_id.return_value = {data.IMAGE_IMAGING: data.image()}
        res = self.client.get(reverse("horizon:admin:desktops:detail", args=[server.id]))
        self.assertEqual(res.status_code, 200)
        self.assertEqual(self.mock_images_by_id.call_args.args[1], {data.IMAGE_IMAGING})
        for text in ("experiment-b", "alice", "&lt;b&gt;far&lt;/b&gt;", "Extend (admin)",
                     "<dd>HEPS Imaging 2026.2</dd>",
                     "Hard Reboot Desktop", "<dd>Stopped</dd>",
                     reverse("horizon:admin:instances:detail", args=[server.id])):
            self.assertContains(res, text)
        self.assertNotContains(res, "<b>far</b>")


class AdminReadsRefuseNonAdmins(test.TestCase):
    def test_fleet_actions_need_an_admin_context(self):
        member = contexts.user_context(is_admin=False)
        with mock.patch.object(api.nova_client, "for_feature") as client, \
                mock.patch.object(api.nova, "server_shelve") as shelve:
            for call in (lambda: fleet.shelve(member, "x"),
                         lambda: fleet.page(member, 20),
                         lambda: list(api.nova_admin.desktops_all_projects(member))):
                with self.assertRaises(api.nova_admin.NotAdmin):
                    with mock.patch.object(api.identity_names, "project_names"), \
                            mock.patch.object(api.identity_names, "user_names"), \
                            mock.patch.object(fleet, "profile_catalog", return_value=[]):
                        call()
        client.assert_not_called()
        shelve.assert_not_called()


class AdminDeleteRevokesInTheDesktopsProject(test.TestCase):
    def test_an_admin_reads_the_desktops_projects_shares(self):
        admin = contexts.user_context(project_id="admin-project", is_admin=True)
        with mock.patch.object(api.manila, "share_list", return_value=[]) as shares:
            api.manila.experiment_shares(admin, OTHER)
            api.manila.experiment_shares(admin)
            member = contexts.user_context(project_id=OTHER)
            api.manila.experiment_shares(member, OTHER)
        self.assertEqual([c.args[1] for c in shares.call_args_list],
                         [{"all_tenants": 1, "project_id": OTHER}, {}, {}])
