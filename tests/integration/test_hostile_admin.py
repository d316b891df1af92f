"""Hostile input on the Admin panels of the plugin (issue #10, reliability suite) and
on its GET forms, through Horizon in process with CSRF enforced, against the dev cloud.

Members, readers and another project's member are refused on every admin URL and
table action (nothing changes); an admin-role user of experiment-b (the admin
rule is cloud-wide, so the panels are theirs) sends hostile values in every field and
hostile ids in every URL and table action, against objects this module made (a
desktop, a server without the desktop tag, a deleted server, a project, a private
profile, a flavor that is no profile, an image): no HTTP 500, always a message,
and nothing outside those objects changes. The endpoint table is
tests/integration/hostile_endpoints.py.
"""

import contextlib
import datetime
import time
import uuid

import pytest
from cloud_fixtures import ServerFactory
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import wait_server
from django.contrib.messages import constants as message_levels

from integration import hostile_endpoints as endpoints
from integration import hostile_support as support

pytestmark = pytest.mark.integration

ADMIN_FORMS = [f for f in endpoints.FORMS if f.admin]
ADMIN_ACTIONS = [a for a in endpoints.TABLE_ACTIONS if a.admin]


def _make_flavor(admin, name, profile):
    flavor = admin.compute.create_flavor(name=name, ram=512, vcpus=1, disk=1,
                                         is_public=False)
    if profile:
        admin.compute.create_flavor_extra_specs(flavor, {"heps:profile": "true",
                                                         "heps:gpu_kind": "none"})
    return flavor.id


def _cleanup(admin, marker):
    for flavor in admin.compute.flavors(is_public=None):
        if marker in flavor.name:
            admin.compute.delete_flavor(flavor, ignore_missing=True)
    for image in admin.image.images():
        if marker in (image.name or ""):
            admin.image.delete_image(image, ignore_missing=True)


def _flavors(admin, keep):
    """Which of ``keep`` (the seeded flavors, the module's plain one) still exist."""
    present = {f.id for f in admin.compute.flavors(is_public=None)}
    return sorted(set(keep) & present)


def _limits(admin):
    return sorted((lim["resource_name"], lim["default_limit"]) for lim in call(
        admin.identity, "GET", "/registered_limits")["registered_limits"])


