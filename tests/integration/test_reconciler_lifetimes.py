"""Lifetimes enforced by ``heps_desktops_reconcile`` against the dev cloud: an expiry
edited by hand changes nothing, ``--now`` shows and does what a later pass would."""

import datetime
import io

import pytest
from cloud_fixtures import nova
from django.core.management import call_command
from django.core.management.base import CommandError

from heps_desktop_dashboard import conf
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import mounts
from integration import reconciler_support as support
from integration.reconciler_support import launcher_fixture  # noqa: F401

pytestmark = pytest.mark.integration


def reconcile(*args):
    out = io.StringIO()
    call_command("heps_desktops_reconcile", "--os-cloud", "devcloud-admin", *args,
                 stdout=out)
    return out.getvalue()


class _Server:
    """The attributes core.desktops reads, from nova's JSON."""

    def __init__(self, body):
        self.__dict__.update(body)


def signed_expiry(launcher, server_id):
    body = launcher.get(server_id)
    return desktops.read_desktop(_Server(body), conf.lifetime_policy()).expires_at


@pytest.fixture
def ops(settings, devcloud, monkeypatch):
    return support.settings_for(settings, devcloud, monkeypatch,
                                expired_action="shelve")


def test_edited_expiry_is_ignored_and_expiry_shelves_with_access_revoked(
        ops, launcher, admin, alice, devcloud):
    server = launcher.launch(hours=2)
    support.passes_until(ops, lambda: launcher.get(server.id)["metadata"].get(
        names.META_DATA_STATE) == mounts.STATE_ATTACHED)
    signed = signed_expiry(launcher, server.id)
    forged = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=100)
    nova(alice, "POST", f"/servers/{server.id}/metadata",
         json={"metadata": {names.META_EXPIRES_AT: support.utc_text(forged)}})
    assert signed_expiry(launcher, server.id) == signed          # still the signed time

    before = reconcile("--dry-run", "--now", support.utc_text(
        signed - datetime.timedelta(minutes=5)))
    assert not any(server.id in line and "shelve" in line for line in before.splitlines())

    later = support.utc_text(signed + datetime.timedelta(minutes=1))   # << +100 days
    planned = reconcile("--dry-run", "--now", later)
    line = next(line for line in planned.splitlines() if server.id in line)
    assert "dry-run" in line and "shelve" in line and "expired at" in line
    assert launcher.get(server.id)["status"] == "ACTIVE"           # dry run: nothing

    done = reconcile("--now", later)
    assert any(server.id in line and "shelve" in line and line.startswith("done")
               for line in done.splitlines()), done
    assert support.experiment_rules(admin, devcloud, server.id) == []
    launcher.wait(server.id, ("SHELVED_OFFLOADED", "SHELVED"))


def test_expired_action_delete(ops, launcher, admin, devcloud, settings):
    settings.HEPS_DESKTOPS = {**settings.HEPS_DESKTOPS, "expired_action": "delete"}
    server = launcher.launch(hours=1)
    support.passes_until(ops, lambda: len(
        support.experiment_rules(admin, devcloud, server.id)) == 2)
    later = support.utc_text(signed_expiry(launcher, server.id)
                             + datetime.timedelta(seconds=30))
    out = reconcile("--now", later, "--only", "lifetimes")
    assert any(server.id in line and "delete" in line for line in out.splitlines()), out
    launcher.wait(server.id, ("GONE",))
    assert support.experiment_rules(admin, devcloud, server.id) == []


def test_unsigned_expiry_gets_the_fallback_and_a_signature(ops, launcher, alice):
    server = launcher.launch(experiment=None, hours=100)
    nova(alice, "DELETE", f"/servers/{server.id}/metadata/{names.META_EXPIRY_SIGNATURE}")
    fallback = signed_expiry(launcher, server.id)
    created = desktops.parse_expiry(launcher.get(server.id)["created"])
    assert fallback == created + datetime.timedelta(hours=24)       # default lifetime
    out = reconcile("--only", "lifetimes")
    assert any(server.id in line and "sign" in line for line in out.splitlines()), out
    body = launcher.get(server.id)
    assert body["metadata"].get(names.META_EXPIRY_SIGNATURE, "").startswith("v1 s ")
    assert signed_expiry(launcher, server.id) == fallback


def test_bad_now_is_a_clear_error(ops):
    with pytest.raises(CommandError, match="--now"):
        reconcile("--now", "next tuesday")
