"""The audit trail on the dev cloud: a launch through the Launch form and a Delete through
the panel's action service write the expected events into a JSON-lines file handler
configured as the README says, and the Admin panel's reader gives them back."""

import logging

import pytest
from cloud_fixtures import nova
from cloud_fixtures import wait_server

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import conventions
from heps_desktop_dashboard.dashboards.project.desktops import forms as launch_forms
from heps_desktop_dashboard.services import audit_log
from heps_desktop_dashboard.services import desktop_actions
from integration import experiment_support as support
from integration.horizon_request import make_request

pytestmark = pytest.mark.integration


@pytest.fixture
def audit_file(tmp_path, cloud_settings):
    """A file handler on heps_desktops.audit with ``format: %(message)s`` (JSON lines),
    and ``audit_log_file`` naming it."""
    path = tmp_path / "heps-desktops-audit.jsonl"
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(conventions.AUDIT_LOGGER)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    cloud_settings.HEPS_DESKTOPS = {**cloud_settings.HEPS_DESKTOPS,
                                    "audit_log_file": str(path)}
    yield path
    logger.removeHandler(handler)
    logger.setLevel(level)
    handler.close()


def test_a_launch_and_a_delete_write_their_events(audit_file, devcloud, alice, admin,
                                                  server_factory):
    name = support.uid("it-audit")
    blank = launch_forms.LaunchForm(make_request(devcloud, "alice"))
    data = {key: field.initial for key, field in blank.fields.items()
            if field.initial is not None}
    data.update({"name": name, "experiment": "", "public_ip": "", "lifetime_hours": 1,
                 "profile": devcloud.manifest["flavors"][support.PROFILE]})
    request = make_request(devcloud, "alice", method="POST",
                           path="/project/desktops/launch/", data=data)
    request.META["REMOTE_ADDR"] = "192.0.2.44"
    form = launch_forms.LaunchForm(request, data=data)
    assert form.is_valid(), form.errors
    server = form.handle(request, form.cleaned_data)
    assert server, form.errors
    server_factory.made.append((alice, server.id))
    wait_server(admin, server.id)

    ctx = api.context.for_request(make_request(devcloud, "alice"))
    desktop_actions.delete(ctx, server.id)

    def gone():
        found = nova(admin, "GET", f"/servers/{server.id}", ok=(200, 404)).get("server")
        return found is None or found["status"] == "DELETED"
    support.wait_until(gone, 120, what="desktop deleted")

    lines = [line for line in audit_file.read_text().splitlines() if line.strip()]
    events = [audit_log.parse_line(line) for line in lines]
    assert None not in events, lines  # every line is one JSON event
    ours = [e for e in events if e["target_id"] == server.id]
    assert [(e["action"], e["result"]) for e in ours] == [("desktop.launch", "ok"),
                                                          ("desktop.delete", "ok")]
    launched, deleted = ours
    alice_id = devcloud.manifest["users"]["alice"]
    project = devcloud.project_id("experiment-a")
    for event in ours:
        assert (event["actor"], event["user"], event["user_id"], event["project_id"]) == (
            "user", "alice", alice_id, project)
        assert event["request_id"]
    assert launched["source_ip"] == "192.0.2.44"
    assert (launched["target_name"], launched["profile"], launched["security_groups"]) == (
        name, support.PROFILE, '["heps-desktop"]')
    assert deleted["target_name"] == name

    # what Admin > Desktop Audit and the Action Log tab read back
    assert [e["action"] for e in audit_log.for_desktop(server.id, project)] == [
        "desktop.delete", "desktop.launch"]
    assert audit_log.for_desktop(server.id, devcloud.project_id("experiment-b")) == []
