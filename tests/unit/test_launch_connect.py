"""Launch and connect: the boot phases (core/launch_phases.py), the Console tab while a
desktop comes up, and its JSON status endpoint (launch_status.py).

nova is mocked at the api layer and Horizon's per-protocol console calls are replaced
(``console.CONSOLES``), so Horizon's own get_console() logic runs.
"""

import json
from unittest import mock

from django.core.cache import cache
from django.urls import reverse
from novaclient import exceptions as nova_exc
from openstack_dashboard.dashboards.project.instances import console as horizon_console
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import launch_phases as phases
from test_data import desktops_data as data
from test_data.contexts import IsUserContext

SERVER_ID = "5b0d1f7e-2c43-4a8e-9d61-0f3e2a7c9b14"
DETAIL_URL = reverse("horizon:project:desktops:detail", args=[SERVER_ID])
TAB_URL = DETAIL_URL + "?tab=desktop_details__console"
STATUS_URL = reverse("horizon:project:desktops:status", args=[SERVER_ID])
AJAX = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
TOKEN = "launch-secret-token-3e9d"
VNC_URL = f"http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3D{TOKEN}"
VGPU_SPECS = {"heps:profile": "true", "resources:VGPU": "1"}


def desktop(status="BUILD", task_state=None, power_state=0, specs=None, metadata=None,
            fault=None):
    server = data.server(server_id=SERVER_ID, status=status, task_state=task_state,
                         experiment="")
    server._info["OS-EXT-STS:power_state"] = power_state
    server._info["flavor"]["extra_specs"] = dict(specs or {"heps:profile": "true"})
    for key in ("OS-EXT-STS:power_state", "flavor"):
        setattr(server, key, server._info[key])
    if metadata:
        server.metadata.update(metadata)
    if fault:
        server.fault = fault
    return server


def states(progress):
    return dict(progress.phases)


class _Console:
    url = VNC_URL


def consoles(vnc_ready=True):
    vnc = mock.Mock(name="vnc console")
    if vnc_ready:
        vnc.return_value = _Console()
    else:
        vnc.side_effect = nova_exc.Conflict(409, "Instance not ready")
    unavailable = mock.Mock(side_effect=nova_exc.BadRequest(400, "Unavailable console"))
    return {"VNC": vnc, "SPICE": unavailable, "RDP": unavailable, "SERIAL": unavailable,
            "MKS": unavailable}


class PhaseTests(test.TestCase):
    def test_a_new_desktop_is_being_scheduled(self):
        progress = phases.progress(desktop("BUILD", "scheduling", specs=VGPU_SPECS))
        self.assertEqual([p for p, _state in progress.phases],
                         [phases.SCHEDULED, phases.GPU_ALLOCATED, phases.BOOTING,
                          phases.READY])
        self.assertEqual(states(progress)[phases.SCHEDULED], phases.ACTIVE)
        self.assertEqual(states(progress)[phases.GPU_ALLOCATED], phases.WAITING)
        self.assertTrue(progress.coming_up)
        self.assertFalse(progress.running)

    def test_spawning_means_scheduled_gpu_allocated_and_booting(self):
        progress = phases.progress(desktop("BUILD", "spawning", specs=VGPU_SPECS))
        self.assertEqual(states(progress), {
            phases.SCHEDULED: phases.DONE, phases.GPU_ALLOCATED: phases.DONE,
            phases.BOOTING: phases.ACTIVE, phases.READY: phases.WAITING})

    def test_a_cpu_only_profile_has_no_gpu_phase(self):
        progress = phases.progress(desktop("BUILD", "spawning"))
        self.assertNotIn(phases.GPU_ALLOCATED, states(progress))

    def test_running_waits_for_the_console_then_everything_is_done(self):
        server = desktop("ACTIVE", None, power_state=1)
        progress = phases.progress(server)
        self.assertTrue(progress.running)
        self.assertFalse(progress.coming_up)
        self.assertEqual(states(progress)[phases.READY], phases.ACTIVE)
        done = phases.progress(server, console_answers=True)
        self.assertEqual(set(states(done).values()), {phases.DONE})

    def test_experiment_data_attaching_comes_before_ready(self):
        server = desktop("ACTIVE", None, power_state=1,
                         metadata={"heps:data_state": "attaching"})
        progress = phases.progress(server)
        self.assertEqual([p for p, _state in progress.phases][-2:],
                         [phases.DATA_ATTACHING, phases.READY])
        self.assertEqual(states(progress)[phases.BOOTING], phases.DONE)
        self.assertEqual(states(progress)[phases.DATA_ATTACHING], phases.ACTIVE)
        self.assertFalse(progress.running)
        self.assertTrue(progress.coming_up)
        attached = desktop("ACTIVE", None, power_state=1,
                           metadata={"heps:data_state": "attached"})
        self.assertTrue(phases.progress(attached).running)
        self.assertEqual(states(phases.progress(attached))[phases.DATA_ATTACHING],
                         phases.DONE)

    def test_no_valid_host_fails_the_scheduling_phase(self):
        server = desktop("ERROR", None, fault={"message": "No valid host was found."})
        progress = phases.progress(server)
        self.assertTrue(progress.failed)
        self.assertFalse(progress.coming_up)
        self.assertEqual(states(progress)[phases.SCHEDULED], phases.FAILED)
        self.assertEqual(states(phases.progress(desktop("ERROR")))[phases.BOOTING],
                         phases.FAILED)

    def test_a_stopped_desktop_is_not_coming_up_but_a_starting_one_is(self):
        self.assertFalse(phases.progress(desktop("SHUTOFF", None, power_state=4)).coming_up)
        self.assertTrue(phases.progress(desktop("SHUTOFF", "powering-on")).coming_up)


