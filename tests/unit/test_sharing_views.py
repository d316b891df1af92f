"""Share Desktop, Revoke, the support staff's reason and the console each level gets:
the owner's full console, a view grantee's noVNC with ``view_only=1``, support after a
reason (the owner sees who, when and why)."""

import datetime
from unittest import mock

from django.core.cache import cache
from django.test.utils import override_settings
from django.urls import reverse
from openstack_dashboard.dashboards.project.instances import console as horizon_console
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import grants
from test_data import desktops_data as data
from test_data.contexts import IsUserContext

VNC_URL = "http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3Dsecret"
SPICE_URL = "http://127.0.0.1:6082/spice_auto.html?token=secret"
AJAX = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
SUPPORT = {"support_role": "member"}  # Horizon's test user holds "member"
MEMBER = "c0ffee00c0ffee00c0ffee00c0ffee00"


def consoles(vnc=VNC_URL, spice=SPICE_URL):
    def call(url):
        fake = mock.Mock(name="console call")
        if url is None:
            fake.side_effect = api.nova.NotFound(404, "no console")
        else:
            fake.return_value = mock.Mock(url=url)
        return fake
    return {"VNC": call(vnc), "SPICE": call(spice), "RDP": call(None),
            "SERIAL": call(None), "MKS": call(None)}


def granted(server, level, user_id=data.USER_ID):
    server.metadata[grants.grant_key(user_id)] = grants.grant_value(
        conf.signing_key(), server.id, user_id, level)
    return server


