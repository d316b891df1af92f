"""The seed's contract with the plugin, read back as the demo users see it."""

import os
import subprocess
import sys

import pytest
from cloud_fixtures import REPO
from cloud_fixtures import SEED
from cloud_fixtures import call
from cloud_fixtures import nova

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
