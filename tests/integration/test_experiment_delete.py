"""Deleting desktops that have experiment data, against the dev cloud (no mocks): no
rule or share attachment is left behind, 20 times over with four at once; and with
Manila down the delete still goes through and the reconciler removes what is left.
Helpers: integration/experiment_support.py; fixtures: integration/conftest.py."""

import concurrent.futures
import copy
import time
import uuid

import pytest

from heps_desktop_dashboard import api
from heps_desktop_dashboard.api import manila
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.services import data_attach
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import reconcile
from heps_desktop_dashboard.services import revocation
from integration import experiment_support as support
from integration import leftovers
from integration.experiment_support import ACCESS_RULE
from integration.experiment_support import EXPERIMENT
from integration.experiment_support import VIRTIOFS
from integration.experiment_support import desktop_rules
from integration.experiment_support import drive
from integration.experiment_support import uid
from integration.horizon_request import make_request

pytestmark = pytest.mark.integration


def _manila_down(request):
    """The same user, with a catalog whose sharev2 endpoint nobody listens on."""
    catalog = copy.deepcopy(request.user.service_catalog)
    for service in catalog:
        if service["type"] == "sharev2":
            for endpoint in service["endpoints"]:
                endpoint["url"] = "http://127.0.0.1:9/v2"
    request.user.service_catalog = catalog
    return request


def test_manila_down_is_a_clear_error_grants_nothing_and_does_not_block_delete(
        devcloud, launcher, admin, operator, raw_id, results_id, cloud_settings):
    support.mount_mode(cloud_settings, ACCESS_RULE)
    ctx = api.context.for_request(make_request(devcloud, "alice"))
    plain = launcher.launch(ctx, uid("it-exp-down"), wait_active=True)
    down_request = _manila_down(make_request(devcloud, "alice"))
    down = api.context.for_request(down_request)
    with pytest.raises(manila.ShareServiceUnavailable):
        experiments.plan_for(down, EXPERIMENT)
    with pytest.raises(manila.ShareServiceUnavailable):
        data_attach.attach(down, plain.id, EXPERIMENT)
    assert "" in dict(texts.experiment_choices(down_request))  # a message, only "None"
    assert any("Manila" in str(m) for m in down_request._messages)
    current = api.nova.desktop_get(ctx, plain.id)
    assert not mounts.data_metadata_keys(current.metadata)
    assert desktop_rules(admin, raw_id, plain.id) == []

    # a desktop with data, deleted while Manila is down: deleted all the same, its rules
    # left to the reconciler, whose next pass removes them
    server = launcher.launch(ctx, uid("it-exp-down-att"), EXPERIMENT)
    drive(operator, server.id, mounts.STATE_ATTACHED)
    assert len(desktop_rules(admin, raw_id, server.id)) == 1
    report = revocation.delete_desktop(down, server.id)
    assert report.manila_down and not report.failed and not report.ok
    launcher.wait_gone(server.id)
    assert len(desktop_rules(admin, raw_id, server.id)) == 1
    passed = reconcile.Pass(operator, only=("orphans",)).run()
    assert not [a for a in passed.failed if server.id in a.desktop], passed.failed
    assert sum(server.id in a.desktop and a.result == "done" for a in passed.actions) == 2
    support.wait_until(lambda: not desktop_rules(admin, raw_id, server.id)
                       and not desktop_rules(admin, results_id, server.id), 60,
                       what="the reconciler removed the deleted desktop's rules")

    assert revocation.delete_desktop(down, plain.id).manila_down
    launcher.wait_gone(plain.id)


# --- delete: zero rules/attachments left, 20 times ---------------------------------------

def _launch_attach_delete(devcloud, launcher, admin, mode, index, raw_id, results_id):
    ctx = api.context.for_request(make_request(devcloud, "alice"))
    server = launcher.launch(ctx, f"it-exp-loop-{index:02d}-{uuid.uuid4().hex[:4]}",
                             EXPERIMENT)
    # the reconciler's steps, taken here with the user's own context (one per thread)
    server = drive(ctx, server.id, mounts.STATE_ATTACHED, timeout=240)
    if mode == ACCESS_RULE:
        assert len(desktop_rules(admin, raw_id, server.id)) == 1
    report = revocation.delete_desktop(ctx, server.id)
    assert report.ok, report.failed
    launcher.wait_gone(server.id)

    def left():
        return desktop_rules(admin, raw_id, server.id) + desktop_rules(admin, results_id,
                                                                       server.id)
    try:
        support.wait_until(lambda: not left(), 30, what="rules removed")
    except AssertionError:
        pass
    return server.id, left()


def _nova_rules_left(admin, operator, ids, share_ids):
    """nova's own host rules of deleted instances: nova removes them itself, and what it
    leaves (a delete right after a start can leave one) is the reconciler's to remove.
    Returns how many reconciler passes that took."""
    passes = 0

    def clean():
        nonlocal passes
        if not any(support.nova_rules_for(admin, share_id, sid)
                   for share_id in share_ids for sid in ids):
            return True
        if passes < 3:
            passes += 1
            reconcile.Pass(operator, only=("orphans",)).run()
        return False
    support.wait_until(clean, 90, interval=2,
                       what="nova host rules of the loop's desktops removed")
    return passes


# Long (both mount modes, 20 cycles): `make soak`. make test keeps the reconciler's own
# 20 cycles (tests/integration/test_reconciler.py) within its time budget.
@pytest.mark.soak
def test_delete_leaves_no_rule_or_attachment_20_times(devcloud, admin, operator, launcher,
                                                       raw_id, results_id, cloud_settings):
    # The mount mode is a deployment setting: 15 cycles in one mode, then 5 in the other.
    t0 = time.monotonic()
    results = []
    for mode, count, first in ((ACCESS_RULE, 15, 0), (VIRTIOFS, 5, 15)):
        support.mount_mode(cloud_settings, mode)
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(_launch_attach_delete, devcloud, launcher, admin, mode,
                                   first + i, raw_id, results_id) for i in range(count)]
            results += [f.result() for f in futures]
    ids = {server_id for server_id, _left in results}
    assert len(ids) == 20
    assert [left for _sid, left in results if left] == []
    passes = _nova_rules_left(admin, operator, ids, (raw_id, results_id))
    # and nothing of theirs anywhere: rules, nova's locked host rules, attachments, ports
    assert leftovers.of_desktops(admin, devcloud, ids) == []
    print(f"\n20 launch/attach/delete cycles in {time.monotonic() - t0:.0f} s; "
          f"{passes} reconciler pass(es) for nova's leftover host rules")