class ConsoleTabProgressTests(test.TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()

    def _get(self, server, url=TAB_URL, **extra):
        self.mock_desktop_get.return_value = server
        self.mock_images_by_id.return_value = {data.IMAGE_IMAGING: data.image()}
        self.consoles = consoles()
        with mock.patch.dict(horizon_console.CONSOLES, self.consoles):
            return self.client.get(url, **extra)

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_a_booting_desktop_shows_its_phases_and_asks_for_no_console(self):
        res = self._get(desktop("BUILD", "spawning", specs=VGPU_SPECS), **AJAX)
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/desktops/_console_progress.html")
        html = res.content.decode()
        self.assertIn(f'data-status-url="{STATUS_URL}"', html)
        for label in ("Scheduled", "GPU allocated", "Booting", "Ready"):
            self.assertIn(label, html)
        self.assertIn('data-phase="booting" data-state="active"', html)
        self.assertNotIn("heps-console-frame", html)
        self.consoles["VNC"].assert_not_called()
        # A tab loaded on its own needs no image name (no glance call).
        self.mock_images_by_id.assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_the_detail_page_opened_on_the_console_tab_renders_the_progress(self):
        res = self._get(desktop("BUILD", "scheduling"))
        self.assertEqual(res.status_code, 200)
        self.assertContains(res, "heps-launch-progress")
        self.assertIn("no-store", res["Cache-Control"])
        # The page opens on the Console tab: the Overview tab is loaded on demand.
        self.assertTemplateNotUsed(res, "heps_desktops/desktops/_detail_overview.html")
        self.mock_images_by_id.assert_called_once()

    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_a_running_desktop_shows_the_console(self):
        res = self._get(desktop("ACTIVE", None, power_state=1), **AJAX)
        self.assertTemplateNotUsed(res, "heps_desktops/desktops/_console_progress.html")
        self.assertTemplateUsed(res, "heps_desktops/desktops/_detail_console.html")
        self.consoles["VNC"].assert_called_once()


    @test.create_mocks({api.nova: ["desktop_get", "supports"], api.glance: ["images_by_id"]})
    def test_a_running_desktop_whose_console_does_not_answer_keeps_trying(self):
        self.mock_desktop_get.return_value = desktop("ACTIVE", None, power_state=1)
        self.mock_images_by_id.return_value = {}
        self.consoles = consoles(vnc_ready=False)
        with mock.patch.dict(horizon_console.CONSOLES, self.consoles):
            res = self.client.get(TAB_URL, **AJAX)
        self.assertTemplateUsed(res, "heps_desktops/desktops/_console_progress.html")
        html = res.content.decode()
        self.assertIn('data-retry="true"', html)
        self.assertIn("Connecting to the console", html)
        self.assertIn('data-phase="ready" data-state="active"', html)


class StatusViewTests(test.TestCase):
    def _get(self, server):
        self.mock_desktop_get.return_value = server
        self.consoles = consoles()
        with mock.patch.dict(horizon_console.CONSOLES, self.consoles):
            return self.client.get(STATUS_URL, **AJAX)

    @test.create_mocks({api.nova: ["desktop_get"]})
    def test_a_booting_desktop_reports_its_phases_without_asking_for_a_console(self):
        res = self._get(desktop("BUILD", "spawning", specs=VGPU_SPECS))
        self.assertEqual(res.status_code, 200)
        self.assertIn("no-store", res["Cache-Control"])
        body = json.loads(res.content)
        self.assertEqual([p["phase"] for p in body["phases"]],
                         ["scheduled", "gpu_allocated", "booting", "ready"])
        self.assertEqual(body["phases"][2]["state"], "active")
        self.assertEqual(body["phases"][2]["label"], "Booting")
        self.assertFalse(body["console"])
        self.assertFalse(body["reload"])
        self.consoles["VNC"].assert_not_called()
        self.mock_desktop_get.assert_called_once_with(IsUserContext(), SERVER_ID)

    @test.create_mocks({api.nova: ["desktop_get"]})
    def test_a_running_desktop_says_reload_without_asking_for_a_console(self):
        # nova says it runs (ACTIVE, power on, no task): its console answers; the tab,
        # loaded again, asks for it. The status itself hands out no console.
        res = self._get(desktop("ACTIVE", None, power_state=1))
        body = json.loads(res.content)
        self.assertTrue(body["console"])
        self.assertTrue(body["reload"])
        self.assertEqual({p["state"] for p in body["phases"]}, {"done"})
        self.assertEqual(body["headline"], "Connecting to the console…")
        self.consoles["VNC"].assert_not_called()
        self.assertNotIn("token", res.content.decode())

    @test.create_mocks({api.nova: ["desktop_get"]})
    def test_data_still_attaching_keeps_polling(self):
        body = json.loads(self._get(desktop(
            "ACTIVE", None, power_state=1, metadata={"heps:data_state": "attaching"}))
            .content)
        self.assertFalse(body["reload"])
        self.assertEqual(body["phases"][-2]["phase"], "data_attaching")
        self.assertEqual(body["phases"][-2]["state"], "active")

    @test.create_mocks({api.nova: ["desktop_get"]})
    def test_a_stopped_or_failed_desktop_says_reload_so_the_tab_says_why(self):
        for server in (desktop("SHUTOFF", None, power_state=4), desktop("ERROR")):
            body = json.loads(self._get(server).content)
            self.assertTrue(body["reload"])
            self.assertFalse(body["console"])
        self.assertTrue(body["failed"])

    @test.create_mocks({api.nova: ["desktop_get"]})
    def test_someone_elses_desktop_is_refused_as_json(self):
        res = self._get(data.server(server_id=SERVER_ID, user_id="someone-else"))
        self.assertEqual(res.status_code, 403)
        self.assertFalse(json.loads(res.content)["reload"])
        self.consoles["VNC"].assert_not_called()

    @test.create_mocks({api.nova: ["desktop_get"]})
    def test_a_deleted_desktop_is_404_and_nova_down_is_503_never_500(self):
        self.mock_desktop_get.side_effect = api.nova.NotFound("gone")
        self.assertEqual(self.client.get(STATUS_URL, **AJAX).status_code, 404)
        self.mock_desktop_get.side_effect = nova_exc.ClientException(500, "boom")
        self.assertEqual(self.client.get(STATUS_URL, **AJAX).status_code, 503)

    @test.create_mocks({api.nova: ["desktop_get"]})
    def test_policy_is_enforced(self):
        with mock.patch("heps_desktop_dashboard.dashboards.project.desktops.launch_status"
                        ".check_once", return_value=False):
            res = self.client.get(STATUS_URL, **AJAX)
        self.assertEqual(res.status_code, 403)
        self.mock_desktop_get.assert_not_called()
