"""Actions on one desktop: the table's batch actions POSTed to the list URL (as
Horizon's detail page does, whatever page of the list the desktop is on), each through
services.desktop_actions (one nova GET: tag, project and the user's level checked, then
the unchecked nova call), Delete (services.revocation), and the Extend and Rename modals
(the URL names the desktop)."""

import datetime
from unittest import mock

from django.urls import reverse
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import lifetimes
from heps_desktop_dashboard.services import revocation
from test_data import desktops_data as data
from test_data.contexts import IsUserContext

INDEX_URL = reverse("horizon:project:desktops:index")
LIST = {api.nova: ["desktop_list_paged", "desktop_get"], api.glance: ["images_by_id"]}


def _with(extra):
    return {**LIST, api.nova: LIST[api.nova] + extra}


def _messages(res):
    return [str(m) for m in res.wsgi_request._messages]


class DesktopActionTests(test.TestCase):
    def _user(self):
        return IsUserContext(project_id=self.tenant.id, user_id=self.user.id)

    def _post(self, action, server, listing=None):
        self.mock_desktop_list_paged.return_value = (
            [server] if listing is None else listing, False, False)
        self.mock_images_by_id.return_value = {}
        return self.client.post(INDEX_URL, {"action": f"desktops__{action}__{server.id}"})

    @test.create_mocks(_with(["server_stop"]))
    def test_stop(self):
        server = data.server()
        self.mock_desktop_get.return_value = server
        res = self._post("stop", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_server_stop.assert_called_once_with(self._user(), server.id)
        # on the page: the service's one GET (level checked on nova's answer)
        self.mock_desktop_get.assert_called_once_with(self._user(), server.id)

    @test.create_mocks(_with(["server_shelve"]))
    def test_shelve_says_gpu_is_released(self):
        server = data.server()
        self.mock_desktop_get.return_value = server
        res = self._post("shelve", server)
        self.mock_server_shelve.assert_called_once_with(self._user(), server.id)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertTrue(any("GPU released" in m for m in _messages(res)), _messages(res))

    @test.create_mocks(_with(["server_start"]))
    def test_action_not_allowed_in_state_is_not_run(self):
        server = data.server(status="ACTIVE")
        res = self._post("start", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_server_start.assert_not_called()
        self.assertMessageCount(error=1)

    @test.create_mocks(_with(["server_stop", "server_reboot"]))
    def test_detail_page_action_on_a_desktop_beyond_the_first_page(self):
        server = data.server(name="page-three")
        self.mock_desktop_get.return_value = server
        res = self._post("stop", server, listing=data.servers(3))
        self.assertRedirectsNoFollow(res, INDEX_URL)
        # the table's lookup of the posted id, then the service's own check
        self.assertEqual(self.mock_desktop_get.call_args_list,
                         [mock.call(self._user(), server.id)] * 2)
        self.mock_server_stop.assert_called_once_with(self._user(), server.id)
        self.assertTrue(any("page-three" in m for m in _messages(res)), _messages(res))
        # a detail-only action too (list rows never offer it)
        self._post("hard_reboot", server, listing=data.servers(3))
        self.mock_server_reboot.assert_called_once_with(self._user(), server.id, hard=True)

    @test.create_mocks(_with(["server_reboot"]))
    def test_detail_only_action_on_a_desktop_of_the_first_page(self):
        # The detail page posts to the list URL: the desktop may well be on its first page.
        server = data.server()
        self.mock_desktop_get.return_value = server
        res = self._post("soft_reboot", server, listing=[server] + data.servers(2))
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_server_reboot.assert_called_once_with(self._user(), server.id, hard=False)

    @test.create_mocks(_with(["server_stop", "server_reboot"]))
    def test_posted_id_of_another_projects_desktop_is_refused(self):
        foreign = data.server(name="foreign", project_id=data.OTHER_PROJECT_ID)
        self.mock_desktop_get.side_effect = nova_exc.NotFound(404, "not in this project")
        for action in ("stop", "soft_reboot"):
            res = self._post(action, foreign, listing=data.servers(2))
            self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_server_stop.assert_not_called()
        self.mock_server_reboot.assert_not_called()
        self.assertEqual(self.mock_desktop_get.call_args_list,
                         [mock.call(self._user(), foreign.id)] * 2)
        self.assertMessageCount(error=2)
        self.assertFalse([m for m in _messages(res) if "foreign" in m])

    @test.create_mocks(_with(["server_set_metadata", "server_delete", "supports"]))
    @mock.patch.object(api.manila, "experiment_shares", return_value=[])
    def test_delete_revokes_then_deletes(self, experiment_shares):
        server = data.server()
        self.mock_desktop_get.return_value = server
        self.mock_supports.return_value = False
        res = self._post("delete", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        # the owner checked (services.desktop_actions), then revocation's own read
        self.assertEqual(self.mock_desktop_get.call_args_list,
                         [mock.call(self._user(), server.id)] * 2)
        self.assertEqual(list(self.mock_server_set_metadata.call_args.args[2]),
                         ["heps:revoking"])
        self.mock_server_delete.assert_called_once_with(self._user(), server.id)
        experiment_shares.assert_called_with(self._user(), server.tenant_id)
        self.assertMessageCount(success=1)

    @test.create_mocks(_with(["server_set_metadata", "server_delete", "supports"]))
    @mock.patch.object(api.manila, "experiment_shares", return_value=[])
    def test_delete_error_becomes_message(self, experiment_shares):
        server = data.server()
        self.mock_desktop_get.return_value = server
        self.mock_supports.return_value = False
        self.mock_server_delete.side_effect = nova_exc.Conflict(409, "locked")
        res = self._post("delete", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertMessageCount(error=1)

    @test.create_mocks(LIST)
    def test_delete_refused_or_with_manila_down(self):
        server = data.server(name="kept")
        self.mock_desktop_get.return_value = server
        failed = revocation.RevocationFailed(server, revocation.RevokeReport(
            failed=[("share-1", "boom")]))
        with mock.patch.object(revocation, "delete_desktop", side_effect=failed) as delete:
            res = self._post("delete", server)
        delete.assert_called_once_with(self._user(), server.id)
        self.assertTrue(any('"kept" was not deleted' in m for m in _messages(res)))
        down = revocation.RevokeReport(manila_down=True)
        with mock.patch.object(revocation, "delete_desktop", return_value=down):
            res = self._post("delete", server)
        self.assertTrue(any("Manila did not answer" in m for m in _messages(res)))

    @test.create_mocks(LIST)
    def test_unshelve_offered_only_when_shelved(self):
        server = data.server(status="SHELVED_OFFLOADED")
        self.mock_desktop_list_paged.return_value = ([server], False, False)
        self.mock_images_by_id.return_value = {}
        res = self.client.get(INDEX_URL)
        self.assertContains(res, f"desktops__unshelve__{server.id}")
        self.assertNotContains(res, f"desktops__stop__{server.id}")
        self.assertContains(res, "Shelved — GPU released")


class ExtendRenameTests(test.TestCase):
    EXTEND = {api.nova: ["desktop_get", "server_set_metadata"]}

    def _user(self):
        return IsUserContext(project_id=self.tenant.id, user_id=self.user.id)

    def _extend(self, server, **body):
        self.mock_desktop_get.return_value = server
        url = reverse("horizon:project:desktops:extend", args=[server.id])
        return self.client.post(url, body)

    def _written(self, server):
        """The expiry written, after checking it is a valid token for ``server``."""
        self.mock_server_set_metadata.assert_called_once()
        ctx, server_id, metadata = self.mock_server_set_metadata.call_args.args
        self.assertEqual((ctx, server_id), (self._user(), server.id))
        self.assertEqual(set(metadata), {"heps:expires_at", "heps:expires_sig"})
        server.metadata.update(metadata)
        info = desktops.read_desktop(server, conf.lifetime_policy())
        self.assertEqual(info.expiry_problem, "")
        self.assertEqual(info.expires_at, desktops.parse_expiry(metadata["heps:expires_at"]))
        return info.expires_at

    @test.create_mocks(EXTEND)
    def test_extend_from_current_expiry_writes_a_signed_expiry(self):
        server = data.server(expires_at=data.in_hours(2))
        current = desktops.parse_expiry(server.metadata["heps:expires_at"])
        res = self._extend(server, hours=24)
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, reverse("horizon:project:desktops:index"))
        self.assertEqual(self._written(server), current + datetime.timedelta(hours=24))

    @test.create_mocks(EXTEND)
    def test_extend_takes_the_desktop_from_the_url_only(self):
        server = data.server(expires_at=data.in_hours(2))
        other = data.server(name="other", expires_at=data.in_hours(2))
        res = self._extend(server, hours=24, desktop_id=other.id)
        self.assertNoFormErrors(res)
        self.assertTrue(self.mock_desktop_get.call_args_list)
        for call in self.mock_desktop_get.call_args_list:
            self.assertEqual(call.args, (self._user(), server.id))
        self._written(server)

    @test.create_mocks(EXTEND)
    def test_extend_goes_through_the_lifetimes_service(self):
        server = data.server(expires_at=data.in_hours(2))
        new = desktops.utcnow() + datetime.timedelta(hours=26)
        with mock.patch.object(lifetimes, "extend", return_value=new) as extend:
            res = self._extend(server, hours=24, desktop_id=data.server().id)
        self.assertNoFormErrors(res)
        extend.assert_called_once_with(self._user(), server.id, 24)
        messages = _messages(res)
        self.assertTrue(any(desktops.format_expiry(new) in m for m in messages), messages)

    @test.create_mocks(EXTEND)
    def test_a_forged_expiry_cannot_be_extended_from(self):
        # heps:expires_at claims 2099 without a token: extended from the fallback instead
        created = desktops.format_expiry(desktops.utcnow())
        server = data.server(created=created,
                             metadata={"heps:expires_at": "2099-01-01T00:00:00Z"})
        self.assertNoFormErrors(self._extend(server, hours=24))
        # the fallback (creation + the default 24 h) + 24 h
        self.assertEqual(self._written(server),
                         desktops.parse_expiry(created) + datetime.timedelta(hours=48))

    @test.create_mocks(EXTEND)
    def test_extend_beyond_maximum_is_a_form_error(self):
        server = data.server(expires_at=data.in_hours(2))
        for hours in (0, -3, 100000, "abc"):
            res = self._extend(server, hours=hours)
            self.assertEqual(res.status_code, 200)
            self.assertFormErrors(res, 1)
        self.mock_server_set_metadata.assert_not_called()

    @test.create_mocks(EXTEND)
    def test_extend_capped_at_maximum_from_now(self):
        server = data.server(expires_at=data.in_hours(160))
        self._extend(server, hours=48)
        cap = desktops.utcnow() + datetime.timedelta(hours=168)
        self.assertLessEqual(self._written(server), cap)

    @test.create_mocks(EXTEND)
    def test_extend_failure_is_a_message(self):
        server = data.server(expires_at=data.in_hours(2))
        self.mock_server_set_metadata.side_effect = nova_exc.Conflict(409, "task running")
        res = self._extend(server, hours=24)
        self.assertEqual(res.status_code, 200)
        self.assertMessageCount(res, error=1)
        self.assertTrue(_messages(res)[0].startswith("Unable to extend the desktop."))

    @test.create_mocks({api.nova: ["desktop_get"]})
    def test_extend_page_of_foreign_server_redirects(self):
        self.mock_desktop_get.side_effect = nova_exc.NotFound(404, "no")
        url = reverse("horizon:project:desktops:extend", args=[data.server().id])
        res = self.client.get(url)
        self.assertRedirectsNoFollow(res, reverse("horizon:project:desktops:index"))

    @test.create_mocks({api.nova: ["desktop_get", "server_rename"]})
    def test_rename_validates_and_escapes(self):
        server, other = data.server(), data.server(name="other")
        self.mock_desktop_get.return_value = server
        url = reverse("horizon:project:desktops:rename", args=[server.id])
        res = self.client.get(url)
        self.assertEqual(res.context["form"].initial["name"], server.name)
        res = self.client.post(url, {"name": "   "})
        self.assertFormErrors(res, 1)
        res = self.client.post(url, {"name": "x" * 300})
        self.assertFormErrors(res, 1)
        res = self.client.post(url, {"desktop_id": other.id, "name": "<b>Ω 桌面</b>"})
        self.assertNoFormErrors(res)
        self.mock_server_rename.assert_called_once_with(self._user(), server.id,
                                                        "<b>Ω 桌面</b>")