@pytest.fixture(scope="module")
def world(devcloud, admin, alice, bob):
    t = endpoints.Targets()
    with contextlib.ExitStack() as stack:
        stack.enter_context(support.horizon_settings(devcloud))
        stack.enter_context(support.recording_messages())
        boss, boss_pw = stack.enter_context(support.temporary_user(
            admin, "experiment-b", "admin", "heps-it-hostile-admin"))
        project = admin.identity.create_project(name=f"heps-it-hostile-{t.marker}",
                                                domain_id="default")
        stack.callback(admin.identity.delete_project, project)
        t.project = project.id
        stack.callback(_cleanup, admin, t.marker)
        t.flavor = _make_flavor(admin, f"heps-it-hostile-profile-{t.marker}", True)
        t.plain_flavor = _make_flavor(admin, f"heps-it-hostile-plain-{t.marker}", False)
        t.image = admin.image.create_image(name=f"heps-it-hostile-{t.marker}",
                                           disk_format="raw", container_format="bare",
                                           data=b"\0" * 512).id
        factory = ServerFactory(devcloud)
        stack.callback(factory.cleanup)
        # in experiment-b (bob's), leaving experiment-a's server quota to the other suite
        made = {
            "own": factory.create(bob, f"it-hostile-adm-{t.marker}", project="experiment-b",
                                  wait=False),
            "plain": factory.create(bob, f"it-hostile-admplain-{t.marker}", flavor="m1.small",
                                    image="cirros-plain", project="experiment-b",
                                    desktop=False, wait=False),
            "deleted": factory.create(bob, f"it-hostile-admgone-{t.marker}",
                                      flavor="m1.small", image="cirros-plain",
                                      project="experiment-b", desktop=False, wait=False),
        }
        for name, server in made.items():
            setattr(t, name, server["id"])
            wait_server(admin, server["id"])
        nova(admin, "DELETE", f"/servers/{t.deleted}")
        deadline = time.monotonic() + 90
        while "server" in nova(admin, "GET", f"/servers/{t.deleted}", ok=(200, 404)):
            assert time.monotonic() < deadline, "the deleted server stays"
            time.sleep(0.5)
        # ids an admin may act on are never posted as hostile ones
        t.victim_a = t.victim_b = t.plain
        users = {
            "member": support.login(devcloud, "alice"),
            "reader": support.login(devcloud, "reader"),
            "other-member": support.login(devcloud, "bob"),
        }
        shares = support.all_share_ids(devcloud)
        since = datetime.datetime.now(datetime.UTC).isoformat()[:19]
        before = {"own": support.state(admin, shares, t.own),
                  "plain": support.state(admin, shares, t.plain),
                  "limits": _limits(admin)}
        keep = [*devcloud.manifest["flavors"].values(), t.plain_flavor]
        before["flavors"] = _flavors(admin, keep)
        audit = stack.enter_context(support.AuditTrail().attached())
        members = {alice.current_user_id, admin.identity.find_user("reader").id,
                   bob.current_user_id}

        def unchanged():
            # members did nothing anywhere; the admin nothing to the non-desktop
            assert not [e for e in audit.events
                        if e.get("result") == "ok" and e.get("user_id") in members]
            assert not audit.done_on([t.plain, t.deleted])
            for name in ("own", "plain"):
                server_id = getattr(t, name)
                assert not support.actions_by(admin, server_id, members | {boss.id}, since)
                after = support.state(admin, shares, server_id)
                foreign = support.actions_by(admin, server_id, {admin.current_user_id}, since)
                assert support.compare(before[name], after, foreign), (name, after)
            assert _limits(admin) == before["limits"]
            assert _flavors(admin, keep) == before["flavors"]

        yield {"t": t, "users": users, "unchanged": unchanged, "admin": admin,
               "boss": support.Browser(boss.name, boss_pw, "other-admin")}
        unchanged()


def _target(form, t):
    return {endpoints.DESKTOP: t.own, endpoints.PROJECT: t.project,
            endpoints.FLAVOR: t.flavor, endpoints.IMAGE: t.image}.get(form.target)


def _successes(resp):
    return support.messages(resp, message_levels.SUCCESS)


def test_admin_urls_refuse_members_readers_and_other_projects(world):
    """Every admin form and table action, by every non-admin identity: refused with a
    message (a valid and a hostile body take turns; so do the ids)."""
    t = world["t"]
    for n, (who, browser) in enumerate(world["users"].items()):
        for i, form in enumerate(ADMIN_FORMS):
            path = support.url(form.url_name, _target(form, t))
            body = (form.valid(t), dict.fromkeys(form.fields, "1"))[(i + n) % 2]
            resp = browser.post(path, body)
            support.check(resp, (who, form.url_name))
            assert not _successes(resp), (who, form.url_name)
        for i, action in enumerate(ADMIN_ACTIONS):
            target = (t.own, t.image, t.plain)[(i + n) % 3]
            resp = browser.post(support.url(action.url_name),
                                {"action": f"{action.table}__{action.action}__{target}"})
            support.check(resp, (who, action.action))
            assert not _successes(resp), (who, action.action)
    world["unchanged"]()


