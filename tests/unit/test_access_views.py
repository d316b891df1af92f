"""Private desktops in the panel: another member of the project sees a colleague's
desktop in the list (greyed, the owner named) and is refused on every desktop URL and
action, GET and hand-made POST alike, with a message and no change; grantees get what
their grant says."""

from unittest import mock

from django.core.cache import cache
from django.test.utils import override_settings
from django.urls import reverse
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import grants
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import lifetimes
from heps_desktop_dashboard.services import results_export
from heps_desktop_dashboard.services import revocation
from test_data import desktops_data as data

INDEX = reverse("horizon:project:desktops:index")
MODALS = ("extend", "rename", "attach_experiment", "snapshot_results", "share_from_snapshot",
          "save_image", "share", "support_console")
BATCH = ("start", "stop", "shelve", "unshelve", "soft_reboot", "hard_reboot", "delete",
         "detach_experiment")
# Everything in api/ that changes something, and the services that do.
NOVA_WRITES = ("desktop_start", "desktop_stop", "desktop_reboot", "desktop_shelve",
               "desktop_unshelve", "desktop_rename", "server_delete", "server_stop",
               "server_start", "server_shelve", "server_unshelve", "server_reboot",
               "server_rename", "server_set_metadata", "server_delete_metadata",
               "server_create_image", "share_attach", "share_detach",
               "spice_direct_console_url")
SERVICE_WRITES = ((lifetimes, "extend"), (revocation, "delete_desktop"),
                  (data_attach, "attach"), (data_attach, "detach"),
                  (results_export, "save_as_image"), (results_export, "snapshot_results"),
                  (results_export, "share_from_snapshot"))
POST_BODY = {"hours": 5, "name": "x", "grantee": data.USER_ID, "level": "control",
             "reason": "curious", "experiment": "2026-0142", "raw_access": "ro",
             "results_access": "rw", "confirm_restart": "on", "user_id": data.USER_ID,
             "snapshot": "snap-1", "description": ""}


def grant_for(server, level, user_id=data.USER_ID):
    return {grants.grant_key(user_id): grants.grant_value(conf.signing_key(), server.id,
                                                          user_id, level)}


