"""Below the dashboard: what nova's own API lets a second member of the project do to
alice's desktop, and what a nova policy file can and cannot change about it (the
README's Security section quotes these results).

* With nova's default policy any member of the project gets a console URL for any
  server of the project, through the legacy actions (microversion <= 2.5) and
  ``POST /servers/{id}/remote-consoles`` (>= 2.6).
* ``"os_compute_api:os-remote-consoles": "rule:project_member_api and
  user_id:%(user_id)s"`` does NOT restrict consoles to the owner: nova checks that
  rule against ``{"project_id": instance.project_id}`` only (remote_consoles.py,
  2025.1 … 2026.2), so on >= 2.6 ``%(user_id)s`` is missing and the rule denies
  everybody, the owner included; on the legacy actions nova checks its default target,
  the caller's own ids, and the rule lets every member through.
* Where nova does put the instance's ``user_id`` in the target (start, stop, delete,
  update, shelve, …), ``user_id:%(user_id)s`` works: the second member's stop is
  refused, alice's goes through.

The policy is applied to the dev cloud's nova-api by writing ``policy.yaml`` into its
config directory (oslo.policy re-reads a policy file when its mtime changes: no restart)
for the few calls of this test, and taken back in a finally block (an empty rule set:
nova's defaults). Other sessions on the shared cloud see the changed rules for those
seconds only: owner-only stops and no console at >= 2.6.
"""

import os
import uuid

import pytest
from cloud_fixtures import call

from integration import temp_users

pytestmark = pytest.mark.integration

PROJECT = "experiment-a"
USER_ID_CONSOLE_RULE = "rule:project_member_api and user_id:%(user_id)s"
OWNER_OR_ADMIN = "rule:context_is_admin or (rule:project_member_api and user_id:%(user_id)s)"
# The README's snippets, as a deployment would write them.
POLICY = (f'"os_compute_api:os-remote-consoles": "{USER_ID_CONSOLE_RULE}"\n'
          f'"owner_or_admin": "{OWNER_OR_ADMIN}"\n'
          '"os_compute_api:servers:stop": "rule:owner_or_admin"\n')
RESTORED = "# nova's default policy (tests/integration/test_nova_console_policy.py)\n{}\n"


def remote_console(conn, server_id):
    """POST /servers/{id}/remote-consoles (2.6+): the HTTP status."""
    resp = conn.compute.post(f"/servers/{server_id}/remote-consoles", microversion="2.6",
                             json={"remote_console": {"protocol": "vnc", "type": "novnc"}})
    return resp.status_code


def legacy_console(conn, server_id):
    """os-getVNCConsole at 2.1 (what Horizon's console code asks): the HTTP status."""
    resp = conn.compute.post(f"/servers/{server_id}/action", microversion="2.1",
                             json={"os-getVNCConsole": {"type": "novnc"}})
    return resp.status_code


def stop(conn, server_id):
    return conn.compute.post(f"/servers/{server_id}/action", microversion="2.1",
                             json={"os-stop": None}).status_code


def _write(path, text, mtime_after=None):
    """Replace the file atomically, with an mtime oslo.policy sees as newer."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}")
    tmp.write_text(text)
    if mtime_after is not None:
        newer = max(mtime_after + 1, tmp.stat().st_mtime)
        os.utime(tmp, (newer, newer))
    os.replace(tmp, path)


@pytest.fixture
def nova_policy(devcloud):
    """apply(text): nova-api's policy.yaml for the rest of the test; restored after."""
    path = devcloud.state / "etc" / "nova" / "policy.yaml"
    before = path.read_text() if path.exists() else None
    applied = []

    def apply(text):
        _write(path, text, mtime_after=path.stat().st_mtime if path.exists() else None)
        applied.append(text)

    try:
        yield apply
    finally:
        if applied or before is not None:
            # A deleted file would make oslo.policy log an error on every request: an
            # empty rule set is nova's defaults.
            _write(path, before if before is not None else RESTORED,
                   mtime_after=path.stat().st_mtime if path.exists() else None)


@pytest.fixture
def second_member(admin, devcloud):
    with temp_users.temporary_member(admin, PROJECT, "heps-it-policy") as (user, password):
        yield temp_users.connect(devcloud, user.name, password, PROJECT)


def test_nova_policy_and_another_members_console(alice, second_member, server_factory,
                                                 nova_policy):
    desktop = server_factory.create(alice, f"it-policy-{uuid.uuid4().hex[:8]}")
    server_id = desktop["id"]
    member = second_member
    # nova's defaults: any member of the project gets a console of alice's desktop
    assert legacy_console(member, server_id) == 200
    assert remote_console(member, server_id) == 200

    nova_policy(POLICY)
    try:
        results = {
            "member >=2.6": remote_console(member, server_id),
            "owner >=2.6": remote_console(alice, server_id),
            "member 2.1": legacy_console(member, server_id),
            "member stop": stop(member, server_id),
            "owner stop": stop(alice, server_id),
        }
    finally:
        nova_policy(RESTORED)
    # the user_id console rule: nobody at >= 2.6 (not even the owner), everybody at 2.1
    assert results["member >=2.6"] == 403 and results["owner >=2.6"] == 403, results
    assert results["member 2.1"] == 200, results
    # where nova passes the instance's user_id, the owner-only rule holds
    assert results["member stop"] == 403 and results["owner stop"] == 202, results
    # nova's defaults again
    assert remote_console(member, server_id) in (200, 409)   # 409: alice's stop under way
    call(alice.compute, "GET", f"/servers/{server_id}")