def _admin_forms(world, full):
    """Hostile values in every field at once and in one field at a time with the rest
    valid, as an admin of another project (``full``: every value, both ways, every
    field; else half the values per form, taking turns)."""
    t = world["t"]
    boss = world["boss"]
    values = list(endpoints.hostile_values(t.marker).items())
    for i, form in enumerate(ADMIN_FORMS):
        if form.target == endpoints.FLAVOR and not form.fields:
            continue  # delete: only its URL id is hostile (below)
        path = support.url(form.url_name, _target(form, t))
        for j, (name, value) in enumerate(values):
            if not full and (i + j) % 2:
                continue
            if full or not form.per_field or j % 4 < 2:
                support.check(boss.post(path, dict.fromkeys(form.fields, value)),
                              (form.url_name, "all fields", name))
            if not form.per_field or (not full and j % 4 < 2):
                continue
            for field in form.per_field if full else \
                    form.per_field[(j // 2) % len(form.per_field):][:1]:
                body = {**form.valid(t), field: value}
                support.check(boss.post(path, body), (form.url_name, field, name))
    world["unchanged"]()


def _admin_ids(world, full):
    """Hostile ids in every admin URL (``full``: every id; else three per URL, taking
    turns) and in every admin table action (a selection of all of them, and one row)."""
    t = world["t"]
    boss = world["boss"]
    ids = {**endpoints.id_values(t), "other-flavor": t.plain_flavor,
           "deleted-flavor": uuid.uuid4().hex, "unknown-project": "f" * 32}
    ids = [(k, v) for k, v in ids.items() if k not in ("other-member", "other-project")]
    with_url = [f for f in ADMIN_FORMS if f.target != endpoints.NONE]
    for i, form in enumerate(with_url):
        chosen = ids if full else [ids[(3 * i + k) % len(ids)] for k in range(3)]
        if form.target == endpoints.FLAVOR:
            chosen = [*chosen, ("other-flavor", t.plain_flavor)]
        for id_name, target in chosen:
            resp = boss.post(support.url(form.url_name, target), form.valid(t))
            what = (form.url_name, id_name)
            support.check(resp, what)
            assert not _successes(resp), (what, _successes(resp))
    assert admin_flavor_exists(world["admin"], t.plain_flavor)
    for i, action in enumerate(ADMIN_ACTIONS):
        path = support.url(action.url_name)
        rows = ids if full else [ids[i % len(ids)]]
        posts = [{"action": f"{action.table}__{action.action}__{v}"} for _k, v in rows]
        posts.append({"action": f"{action.table}__{action.action}",
                      "object_ids": [v for _k, v in ids]})
        for body in posts:
            resp = boss.post(path, body)
            support.check(resp, (action.action, body["action"][:80]))
            assert not _successes(resp), (action.action, _successes(resp))
    world["unchanged"]()


def admin_flavor_exists(admin, flavor_id):
    return admin.compute.find_flavor(flavor_id, ignore_missing=True) is not None


def _get_forms(world, full):
    """The filter and period forms (GET): hostile query values render the page; a POST
    to a page without forms is no 500 either."""
    t = world["t"]
    boss = world["boss"]
    alice = world["users"]["member"]
    values = list(endpoints.hostile_values(t.marker).values())
    for i, (url_name, fields) in enumerate(endpoints.GET_FORMS.items()):
        browser = boss if url_name.startswith("horizon:admin:") else alice
        for value in values if full else values[i % 3::3]:
            resp = browser.get(support.url(url_name), dict.fromkeys(fields, value))
            assert resp.status_code < 500, (url_name, value[:20], resp.status_code)
    for url_name in endpoints.GET_ONLY:
        target = t.own if url_name.rsplit(":", 1)[1] in ("detail", "console_vv",
                                                          "status") else None
        browser = boss if url_name.startswith("horizon:admin:") else alice
        resp = browser.post(support.url(url_name, target), {"x": "<script>"})
        assert resp.status_code < 500, (url_name, resp.status_code)


def test_admin_forms_with_hostile_values(world):
    _admin_forms(world, full=False)


def test_admin_urls_and_table_actions_with_hostile_ids(world):
    _admin_ids(world, full=False)


def test_get_forms_with_hostile_values(world):
    _get_forms(world, full=False)


@pytest.mark.soak
def test_every_admin_field_value_and_id(world):
    """The whole product (make soak)."""
    _admin_forms(world, full=True)
    _admin_ids(world, full=True)
    _get_forms(world, full=True)
