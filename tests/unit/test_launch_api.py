"""What the Launch modal is built on, below the form: the quota rules (core/quota.py),
the thin api/ readers (placement, keystone, nova flavors and limits) with their HTTP
clients faked, and services.launch on its own."""

import datetime
from unittest import mock

from django.test.utils import override_settings
from novaclient import exceptions as nova_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.api import context
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import quota
from heps_desktop_dashboard.services import launch
from test_data import contexts
from test_data import launch_data as data


class QuotaRulesTests(test.TestCase):
    def _profile(self, profile_id):
        return next(p for p, _s in data.catalog() if p.id == profile_id)

    def test_launch_needs(self):
        self.assertEqual(quota.launch_needs(self._profile(data.VGPU_ID)),
                         {"instances": 1, "cores": 4, "ram": 16384, "class:VGPU": 1})
        self.assertEqual(quota.launch_needs(self._profile(data.CPU_ID)),
                         {"instances": 1, "cores": 4, "ram": 8192})

    def test_gpu_requests_keep_the_traits_of_their_group(self):
        self.assertEqual(quota.gpu_requests(data.VGPU_SPECS), (data.VGPU_REQUEST,))
        self.assertEqual(quota.gpu_requests(data.A100_SPECS), (data.A100_REQUEST,))
        self.assertEqual(quota.gpu_requests(data.CPU_SPECS), ())
        numbered = {"resources1:VGPU": "2", "trait1:CUSTOM_X": "required",
                    "trait1:CUSTOM_Y": "forbidden", "trait:CUSTOM_Z": "required",
                    "resources:VCPU": "4"}
        self.assertEqual(quota.gpu_requests(numbered),
                         (quota.GpuRequest("VGPU", 2, ("CUSTOM_X",), ("CUSTOM_Y",)),))

    def test_free_from_candidates_counts_candidate_providers_once(self):
        self.assertEqual(quota.free_from_candidates(data.CANDIDATES_VGPU, "VGPU"), 7)
        self.assertEqual(quota.free_from_candidates({}, "VGPU"), 0)

    def test_quota_error_resources(self):
        unified = ("Project x is over a limit for [Resource class:VGPU is over limit of 4 "
                   "due to current usage 4 and delta 1, Resource servers is over limit of "
                   "10 due to current usage 10 and delta 1]")
        self.assertTrue(quota.is_quota_error(unified))
        self.assertEqual(quota.quota_error_resources(unified), ["class:VGPU", "instances"])
        legacy = "Quota exceeded for cores, ram: Requested 8, but already used 36 of 40"
        self.assertEqual(quota.quota_error_resources(legacy), ["cores", "ram"])
        self.assertFalse(quota.is_quota_error("Policy doesn't allow"))

    def test_lines_and_exceeded(self):
        lines = quota.nova_lines(data.absolute_limits(cores=(38, 40)))
        lines.update(quota.gpu_lines(["VGPU"], {"class:VGPU": 4}, {"VGPU": 4}))
        needs = quota.launch_needs(self._profile(data.VGPU_ID))
        self.assertEqual([line.resource for line in quota.exceeded(lines, needs)],
                         ["cores", "class:VGPU"])
        unknown = quota.nova_lines(None)
        self.assertFalse(unknown["cores"].known)
        self.assertEqual(quota.exceeded(unknown, needs), [])
        no_limit = quota.gpu_lines(["VGPU"], {}, {"VGPU": 100})
        self.assertTrue(no_limit["class:VGPU"].fits(1))

    def test_gpu_usage_from_servers_skips_offloaded(self):
        usage = quota.gpu_usage_from_servers([
            ("ACTIVE", data.VGPU_SPECS), ("SHUTOFF", data.VGPU_SPECS),
            ("SHELVED_OFFLOADED", data.VGPU_SPECS), ("ACTIVE", data.A100_SPECS),
            ("ACTIVE", {"pci_passthrough:alias": "a40:1"}), ("ACTIVE", {}),
        ])
        self.assertEqual(usage, {"VGPU": 2, "CUSTOM_HEPS_GPU_A100": 1})


