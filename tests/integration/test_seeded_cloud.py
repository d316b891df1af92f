"""The seed's contract with the plugin, read back as the demo users see it."""

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from cloud_fixtures import REPO
from cloud_fixtures import SEED
from cloud_fixtures import call
from cloud_fixtures import nova
from cloud_fixtures import wait_server
from keystoneauth1 import exceptions as ks_exc

pytestmark = pytest.mark.integration

MANILA_MV = "2.65"


def test_desktop_profiles_visible_to_a_member(alice):
    flavors = {f["name"]: f for f in
               nova(alice, "GET", "/flavors/detail")["flavors"]}
    assert set(SEED.FLAVORS) <= set(flavors)
    for name, spec in SEED.FLAVORS.items():
        specs = nova(alice, "GET", f"/flavors/{flavors[name]['id']}/os-extra_specs"
                     )["extra_specs"]
        assert specs == spec["extra_specs"], name
    vgpu = SEED.FLAVORS["heps.vgpu.a16"]["extra_specs"]
    assert vgpu["heps:profile"] == "true" and vgpu["resources:VGPU"] == "1"
    assert "heps:profile" not in SEED.FLAVORS["m1.small"]["extra_specs"]


def test_golden_images(alice):
    images = {i["name"]: i for i in
              call(alice.image, "GET", "/images?visibility=public")["images"]}
    golden = {n for n, i in images.items() if i.get("heps_golden") == "true"}
    assert golden == {"heps-imaging-desktop-2026.1",
                      "heps-diffraction-desktop-2026.1"}
    assert images["heps-imaging-desktop-2026.1"]["heps_techniques"] == \
        "imaging,tomography"
    assert images["heps-diffraction-desktop-2026.1"]["hw_video_model"] == "qxl"
    assert images["cirros-plain"]["status"] == "active"
    assert all(images[n]["status"] == "active" for n in golden)


def _shares(conn):
    return call(conn.shared_file_system, "GET", "/shares/detail",
                headers={"X-OpenStack-Manila-API-Version": MANILA_MV})["shares"]


def test_experiment_shares_belong_to_their_project(alice, bob):
    mine = {s["name"]: s for s in _shares(alice)}
    assert set(mine) == {"exp-2026-0142-raw", "exp-2026-0142-results"}
    assert all(s["status"] == "available" for s in mine.values())
    assert mine["exp-2026-0142-raw"]["metadata"] == {
        "heps:experiment": "2026-0142", "heps:kind": "raw"}
    assert mine["exp-2026-0142-results"]["metadata"]["heps:kind"] == "results"
    assert {s["name"] for s in _shares(bob)} == {
        "exp-2026-0217-raw", "exp-2026-0217-results"}


def test_desktop_network_and_security_group(alice, devcloud):
    pid = devcloud.project_id("experiment-a")
    nets = call(alice.network, "GET", "/networks?name=desktop-net")["networks"]
    assert [n["project_id"] for n in nets] == [pid]
    groups = call(alice.network, "GET",
                  "/security-groups?name=heps-desktop")["security_groups"]
    assert len(groups) == 1
    ingress = [r for r in groups[0]["security_group_rules"]
               if r["direction"] == "ingress"]
    assert [(r["protocol"], r["remote_ip_prefix"]) for r in ingress] == [
        ("icmp", SEED.PROJECTS["experiment-a"]["cidr"])]
    routers = call(alice.network, "GET", "/routers")["routers"]
    assert [r["name"] for r in routers] == ["desktop-router"]
    assert routers[0]["external_gateway_info"]["network_id"] == \
        devcloud.manifest["public_network"]


def test_unified_limits_reach_nova(alice):
    absolute = nova(alice, "GET", "/limits")["limits"]["absolute"]
    assert absolute["maxTotalInstances"] == SEED.PROJECT_LIMITS["servers"]
    assert absolute["maxTotalCores"] == SEED.PROJECT_LIMITS["class:VCPU"]
    assert absolute["maxTotalRAMSize"] == SEED.PROJECT_LIMITS["class:MEMORY_MB"]


def test_reader_sees_both_experiments(reader, devcloud):
    resp = reader.identity.get(f"/users/{devcloud.manifest['users']['reader']}"
                               "/projects")
    assert resp.status_code == 200
    assert {p["name"] for p in resp.json()["projects"]} == {
        "experiment-a", "experiment-b"}


