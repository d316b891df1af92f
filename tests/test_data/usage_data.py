"""nova usage records (``os-simple-tenant-usage``), flavors and desktops for the usage
reports: a vGPU, an A100 and a CPU profile, desktops of two projects and a deleted one."""

import datetime

from novaclient.v2 import flavors as nova_flavors

from heps_desktop_dashboard.api import nova_usage
from test_data import desktops_data as data

UTC = datetime.UTC
START = datetime.datetime(2026, 11, 1, tzinfo=UTC)
STOP = datetime.datetime(2026, 11, 4, tzinfo=UTC)
PROJECT_A, PROJECT_B = "e0000000000000000000000000000a01", "e0000000000000000000000000000b02"
ALICE, BOB = "a11ce000000000000000000000000001", "b0b00000000000000000000000000002"
VGPU_SPECS = {"heps:profile": "true", "heps:gpu_kind": "vgpu", "resources:VGPU": "1",
              "trait:CUSTOM_HEPS_GPU_A16": "required"}
A100_SPECS = {"heps:profile": "true", "heps:gpu_kind": "passthrough",
              "resources:CUSTOM_HEPS_GPU_A100": "2"}
CPU_SPECS = {"heps:profile": "true", "heps:gpu_kind": "none"}
SPECS = {"heps.vgpu.a16": VGPU_SPECS, "heps.a100.double": A100_SPECS,
         "heps.cpu.std": CPU_SPECS, "m1.small": {}}
VGPU_KEY = ("VGPU", ("CUSTOM_HEPS_GPU_A16",))
A100_KEY = ("CUSTOM_HEPS_GPU_A100", ())


def at(day, hour=0):
    return datetime.datetime(2026, 11, day, hour, tzinfo=UTC)


def _nova_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000") if moment else None


def record(server_id, flavor, started, ended=None, project=PROJECT_A, name=None,
           start=START, stop=STOP):
    """A server usage as nova reports it, hours computed as nova does."""
    begin, end = max(started, start), min(ended or stop, stop)
    return {"instance_id": server_id, "name": name or f"server-{server_id[:4]}",
            "tenant_id": project, "flavor": flavor,
            "hours": max((end - begin).total_seconds(), 0) / 3600.0,
            "started_at": _nova_time(started), "ended_at": _nova_time(ended),
            "state": "terminated" if ended else "active", "memory_mb": 1, "local_gb": 1,
            "vcpus": 1, "uptime": 0}


def period(records, start=START, stop=STOP):
    return nova_usage.UsagePeriod(start=start, stop=stop, servers=list(records))


def desktop(server_id, flavor="heps.vgpu.a16", project=PROJECT_A, user=ALICE,
            experiment="2026-0142", tags=("heps-desktop",)):
    server = data.server(name=f"desktop-{server_id[:4]}", server_id=server_id,
                         flavor_name=flavor, project_id=project, user_id=user,
                         experiment=experiment, tags=tags)
    server.flavor = dict(server.flavor, extra_specs=dict(SPECS[flavor]))
    return server


def flavor(name, flavor_id=None, public=True, ram=16384, disk=40):
    info = {"id": flavor_id or name, "name": name, "vcpus": 4, "ram": ram, "disk": disk,
            "os-flavor-access:is_public": public}
    return nova_flavors.Flavor(nova_flavors.FlavorManager(None), info, loaded=True)


def flavors_with_specs():
    return [(flavor(name), dict(specs)) for name, specs in SPECS.items()]