def _ctx(is_admin=False):
    return context.ApiContext(
        mock.Mock(name="session"), project_id="proj-1", user_id="user-1",
        username="test_user", region="RegionOne", is_admin=is_admin,
        catalog=[{"type": "identity", "id": "ks"}, {"type": "compute", "id": "nova-svc"}])


class PlacementKeystoneReadersTests(test.TestCase):
    def test_gpu_free_one_call_per_request_with_traits(self):
        reader = mock.Mock()
        reader.get.return_value = data.FakeResponse(data.CANDIDATES_VGPU)
        with mock.patch.object(api.placement, "capacity_reader", return_value=reader):
            found = api.placement.gpu_free(_ctx(), [data.VGPU_REQUEST, data.VGPU_REQUEST])
        self.assertEqual(found, {data.VGPU_REQUEST: 7})
        reader.get.assert_called_once_with(
            "/allocation_candidates",
            params={"resources": "VGPU:1", "root_required": "!COMPUTE_STATUS_DISABLED",
                    "required": "CUSTOM_HEPS_GPU_A16"},
            headers={"OpenStack-API-Version": "placement 1.35"}, raise_exc=True)

    def test_capacity_reader_needs_admin_or_credential(self):
        with mock.patch.object(api.placement, "_user_adapter") as user_adapter:
            self.assertIsNone(api.placement.capacity_reader(_ctx()))
            self.assertIsNone(api.placement.gpu_free(_ctx(), [data.VGPU_REQUEST]))
            self.assertIs(api.placement.capacity_reader(_ctx(is_admin=True)),
                          user_adapter.return_value)
        cred = {"id": "app-cred", "secret": "s3cret"}
        with override_settings(HEPS_DESKTOPS={"capacity_credential": cred}):
            first = api.placement.capacity_reader(_ctx())
            again = api.placement.capacity_reader(_ctx())
        self.assertIs(first, again)  # one session per process: its token is reused
        self.assertEqual(first.service_type, "placement")
        self.assertEqual(first.session.auth.auth_methods[0].application_credential_id,
                         "app-cred")

    def test_project_usages_of_the_contexts_project(self):
        adapter = mock.Mock()
        adapter.get.return_value = data.FakeResponse({"usages": {"VGPU": 1, "VCPU": "12"}})
        with mock.patch.object(api.placement, "_user_adapter", return_value=adapter):
            self.assertEqual(api.placement.project_usages(_ctx()), {"VGPU": 1, "VCPU": 12})
        adapter.get.assert_called_once_with(
            "/usages", params={"project_id": "proj-1"},
            headers={"OpenStack-API-Version": "placement 1.9"}, raise_exc=True)

    def test_compute_limits_project_limit_wins_over_registered(self):
        def limit(name, value, region="RegionOne", project="proj-1"):
            return {"resource_name": name, "resource_limit": value, "region_id": region,
                    "project_id": project}

        def registered(name, value, region="RegionOne"):
            return {"resource_name": name, "default_limit": value, "region_id": region}

        bodies = {
            "/limits": {"limits": [limit("class:VGPU", 4), limit("servers", 10),
                                   limit("class:CUSTOM_A", 9, region="Other"),
                                   limit("class:CUSTOM_A", 7, project="another")]},
            "/registered_limits": {"registered_limits": [registered("class:VGPU", 8),
                                                         registered("class:CUSTOM_A", -1)]},
        }
        identity = mock.Mock()
        identity.get.side_effect = lambda path, params=None: data.FakeResponse(bodies[path])
        with mock.patch.object(api.keystone, "_identity", return_value=identity):
            found = api.keystone.compute_limits(_ctx(), ["class:VGPU", "class:CUSTOM_A"])
            self.assertEqual(found, {"class:VGPU": 4, "class:CUSTOM_A": None})
            self.assertEqual(identity.get.call_args_list, [
                mock.call("/limits", params={"service_id": "nova-svc", "project_id": "proj-1"}),
                mock.call("/registered_limits", params={"service_id": "nova-svc"})])
            identity.get.reset_mock()
            self.assertEqual(api.keystone.compute_limits(_ctx(), ["class:VGPU"]),
                             {"class:VGPU": 4})
            identity.get.assert_called_once()  # every name has a project limit