class _Base(test.TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        mock.patch.object(api.glance, "images_by_id", return_value={}).start()
        mock.patch.object(api.nova, "supports", return_value=False).start()
        self.members = mock.patch.object(api.keystone, "project_members",
                                         side_effect=api.keystone.Forbidden()).start()
        self.set_metadata = mock.patch.object(api.nova, "server_set_metadata").start()
        self.delete_metadata = mock.patch.object(api.nova, "server_delete_metadata").start()
        self.addCleanup(mock.patch.stopall)

    def _serve(self, server):
        mock.patch.object(api.nova, "desktop_get", return_value=server).start()
        return server

    def _console(self, server, vnc=VNC_URL, spice=SPICE_URL):
        self._serve(server)
        url = reverse("horizon:project:desktops:detail", args=[server.id])
        with mock.patch.dict(horizon_console.CONSOLES, consoles(vnc, spice)):
            return self.client.get(url + "?tab=desktop_details__console", **AJAX)

    def _messages(self, res):
        return [str(m) for m in res.wsgi_request._messages]


class ShareTests(_Base):
    def _share(self, server, **body):
        self._serve(server)
        return self.client.post(reverse("horizon:project:desktops:share", args=[server.id]),
                                body)

    def test_the_owner_shares_with_a_member_keystone_names(self):
        self.members.side_effect = None
        self.members.return_value = {data.USER_ID: "test_user", MEMBER: "carol"}
        server = data.server()
        url = reverse("horizon:project:desktops:share", args=[server.id])
        self._serve(server)
        form = self.client.get(url).context["form"]
        self.assertEqual([c[0] for c in form.fields["grantee"].choices], [MEMBER])
        res = self._share(server, grantee=MEMBER, level="view")
        self.assertNoFormErrors(res)
        ctx, server_id, metadata = self.set_metadata.call_args.args
        self.assertEqual((ctx, server_id), (IsUserContext(user_id=data.USER_ID), server.id))
        self.assertEqual(grants.granted_level(conf.signing_key(), server.id, metadata,
                                              MEMBER), "view")

    def test_a_user_of_another_project_is_refused(self):
        self.members.side_effect = None
        self.members.return_value = {data.USER_ID: "test_user", MEMBER: "carol"}
        res = self._share(data.server(), grantee="b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0",
                          level="control")
        self.assertFormErrors(res, 1)
        self.assertContains(res, "Not a member of this project")
        self.set_metadata.assert_not_called()

    def test_unknown_member_list_asks_for_a_user_id(self):
        server = data.server()
        self._serve(server)
        res = self.client.get(reverse("horizon:project:desktops:share", args=[server.id]))
        self.assertContains(res, "Member&#x27;s user ID")
        res = self._share(server, grantee=MEMBER, level="control")
        self.assertNoFormErrors(res)
        self.assertEqual(list(self.set_metadata.call_args.args[2]), [f"heps:grant:{MEMBER}"])
        for bad in ("x y", "<script>", data.USER_ID):  # unusable id, the owner
            self.set_metadata.reset_mock()
            self._share(server, grantee=bad, level="view")
            self.set_metadata.assert_not_called()

    def test_the_owner_sees_grants_and_revokes_them(self):
        server = granted(data.server(), "view", MEMBER)
        server.metadata[grants.grant_key("f0f0")] = "v1 control forged"
        self._serve(server)
        detail = reverse("horizon:project:desktops:detail", args=[server.id])
        res = self.client.get(detail)
        self.assertContains(res, "Share Desktop")
        self.assertContains(res, MEMBER)
        self.assertContains(res, "not signed by the dashboard")
        res = self.client.post(reverse("horizon:project:desktops:unshare", args=[server.id]),
                               {"user_id": MEMBER})
        self.assertRedirectsNoFollow(res, detail)
        self.delete_metadata.assert_called_once_with(IsUserContext(), server.id,
                                                     [f"heps:grant:{MEMBER}"])

    def test_a_grantee_sees_the_desktop_not_greyed_with_the_level(self):
        server = granted(data.server(user_id=data.OTHER_USER_ID), "view")
        mock.patch.object(api.nova, "desktop_list_paged",
                          return_value=([server], False, False)).start()
        res = self.client.get(reverse("horizon:project:desktops:index"))
        self.assertNotContains(res, "heps-foreign-desktop")
        self.assertContains(res, reverse("horizon:project:desktops:detail",
                                         args=[server.id]))
        self.assertContains(res, "Shared with you: view only")


class ConsoleModeTests(_Base):
    def test_a_view_grantee_gets_novnc_view_only(self):
        server = granted(data.server(user_id=data.OTHER_USER_ID), "view")
        with self.assertLogs("heps_desktops.audit", "INFO") as audit:
            res = self._console(server)
        self.assertEqual(res.status_code, 200)
        self.assertIn("view_only=1", res.context["console_url"])
        self.assertEqual(res.context["protocols"], [])  # no switch to SPICE
        self.assertContains(res, "View only")
        self.assertIn('"mode": "view"', audit.output[0])
        self.assertIn('"action": "console.open"', audit.output[0])

    def test_the_owner_gets_input_explicitly(self):
        # noVNC remembers view_only from an earlier URL: the owner's says 0.
        res = self._console(data.server())
        self.assertIn("view_only=0", res.context["console_url"])

    def test_view_only_without_vnc_shows_a_message(self):
        server = granted(data.server(user_id=data.OTHER_USER_ID), "view")
        res = self._console(server, vnc=None)
        self.assertIsNone(res.context["console_url"])
        self.assertContains(res, "view-only console needs VNC")

    def test_someone_elses_console_is_refused(self):
        server = self._serve(data.server(user_id=data.OTHER_USER_ID))
        calls = consoles()
        with mock.patch.dict(horizon_console.CONSOLES, calls):
            res = self.client.get(reverse("horizon:project:desktops:detail",
                                          args=[server.id]) + "?tab=desktop_details__console")
        self.assertEqual(res.status_code, 302)
        calls["VNC"].assert_not_called()


@override_settings(HEPS_DESKTOPS=SUPPORT)
class SupportTests(_Base):
    def test_support_gives_a_reason_then_gets_the_console(self):
        server = self._serve(data.server(user_id=data.OTHER_USER_ID))
        res = self._console(server)
        self.assertIsNone(res.context["console_url"])
        self.assertContains(res, "Open as support")
        url = reverse("horizon:project:desktops:support_console", args=[server.id])
        res = self.client.post(url, {"reason": ""})
        self.assertFormErrors(res, 1)
        with self.assertLogs("heps_desktops.audit", "INFO") as audit:
            res = self.client.post(url, {"reason": "ticket HEPS-1234: screen frozen"})
        self.assertNoFormErrors(res)
        self.assertIn('"action": "console.support"', audit.output[0])
        _ctx, server_id, metadata = self.set_metadata.call_args.args
        server.metadata.update(metadata)
        res = self._console(server)
        self.assertIn("view_only=0", res.context["console_url"])
        self.assertContains(res, "ticket HEPS-1234")
        self.assertEqual(res.context["mode"], "support")

    def test_the_owner_sees_who_opened_it_when_and_why(self):
        server = data.server()
        when = desktops.parse_expiry("2026-11-29T08:15:00Z")
        for user_id, reason in (("s1", "ticket 7"), ("s2", "forged")):
            server.metadata[grants.support_key(user_id)] = grants.support_value(
                conf.signing_key(), server.id, user_id, when, reason)
        server.metadata[grants.support_key("s2")] += "x"
        self._serve(server)
        res = self.client.get(reverse("horizon:project:desktops:detail", args=[server.id]))
        self.assertContains(res, "ticket 7")
        self.assertContains(res, "2026-11-29 08:15")
        self.assertContains(res, "not recorded by the dashboard")

    def test_an_old_reason_opens_nothing(self):
        server = data.server(user_id=data.OTHER_USER_ID)
        old = desktops.utcnow() - datetime.timedelta(hours=2)
        server.metadata[grants.support_key(data.USER_ID)] = grants.support_value(
            conf.signing_key(), server.id, data.USER_ID, old, "yesterday's ticket")
        res = self._console(server)
        self.assertIsNone(res.context["console_url"])

    def test_support_may_not_act_on_the_desktop(self):
        server = self._serve(data.server(user_id=data.OTHER_USER_ID))
        stop = mock.patch.object(api.nova, "server_stop").start()
        mock.patch.object(api.nova, "desktop_list_paged",
                          return_value=([server], False, False)).start()
        res = self.client.post(reverse("horizon:project:desktops:index"),
                               {"action": f"desktops__stop__{server.id}"})
        self.assertEqual(res.status_code, 302)
        stop.assert_not_called()


class AjaxModalTests(_Base):
    """The modals as the browser opens them (ajax): Horizon renders the template named
    with a leading "_" for them; the full page otherwise."""

    def test_modals_render_as_ajax_and_as_pages(self):
        server = self._serve(data.server())
        mock.patch.object(api.manila, "experiment_shares", return_value=[]).start()
        for name, form_id in (("share", "share_desktop_form"),
                              ("save_image", "save_image_form"),
                              ("attach_experiment", "attach_experiment_form")):
            url = reverse(f"horizon:project:desktops:{name}", args=[server.id])
            res = self.client.get(url, **AJAX)
            self.assertEqual(res.status_code, 200, name)
            self.assertTemplateUsed(res, "heps_desktops/desktops/_experiment_modal.html")
            self.assertContains(res, form_id)
            res = self.client.get(url)
            self.assertTemplateUsed(res, "heps_desktops/desktops/experiment_modal.html")