class _Base(test.TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        self.patches = [mock.patch.object(api.nova, name, side_effect=AssertionError(name))
                        for name in NOVA_WRITES]
        self.patches += [mock.patch.object(module, name, side_effect=AssertionError(name))
                         for module, name in SERVICE_WRITES]
        self.patches.append(mock.patch.object(
            api.keystone, "project_members", side_effect=api.keystone.Forbidden()))
        for patch in self.patches:
            patch.start()
        self.addCleanup(mock.patch.stopall)

    def _serve(self, server):
        get = mock.patch.object(api.nova, "desktop_get", return_value=server).start()
        mock.patch.object(api.nova, "desktop_list_paged",
                          return_value=([server], False, False)).start()
        mock.patch.object(api.glance, "images_by_id", return_value={}).start()
        mock.patch.object(api.nova, "supports", return_value=True).start()
        return get

    def _messages(self, res):
        return [str(m) for m in res.wsgi_request._messages]


@override_settings(HEPS_DESKTOPS={"spice_direct_proxy": {"host": "spice.example",
                                                          "port": 5900}})
class AnotherMembersDesktopTests(_Base):
    def setUp(self):
        super().setUp()
        self.server = data.server(name="colleagues-desktop", user_id=data.OTHER_USER_ID)
        self.get = self._serve(self.server)

    def _urls(self):
        """(url, methods): the detail page and .vv are GET only, revoke POST only
        (other methods get 405 from Django, before anything is read)."""
        desktop = self.server.id
        detail = reverse("horizon:project:desktops:detail", args=[desktop])
        yield detail, ("get",)
        yield detail + "?tab=desktop_details__console", ("get",)
        yield detail + "?tab=desktop_details__log", ("get",)
        yield reverse("horizon:project:desktops:console_vv", args=[desktop]), ("get",)
        yield reverse("horizon:project:desktops:unshare", args=[desktop]), ("post",)
        for name in MODALS:
            yield reverse(f"horizon:project:desktops:{name}", args=[desktop]), ("get", "post")

    def test_every_desktop_url_refuses_get_and_post_with_a_message(self):
        for url, methods in self._urls():
            for method in methods:
                response = getattr(self.client, method)(url, POST_BODY)
                self.assertEqual(response.status_code, 302, f"{method} {url}")
                self.assertEqual(response["Location"], INDEX, f"{method} {url}")
                messages = self._messages(response)
                self.assertTrue(any("someone else" in m for m in messages),
                                f"{method} {url}: {messages}")

    def test_every_action_posted_by_hand_is_refused(self):
        for action in BATCH:
            response = self.client.post(INDEX, {
                "action": f"desktops__{action}__{self.server.id}"})
            self.assertEqual(response.status_code, 302, action)
            self.assertTrue(self._messages(response), action)
        # also as a batch (the checkbox form)
        response = self.client.post(INDEX, {"action": "desktops__stop",
                                            "object_ids": [self.server.id]})
        self.assertEqual(response.status_code, 302)

    def test_the_list_shows_it_greyed_with_the_owner_and_no_action(self):
        response = self.client.get(INDEX)
        row = response.context["table"].data[0]
        self.assertEqual(row.access, "none")
        html = response.content.decode()
        self.assertIn("heps-foreign-desktop", html)
        self.assertIn("someone else&#x27;s desktop", html)
        self.assertIn(data.OTHER_USER_ID, html)
        self.assertNotIn(reverse("horizon:project:desktops:detail", args=[self.server.id]),
                         html)
        for action in BATCH + ("console", "extend"):
            self.assertNotIn(f"desktops__{action}__{self.server.id}", html)

    def test_owner_names_come_from_keystone_where_it_lets_the_user_list_them(self):
        with mock.patch.object(api.keystone, "project_members",
                               return_value={data.OTHER_USER_ID: "carol"}) as members:
            response = self.client.get(INDEX)
            self.client.get(INDEX)  # cached: keystone asked once
        self.assertContains(response, "carol")
        members.assert_called_once()

    def test_a_forged_grant_changes_nothing(self):
        self.server.metadata[grants.grant_key(data.USER_ID)] = "v1 control " + "f" * 64
        response = self.client.post(INDEX, {"action": f"desktops__stop__{self.server.id}"})
        self.assertEqual(response.status_code, 302)
        detail = reverse("horizon:project:desktops:detail", args=[self.server.id])
        self.assertEqual(self.client.get(detail)["Location"], INDEX)


class GranteeTests(_Base):
    def _desktop(self, level):
        server = data.server(name="shared-desktop", user_id=data.OTHER_USER_ID)
        server.metadata.update(grant_for(server, level))
        return server, self._serve(server)

    def test_a_view_grantee_sees_the_page_but_may_not_act(self):
        server, _get = self._desktop("view")
        detail = reverse("horizon:project:desktops:detail", args=[server.id])
        response = self.client.get(detail)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Shared with you: view only")
        actions = response.context["actions"]
        for action in ("stop", "delete", "extend", "share", "rename"):
            self.assertNotIn(f"desktops__{action}__{server.id}", actions)
        self.assertNotContains(response, "Sharing")
        response = self.client.post(INDEX, {"action": f"desktops__stop__{server.id}"})
        self.assertTrue(self._messages(response))
        extend = reverse("horizon:project:desktops:extend", args=[server.id])
        self.assertEqual(self.client.post(extend, POST_BODY)["Location"], INDEX)

    def test_a_control_grantee_stops_but_may_not_delete_or_share(self):
        server, _get = self._desktop("control")
        mock.patch.object(api.nova, "server_stop").start()
        response = self.client.post(INDEX, {"action": f"desktops__stop__{server.id}"})
        self.assertEqual(response.status_code, 302)
        api.nova.server_stop.assert_called_once()
        self.client.post(INDEX, {"action": f"desktops__delete__{server.id}"})
        share = reverse("horizon:project:desktops:share", args=[server.id])
        self.assertEqual(self.client.post(share, POST_BODY)["Location"], INDEX)
        self.assertEqual(self.client.get(INDEX).context["table"].data[0].access, "control")