class NovaReadersTests(test.TestCase):
    """api.nova_flavors and api.nova.recent_desktops on a faked novaclient."""

    def _for_feature(self, client, newest=True):
        def for_feature(ctx, feature):
            if feature == "flavor_extra_specs" and not newest:
                raise api.nova_client.FeatureNotAvailable(feature)
            return client
        return mock.patch.object(api.nova_client, "for_feature", side_effect=for_feature)

    def test_profiles_from_flavors_with_embedded_specs_in_one_call(self):
        client = data.nova_with_flavors()
        with self._for_feature(client) as for_feature:
            found = api.nova_flavors.profile_list_with_specs(_ctx())
        self.assertEqual(found, data.catalog())
        client.flavors.list.assert_called_once_with(detailed=True, is_public=None)
        self.assertIn("flavor_extra_specs", [c.args[1] for c in for_feature.call_args_list])
        for flavor in client.flavors.list.return_value:
            flavor.manager.api.client.get.assert_not_called()
            self.assertEqual(api.nova_flavors.flavor_specs(flavor), flavor._info["extra_specs"])

    def test_an_older_nova_gives_the_specs_flavor_by_flavor(self):
        client = data.nova_with_flavors(data.flavors(embedded=False))
        with self._for_feature(client, newest=False):
            found = api.nova_flavors.profile_list_with_specs(_ctx())
        self.assertEqual(found, data.catalog())
        for flavor in client.flavors.list.return_value:
            self.assertIsNone(api.nova_flavors.flavor_specs(flavor))
            flavor.manager.api.client.get.assert_called_once_with(
                f"/flavors/{flavor.id}/os-extra_specs")

    def test_absolute_limits_one_call(self):
        client = mock.Mock()
        client.limits.get.return_value = data.nova_limits_body()
        with mock.patch.object(api.nova_client, "client", return_value=client):
            self.assertEqual(api.nova_flavors.absolute_limits(_ctx()), data.absolute_limits())
        client.limits.get.assert_called_once_with(reserved=False)

    def test_gpu_usage_counted_from_the_projects_servers(self):
        servers = [data.created(status=status) for status in ("ACTIVE", "SHELVED_OFFLOADED",
                                                               "ACTIVE")]
        for found, specs in zip(servers, (data.VGPU_SPECS, data.VGPU_SPECS, data.A100_SPECS),
                                strict=True):
            found.flavor = {"original_name": "x", "extra_specs": specs}
        client = mock.Mock()
        client.servers.list.return_value = servers
        with self._for_feature(client):
            usage = api.nova_flavors.gpu_usage_from_servers(_ctx())
        self.assertEqual(usage, {"VGPU": 1, "CUSTOM_HEPS_GPU_A100": 1})
        client.servers.list.assert_called_once_with(detailed=True,
                                                    search_opts={"project_id": "proj-1"})

    def test_recent_desktops_filters_by_creation_time(self):
        now = desktops.utcnow()
        fresh = data.created(created_at=desktops.format_expiry(now))
        old = data.created(created_at=desktops.format_expiry(now - datetime.timedelta(
            hours=2)))
        gone = data.created(status="DELETED", created_at=desktops.format_expiry(now))
        client = mock.Mock()
        client.servers.list.return_value = [fresh, old, gone]
        with self._for_feature(client):
            found = api.nova.recent_desktops(_ctx(), 60)
        self.assertEqual(found, [fresh])
        opts = client.servers.list.call_args.kwargs["search_opts"]
        self.assertEqual(opts["tags"], "heps-desktop")
        self.assertEqual(opts["project_id"], "proj-1")
        self.assertIn("changes-since", opts)