def test_seed_is_idempotent(devcloud):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(HEPS_DEVCLOUD_STATE=str(devcloud.state),
               OS_CLIENT_CONFIG_FILE=str(devcloud.clouds_yaml))
    python = REPO / ".devcloud" / "venv" / "bin" / "python"
    out = subprocess.run(
        [str(python if python.exists() else sys.executable),
         str(REPO / "devcloud" / "seed" / "seed.py")],
        env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr + out.stdout
    assert " 0 created, 0 updated," in out.stdout, out.stdout


def test_secret_files_are_private(devcloud):
    """admin-openrc.sh, passwords.env, clouds.yaml and the service configs hold passwords:
    readable by their owner only."""
    import stat

    secrets = [devcloud.state / name for name in ("admin-openrc.sh", "passwords.env",
                                                  "clouds.yaml")]
    secrets += sorted((devcloud.state / "etc").rglob("*.conf"))
    loose = [str(p) for p in secrets
             if p.exists() and stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert not loose


# --- cinder: volume type, quotas, volumes from images, backups, boot from volume --------------

CINDER_MV = "3.62"
GiB = 1024 ** 3


def cinder(conn, method, url, ok=(200, 201, 202, 204), **kw):
    return call(conn.block_storage, method, url, ok, microversion=CINDER_MV, **kw)


def _wait(conn, kind, rid, statuses=("available",), timeout=120):
    """Poll a volume or backup until its status is one of statuses (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        doc = cinder(conn, "GET", f"/{kind}s/{rid}")[kind]
        if doc["status"] in statuses:
            return doc
        assert not doc["status"].startswith("error"), f"{kind} {rid}: {doc['status']}"
        assert time.monotonic() < deadline, f"{kind} {rid} still {doc['status']}"
        time.sleep(0.5)


def _volume_file(devcloud, volume_id):
    return devcloud.state / "cinder" / "volumes" / f"volume-{volume_id}.img"


def _read(path, offset, size):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(size)


def _delete_quietly(conn, kind, rid, timeout=90):
    """Delete a test volume/backup and wait until it is gone; never raises (a fault test
    may have cinder-api down for a moment: keep trying until the deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            resp = conn.block_storage.get(f"/{kind}s/{rid}", microversion=CINDER_MV)
            if resp.status_code == 404:
                return
            if resp.status_code == 200 and resp.json()[kind]["status"] not in (
                    "deleting", "creating", "restoring", "attaching", "detaching",
                    "backing-up", "downloading"):
                conn.block_storage.delete(f"/{kind}s/{rid}", microversion=CINDER_MV)
        except ks_exc.ConnectionError:
            pass
        time.sleep(0.5)


def test_volume_type_and_quotas_seeded(alice, bob, devcloud):
    types = {t["name"]: t for t in cinder(alice, "GET", "/types")["volume_types"]}
    assert types[SEED.VOLUME_TYPE]["id"] == devcloud.manifest["volume_type"]
    assert cinder(alice, "GET", "/types/default")["volume_type"]["name"] == SEED.VOLUME_TYPE
    for conn, project in ((alice, "experiment-a"), (bob, "experiment-b")):
        quota = cinder(conn, "GET", f"/os-quota-sets/{devcloud.project_id(project)}"
                       )["quota_set"]
        assert {k: quota[k] for k in SEED.VOLUME_QUOTAS} == SEED.VOLUME_QUOTAS, project


def test_volume_from_image_backup_and_restore_keep_the_data(alice, devcloud):
    """Image bytes land in the volume file; a backup and its restore carry them and data
    written far into the (sparse) volume; the restored volume keeps the image metadata."""
    sfx = uuid.uuid4().hex[:8]
    payload = b"HEPS-IMAGE" + os.urandom(256 * 1024)
    image = call(alice.image, "POST", "/images", json={
        "name": f"it-vol-image-{sfx}", "disk_format": "raw",
        "container_format": "bare", "visibility": "private"})
    made = []
    try:
        call(alice.image, "PUT", f"/images/{image['id']}/file", data=payload,
             headers={"Content-Type": "application/octet-stream"})
        vol = cinder(alice, "POST", "/volumes", json={"volume": {
            "name": f"it-vol-{sfx}", "size": 1, "imageRef": image["id"]}})["volume"]
        made.append(("volume", vol["id"]))
        vol = _wait(alice, "volume", vol["id"])
        assert vol["volume_type"] == SEED.VOLUME_TYPE and vol["bootable"] == "true"
        path = _volume_file(devcloud, vol["id"])
        assert path.stat().st_size == GiB
        assert _read(path, 0, len(payload)) == payload
        with open(path, "r+b") as f:  # what a guest wrote, in the middle of a hole
            f.seek(700 * 1024 ** 2)
            f.write(b"far data " + sfx.encode())

        backup = cinder(alice, "POST", "/backups", json={"backup": {
            "volume_id": vol["id"], "name": f"it-backup-{sfx}"}})["backup"]
        made.append(("backup", backup["id"]))
        assert _wait(alice, "backup", backup["id"], timeout=180)["size"] == 1
        restored = cinder(alice, "POST", f"/backups/{backup['id']}/restore", json={
            "restore": {"name": f"it-restored-{sfx}"}})["restore"]
        made.append(("volume", restored["volume_id"]))
        done = _wait(alice, "volume", restored["volume_id"], timeout=180)
        assert done["volume_image_metadata"]["image_id"] == image["id"]
        rpath = _volume_file(devcloud, done["id"])
        assert _read(rpath, 0, len(payload)) == payload
        assert _read(rpath, 700 * 1024 ** 2, 17) == b"far data " + sfx.encode()
    finally:
        for kind, rid in reversed(made):
            _delete_quietly(alice, kind, rid)
        try:
            alice.image.delete(f"/images/{image['id']}")
        except ks_exc.ConnectionError:  # glance down (fault test): it-vol-image-* stays
            pass


def _boot_from_volume(alice, devcloud, name, source, uuid_, size=None, delete=True):
    m = devcloud.manifest
    bdm = {"boot_index": 0, "uuid": uuid_, "source_type": source,
           "destination_type": "volume", "delete_on_termination": delete}
    if size:
        bdm["volume_size"] = size
    return nova(alice, "POST", "/servers", json={"server": {
        "name": name, "flavorRef": m["flavors"]["heps.cpu.std"],
        "networks": [{"uuid": m["desktop_networks"]["experiment-a"]}],
        "security_groups": [{"name": SEED.SECURITY_GROUP}],
        "block_device_mapping_v2": [bdm]}})["server"]


def _attached(alice, server_id):
    return {a["volumeId"] for a in nova(
        alice, "GET", f"/servers/{server_id}/os-volume_attachments")["volumeAttachments"]}


def _delete_servers(conn, server_ids, timeout=90):
    """Delete test servers and wait until they are gone (retried while nova-api is down)."""
    deadline = time.monotonic() + timeout
    left = list(server_ids)
    asked = set()
    while left and time.monotonic() < deadline:
        for sid in list(left):
            try:
                if sid not in asked:
                    conn.compute.delete(f"/servers/{sid}")
                    asked.add(sid)
                if conn.compute.get(f"/servers/{sid}").status_code == 404:
                    left.remove(sid)
            except ks_exc.ConnectionError:
                pass
        time.sleep(0.5)


def test_boot_from_volume_attach_and_resize(alice, admin, devcloud):
    """Boot from image -> volume, attach a second volume, resize the volume-backed server,
    detach, then boot another server from that (source) volume."""
    sfx = uuid.uuid4().hex[:8]
    golden = devcloud.manifest["images"]["heps-imaging-desktop-2026.1"]
    extra = cinder(alice, "POST", "/volumes", json={"volume": {
        "name": f"it-extra-{sfx}", "size": 1, "imageRef": golden}})["volume"]
    servers = []
    try:
        servers.append(_boot_from_volume(alice, devcloud, f"it-bfv-{sfx}", "image",
                                         golden, size=1)["id"])
        server = wait_server(alice, servers[0], timeout=120)
        (root,) = _attached(alice, server["id"])
        assert _wait(alice, "volume", root, ("in-use",))["bootable"] == "true"

        _wait(alice, "volume", extra["id"])
        nova(alice, "POST", f"/servers/{server['id']}/os-volume_attachments",
             json={"volumeAttachment": {"volumeId": extra["id"]}})
        _wait(alice, "volume", extra["id"], ("in-use",))
        host = nova(admin, "GET", f"/servers/{server['id']}")["server"][
            "OS-EXT-SRV-ATTR:host"]
        record = json.loads((devcloud.state / "compute" / host / "instances"
                             / f"{server['id']}.json").read_text())
        assert str(_volume_file(devcloud, extra["id"])) in {
            v["device_path"] for v in record["volumes"].values()}

        nova(alice, "POST", f"/servers/{server['id']}/action",
             json={"resize": {"flavorRef": devcloud.manifest["flavors"]["m1.small"]}})
        wait_server(alice, server["id"], ("VERIFY_RESIZE",), timeout=120)
        nova(alice, "POST", f"/servers/{server['id']}/action", json={"confirmResize": None})
        server = wait_server(alice, server["id"], timeout=60)
        assert server["flavor"]["original_name"] == "m1.small"
        assert _attached(alice, server["id"]) == {root, extra["id"]}

        nova(alice, "DELETE", f"/servers/{server['id']}/os-volume_attachments/{extra['id']}")
        _wait(alice, "volume", extra["id"])
        servers.append(_boot_from_volume(alice, devcloud, f"it-bfv-src-{sfx}", "volume",
                                         extra["id"], delete=False)["id"])
        wait_server(alice, servers[1], timeout=120)
        assert _attached(alice, servers[1]) == {extra["id"]}
    finally:
        _delete_servers(alice, servers)
        _delete_quietly(alice, "volume", extra["id"])
    # the image -> volume root goes with its server (delete_on_termination)
    deadline = time.monotonic() + 60
    while alice.block_storage.get(f"/volumes/{root}").status_code != 404:
        assert time.monotonic() < deadline, f"root volume {root} not deleted"
        time.sleep(0.5)
