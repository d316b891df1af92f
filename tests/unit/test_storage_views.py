"""My storage and Boost in the panel (dashboards/project/desktops/storage/): the detail
tab, Create My Storage, Move My Storage here, Boost and End Boost, the list's "Boosted
until …", Cinder absent or down, someone else's desktop, with the api layer mocked."""

import datetime
import types
from unittest import mock

from django.urls import reverse
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import boost as boost_rules
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import profiles
from test_data import desktops_data as data
from test_data.contexts import IsUserContext

INDEX_URL = reverse("horizon:project:desktops:index")
CREATE_URL = reverse("horizon:project:desktops:create_storage")
AJAX = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
HOME = {"id": "vol-1", "name": "heps-home-test_user", "size": 10, "status": "in-use",
        "user_id": data.USER_ID, "created_at": "2026-11-29T05:00:00",
        "metadata": {names.VOLUME_META_KIND: names.VOLUME_KIND_HOME},
        "attachments": []}
BIG_SPECS = {"heps:profile": "true", "resources:CUSTOM_HEPS_GPU_A100": "1"}
BIG = profiles.profile_from_flavor("f-big", "heps.a100.full", 16, 65536, 80, BIG_SPECS)


def home(**kw):
    return {**HOME, **kw}


def boosted(server, state=boost_rules.BOOSTED):
    record = boost_rules.new_record("heps.vgpu.a16", "heps.a100.full",
                                    datetime.datetime(2026, 11, 29, 6, tzinfo=datetime.UTC),
                                    8).with_state(state, datetime.datetime(
                                        2026, 11, 29, 6, tzinfo=datetime.UTC))
    server.metadata.update(boost_rules.metadata(conf.signing_key(), server.id, record))
    return server


class _Base(test.TestCase):
    def setUp(self):
        super().setUp()
        patch = mock.patch.object
        patch(api.glance, "images_by_id", return_value={}).start()
        patch(api.nova, "supports", return_value=False).start()
        self.in_catalog = patch(api.cinder, "in_catalog", return_value=True).start()
        self.volumes = patch(api.cinder, "volume_list", return_value=[home()]).start()
        self.quota = patch(api.cinder, "quota_usage", return_value={
            "gigabytes": {"limit": 100, "in_use": 30, "reserved": 0},
            "volumes": {"limit": 10, "in_use": 2, "reserved": 0}}).start()
        self.create = patch(api.cinder, "volume_create").start()
        self.set_volume_meta = patch(api.cinder, "volume_set_metadata").start()
        self.attach = patch(api.nova_volumes, "volume_attach").start()
        self.detach = patch(api.nova_volumes, "volume_detach").start()
        self.resize = patch(api.nova_volumes, "server_resize").start()
        self.set_meta = patch(api.nova, "server_set_metadata").start()
        self.desktop_get = patch(api.nova, "desktop_get").start()
        self.listing = patch(api.nova, "desktop_list_paged").start()
        self.addCleanup(mock.patch.stopall)

    def ctx_match(self):
        return IsUserContext(project_id=self.tenant.id, user_id=self.user.id)

    def serve(self, server):
        self.desktop_get.return_value = server
        self.listing.return_value = ([server], False, False)
        return server

    def post_action(self, action, server):
        return self.client.post(INDEX_URL, {"action": f"desktops__{action}__{server.id}"})

    def messages(self, res):
        return [str(m) for m in res.wsgi_request._messages]

    def tab(self, server):
        url = reverse("horizon:project:desktops:detail", args=[server.id])
        return self.client.get(url + "?tab=desktop_details__my_storage", **AJAX)


class StorageTabTests(_Base):
    def test_the_tab_shows_size_quota_and_where_it_is_attached(self):
        server = self.serve(data.server())
        self.volumes.return_value = [home(attachments=[{"server_id": server.id}])]
        res = self.tab(server)
        self.assertContains(res, "heps-home-test_user")
        self.assertContains(res, "10 GB")
        self.assertContains(res, "this desktop")
        self.assertContains(res, "30 of 100 used")
        self.attach.assert_not_called()
        self.set_volume_meta.assert_not_called()

    def test_no_storage_yet_offers_the_create_button(self):
        server = self.serve(data.server())
        self.volumes.return_value = [home(user_id="someone-else")]
        res = self.tab(server)
        self.assertContains(res, "Create My Storage")
        self.assertContains(res, CREATE_URL)

    def test_cinder_down_or_absent_is_a_message_not_an_error(self):
        server = self.serve(data.server())
        self.volumes.side_effect = api.cinder.BlockStorageUnavailable("503")
        res = self.tab(server)
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "does not answer")
        self.in_catalog.return_value = False
        res = self.tab(server)
        self.assertContains(res, "no block storage service")

    def test_someone_elses_desktop_has_no_storage_tab(self):
        server = self.serve(data.server(user_id=data.OTHER_USER_ID))
        res = self.tab(server)
        self.assertNotContains(res, "heps-home-test_user")
        self.volumes.assert_not_called()


