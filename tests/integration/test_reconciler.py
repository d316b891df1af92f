"""The desktops reconciler against the dev cloud: experiment data attached with no page
open, access revoked whatever deleted a desktop, deletes that race an attach, and a
desktop deletable while Manila is down. Checked through the OpenStack APIs as admin."""

import copy
import time

import pytest
from cloud_fixtures import nova

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import revocation
from integration import reconciler_support as support
from integration.horizon_request import make_request
from integration.reconciler_support import launcher_fixture  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture
def ops(settings, devcloud, monkeypatch):
    return support.settings_for(settings, devcloud, monkeypatch)


def _attached(launcher, server_id):
    server = launcher.get(server_id)
    return (server["metadata"].get(names.META_DATA_STATE) == mounts.STATE_ATTACHED)


def test_data_attaches_with_no_page_open(ops, launcher, admin, devcloud):
    server = launcher.launch()
    assert support.experiment_rules(admin, devcloud, server.id) == []
    needed = support.passes_until(ops, lambda: _attached(launcher, server.id))
    assert needed <= 2
    rules = support.experiment_rules(admin, devcloud, server.id)
    levels = sorted((r["metadata"]["heps:kind"], r["access_level"]) for r in rules)
    assert levels == [("raw", "ro"), ("results", "rw")]
    address = mounts.fixed_address(launcher.get(server.id)["addresses"])
    assert {r["access_to"] for r in rules} == {address}


def test_delete_outside_the_panel_revokes_within_one_pass(ops, launcher, admin, devcloud,
                                                          alice):
    server = launcher.launch()
    support.passes_until(ops, lambda: _attached(launcher, server.id))
    assert len(support.experiment_rules(admin, devcloud, server.id)) == 2
    nova(alice, "DELETE", f"/servers/{server.id}")       # `openstack server delete`
    launcher.wait(server.id, ("GONE",))
    report = support.run_pass(ops)
    assert not report.failed, report.lines
    assert support.experiment_rules(admin, devcloud, server.id) == []
    assert any("desktop gone" in line and server.id in line for line in report.lines)


def test_dry_run_changes_nothing(ops, launcher, admin, devcloud):
    server = launcher.launch()
    report = support.run_pass(ops, dry_run=True)
    assert any(server.id in line and "dry-run" in line for line in report.lines)
    assert support.experiment_rules(admin, devcloud, server.id) == []
    assert not _attached(launcher, server.id)


def test_delete_while_attaching_leaves_no_rule(ops, launcher, admin, devcloud):
    user = launcher.user()
    with support.LoopingReconciler(ops) as loop:
        server = launcher.launch(ctx=user, wait_active=False)
        launcher.wait(server.id, ("ACTIVE",))
        time.sleep(0.3)  # let the loop start granting
        revocation.delete_desktop(user, server.id)
        launcher.wait(server.id, ("GONE",))
        time.sleep(2)
    assert not loop.errors, loop.errors
    support.run_pass(ops)
    assert support.experiment_rules(admin, devcloud, server.id) == []


def test_delete_works_while_manila_is_down_and_the_reconciler_cleans(
        ops, launcher, admin, devcloud):
    server = launcher.launch()
    support.passes_until(ops, lambda: _attached(launcher, server.id))
    request = make_request(devcloud, "alice")
    catalog = copy.deepcopy(request.user.service_catalog)
    for service in catalog:
        if service["type"] == "sharev2":
            for endpoint in service["endpoints"]:
                endpoint["url"] = "http://127.0.0.1:9/v2"   # nobody listens
    request.user.service_catalog = catalog
    report = revocation.delete_desktop(api.context.for_request(request), server.id)
    assert report.manila_down and not report.failed
    launcher.wait(server.id, ("GONE",))
    assert len(support.experiment_rules(admin, devcloud, server.id)) == 2
    support.run_pass(ops)
    assert support.experiment_rules(admin, devcloud, server.id) == []


def test_data_less_desktop_deletes_without_manila(ops, launcher, devcloud):
    server = launcher.launch(experiment=None)
    request = make_request(devcloud, "alice")
    request.user.service_catalog = [s for s in request.user.service_catalog
                                    if s["type"] != "sharev2"]
    report = revocation.delete_desktop(api.context.for_request(request), server.id)
    assert not report.failed
    launcher.wait(server.id, ("GONE",))