@mock.patch.object(api.neutron, "desktop_network", return_value=data.network())
@mock.patch.object(api.nova, "desktop_discard")
@mock.patch.object(api.nova, "desktop_get")
@mock.patch.object(api.nova, "desktop_create")
@mock.patch.object(api.nova, "recent_desktops", return_value=[])
class LaunchServiceTests(test.TestCase):
    """services.launch.launch with the api/ layer mocked, as the reconciler-free path
    a form (or any other caller with a user context) takes."""

    def _request(self):
        profile = next(p for p, _s in data.catalog() if p.id == data.VGPU_ID)
        return launch.LaunchRequest(name="d1", image_id="img-1", profile=profile,
                                    lifetime_hours=5)

    def test_creates_then_checks_the_desktop(self, recent, create, get, discard, network):
        ctx = contexts.user_context()
        server = create.return_value = get.return_value = data.created(
            user_id=ctx.user_id, project_id=ctx.project_id, flavor_name="heps.vgpu.a16")
        self.assertIs(launch.launch(ctx, self._request()), server)
        recent.assert_called_once_with(ctx, launch.DOUBLE_SUBMIT_SECONDS)
        kwargs = create.call_args.kwargs
        self.assertEqual((kwargs["flavor_id"], kwargs["image_id"], kwargs["network_id"]),
                         (data.VGPU_ID, "img-1", "net-1"))
        self.assertEqual(set(kwargs["metadata"]),
                         {"heps:profile", "heps:expires_at", "heps:expires_sig"})
        get.assert_called_once_with(ctx, server.id)
        discard.assert_not_called()

    def test_twin_is_a_double_submit(self, recent, create, get, discard, network):
        recent.return_value = [data.created(name="d1", image_id="img-1",
                                            flavor_name="heps.vgpu.a16")]
        with self.assertRaises(launch.DoubleSubmit):
            launch.launch(contexts.user_context(), self._request())
        create.assert_not_called()

    def test_failures(self, recent, create, get, discard, network):
        ctx = contexts.user_context()
        create.side_effect = nova_exc.Forbidden(403, "policy")
        with self.assertRaises(launch.LaunchFailed) as caught:
            launch.launch(ctx, self._request())
        self.assertEqual((caught.exception.created, caught.exception.left_over), (False, None))
        discard.assert_not_called()
        create.side_effect = None
        server = create.return_value = data.created()
        get.return_value = data.created(server_id=server.id, status="ERROR")
        with self.assertRaises(launch.LaunchFailed) as caught:
            launch.launch(ctx, self._request())
        self.assertEqual((caught.exception.created, caught.exception.left_over), (True, None))
        discard.assert_called_once_with(ctx, server.id)
        discard.side_effect = nova_exc.ClientException(500, "boom")
        with self.assertLogs("heps_desktop_dashboard.services.launch", "ERROR"), \
                self.assertRaises(launch.LaunchFailed) as caught:
            launch.launch(ctx, self._request())
        self.assertEqual(caught.exception.left_over, server.id)


def test_golden_catalog_leaves_out_nova_snapshots_of_golden_images():
    from heps_desktop_dashboard.api import glance

    listed = [glance.Image("a", "golden", "active", {"heps_golden": "true"}),
              glance.Image("b", "golden-shelved", "active",
                           {"heps_golden": "true", "image_type": "snapshot"}),
              glance.Image("c", "golden-backup", "active",
                           {"heps_golden": "true", "image_type": "backup"})]
    with mock.patch.object(glance, "_list", return_value=listed):
        assert [i.id for i in glance.golden_image_list(mock.Mock())] == ["a"]