class CreateStorageTests(_Base):
    def test_create_makes_one_volume(self):
        self.volumes.side_effect = [[], [home(id="vol-new")]]
        self.create.return_value = home(id="vol-new", status="creating")
        res = self.client.post(CREATE_URL, {})
        self.assertNoFormErrors(res)
        self.create.assert_called_once()
        self.assertEqual(self.create.call_args.kwargs["size"], conf.get("home_volume_gb"))

    def test_over_quota_is_a_form_error_naming_the_resource(self):
        self.volumes.return_value = []
        self.quota.return_value = {"gigabytes": {"limit": 10, "in_use": 5, "reserved": 0}}
        res = self.client.post(CREATE_URL, {})
        self.assertContains(res, "volume gigabytes quota is used up")
        self.create.assert_not_called()

    def test_without_block_storage_nothing_is_offered(self):
        self.in_catalog.return_value = False
        res = self.client.get(CREATE_URL)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        res = self.client.post(CREATE_URL, {})
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.create.assert_not_called()


class MoveStorageTests(_Base):
    def test_move_here_detaches_from_the_other_desktop(self):
        server = self.serve(data.server())
        self.volumes.return_value = [home(attachments=[{"server_id": "other"}])]
        res = self.post_action("move_storage", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.detach.assert_called_once_with(self.ctx_match(), "other", "vol-1")
        self.assertEqual(list(self.set_volume_meta.call_args.args[2]),
                         [names.VOLUME_META_HOME_DESKTOP])

    def test_move_to_someone_elses_desktop_is_refused(self):
        server = self.serve(data.server(user_id=data.OTHER_USER_ID))
        res = self.post_action("move_storage", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.detach.assert_not_called()
        self.attach.assert_not_called()
        self.set_volume_meta.assert_not_called()

    def test_cinder_down_during_a_move_is_a_message(self):
        server = self.serve(data.server())
        self.volumes.side_effect = api.cinder.BlockStorageUnavailable("down")
        res = self.post_action("move_storage", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertTrue(any("does not answer" in m for m in self.messages(res)))


class BoostTests(_Base):
    def setUp(self):
        super().setUp()
        patch = mock.patch.object
        patch(api.nova_flavors, "profile_list_with_specs",
              return_value=[(BIG, BIG_SPECS)]).start()
        self.limits = patch(api.nova_flavors, "absolute_limits", return_value={}).start()
        self.gpu_limits = patch(api.keystone, "compute_limits", return_value={}).start()
        patch(api.placement, "project_usages", return_value={}).start()
        patch(api.placement, "gpu_free", return_value=None).start()

    def url(self, server):
        return reverse("horizon:project:desktops:boost", args=[server.id])

    def test_the_form_offers_bigger_profiles_and_boosts(self):
        server = self.serve(data.server())
        res = self.client.get(self.url(server))
        self.assertContains(res, "heps.a100.full")
        res = self.client.post(self.url(server), {"profile": "f-big"})
        self.assertNoFormErrors(res)
        self.resize.assert_called_once_with(self.ctx_match(), server.id, "f-big")
        self.assertIn(names.META_BOOST, self.set_meta.call_args.args[2])

    def test_over_the_gpu_quota_is_a_form_error_and_nothing_changes(self):
        server = self.serve(data.server())
        self.gpu_limits.return_value = {"class:CUSTOM_HEPS_GPU_A100": 0}
        res = self.client.post(self.url(server), {"profile": "f-big"})
        self.assertContains(res, "quota does not allow it: CUSTOM_HEPS_GPU_A100")
        self.resize.assert_not_called()
        self.set_meta.assert_not_called()

    def test_a_flavor_posted_by_hand_is_refused(self):
        server = self.serve(data.server())
        res = self.client.post(self.url(server), {"profile": "m1.small"})
        self.assertFormErrors(res, 1)
        self.resize.assert_not_called()

    def test_someone_elses_desktop_cannot_be_boosted(self):
        server = self.serve(data.server(user_id=data.OTHER_USER_ID))
        res = self.client.post(self.url(server), {"profile": "f-big"})
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.resize.assert_not_called()

    def test_nova_refusing_the_resize_takes_the_record_back(self):
        server = self.serve(data.server())
        self.resize.side_effect = api.nova.Conflict(409, "Cannot resize while locked")
        with mock.patch.object(api.nova, "server_delete_metadata") as delete_meta:
            res = self.client.post(self.url(server), {"profile": "f-big"})
        self.assertContains(res, "refused the resize")
        delete_meta.assert_called_once_with(self.ctx_match(), server.id, [names.META_BOOST])

    def test_the_list_says_boosted_until(self):
        server = self.serve(boosted(data.server(flavor_name="heps.a100.full")))
        self.listing.return_value = ([server], False, False)
        res = self.client.get(INDEX_URL)
        self.assertContains(res, "Boosted until")

    def test_a_forged_boost_record_shows_nothing(self):
        server = data.server(flavor_name="heps.a100.full")
        server.metadata[names.META_BOOST] = '{"s":"boosted","u":"2030-01-01T00:00:00Z"}'
        self.serve(server)
        res = self.client.get(INDEX_URL)
        self.assertNotContains(res, "Boosted until")

    def test_end_boost_resizes_back(self):
        server = self.serve(boosted(data.server(flavor_name="heps.a100.full")))
        flavors = [(types.SimpleNamespace(id="f-small", name="heps.vgpu.a16"), {})]
        with mock.patch.object(api.nova_flavors, "flavors_with_specs", return_value=flavors):
            res = self.post_action("unboost", server)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.resize.assert_called_once_with(self.ctx_match(), server.id, "f-small")

