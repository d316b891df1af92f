"""Keystone unified limits, nova quotas and placement usages as api/limits.py,
api/nova_quotas.py and api/placement_catalog.py return them, for the Desktop Quotas
tests: the dev cloud's shape (two experiments with project limits, registered limits of
the compute service, VGPU and an A100 class), under either nova quota driver."""

import uuid

from heps_desktop_dashboard import api

PROJECT_A = "e0000000000000000000000000000a01"
PROJECT_B = "e0000000000000000000000000000b02"
ADMIN_PROJECT = "e00000000000000000000000000adm03"
NAMES = {PROJECT_A: "experiment-a", PROJECT_B: "experiment-b", ADMIN_PROJECT: "admin"}
A100 = "CUSTOM_HEPS_GPU_A100"
REGION = "RegionOne"
SERVICE = "c0ffee00000000000000000000000001"
# What the board reads, and what the modals write (create_mocks).
READS = {api.identity_names: ["project_names"],
         api.limits: ["registered_limits", "project_limits"],
         api.nova_quotas: ["default_quota", "project_quota"],
         api.placement_catalog: ["resource_classes", "usages_of_project"]}
WRITES = {**READS,
          api.limits: READS[api.limits] + ["limit_update", "limit_create", "limit_delete",
                                            "registered_limit_update",
                                            "registered_limit_create"],
          api.nova_quotas: READS[api.nova_quotas] + ["project_quota_update",
                                                      "default_quota_update"]}
LEGACY = {"servers": "instances", "class:VCPU": "cores", "class:MEMORY_MB": "ram"}


def _id():
    return uuid.uuid4().hex


class FakeQuotas:
    """A cloud's quotas, served by the mocks of the api layer (each call counted)."""

    def __init__(self, driver="unified"):
        self.driver = driver
        self.registered = {"servers": 20, "class:VCPU": 64, "class:MEMORY_MB": 131072,
                           "class:VGPU": 8, f"class:{A100}": 4}
        self.registered_ids = {name: _id() for name in self.registered}
        project = {"servers": 10, "class:VCPU": 40, "class:MEMORY_MB": 131072,
                   "class:VGPU": 4, f"class:{A100}": 2}
        self.limits = {(pid, name): (value, _id()) for pid in (PROJECT_A, PROJECT_B)
                       for name, value in project.items()}
        # nova's own quotas (what the legacy driver enforces)
        self.nova_defaults = {"instances": 10, "cores": 20, "ram": 51200}
        self.nova_projects = {}
        self.usage = {PROJECT_A: {"VCPU": 4, "MEMORY_MB": 16384, "VGPU": 1},
                      PROJECT_B: {"VCPU": 8, "MEMORY_MB": 32768, A100: 1},
                      ADMIN_PROJECT: {}}
        self.servers = {PROJECT_A: 1, PROJECT_B: 1, ADMIN_PROJECT: 0}

    # --- keystone
    def registered_limits(self, ctx):
        return [{"id": self.registered_ids[name], "resource_name": name,
                 "default_limit": value, "region_id": REGION, "service_id": SERVICE}
                for name, value in self.registered.items()]

    def project_limits(self, ctx, project_id=None):
        return [{"id": limit_id, "project_id": pid, "resource_name": name,
                 "resource_limit": value, "region_id": REGION, "service_id": SERVICE}
                for (pid, name), (value, limit_id) in self.limits.items()
                if project_id in (None, pid)]

    def effective(self, project_id, name):
        if (project_id, name) in self.limits:
            return self.limits[(project_id, name)][0]
        return self.registered.get(name)

    # --- nova
    def default_quota(self, ctx):
        if self.driver == "unified":
            return {legacy: self.registered.get(name) or 0 for name, legacy in LEGACY.items()}
        return dict(self.nova_defaults)

    def project_quota(self, ctx, project_id):
        used = {"instances": self.servers.get(project_id, 0),
                "cores": self.usage.get(project_id, {}).get("VCPU", 0),
                "ram": self.usage.get(project_id, {}).get("MEMORY_MB", 0)}
        found = {}
        for name, legacy in LEGACY.items():
            if self.driver == "unified":
                limit = self.effective(project_id, name) or 0
            else:
                limit = self.nova_projects.get((project_id, legacy),
                                               self.nova_defaults[legacy])
            found[legacy] = {"limit": limit, "in_use": used[legacy], "reserved": 0}
        return found

    # --- placement
    def resource_classes(self, ctx):
        return ["VCPU", "MEMORY_MB", "DISK_GB", "VGPU", "PCI_DEVICE", A100,
                "CUSTOM_FPGA_X"]

    def usages_of_project(self, ctx, project_id):
        return dict(self.usage.get(project_id, {}))

    def install(self, test):
        """Wire a test's create_mocks (QUOTA_READS) to this cloud."""
        test.mock_project_names.return_value = dict(NAMES)
        test.mock_registered_limits.side_effect = self.registered_limits
        test.mock_project_limits.side_effect = self.project_limits
        test.mock_default_quota.side_effect = self.default_quota
        test.mock_project_quota.side_effect = self.project_quota
        test.mock_resource_classes.side_effect = self.resource_classes
        test.mock_usages_of_project.side_effect = self.usages_of_project
        if hasattr(test, "mock_limit_update"):
            test.mock_limit_update.side_effect = self.limit_update
            test.mock_limit_create.side_effect = self.limit_create
            test.mock_limit_delete.side_effect = self.limit_delete
        return self

    # --- keystone writes, as keystone does them (an update to 0 is ignored)
    def _key(self, limit_id):
        return next(key for key, (_v, lid) in self.limits.items() if lid == limit_id)

    def limit_update(self, ctx, limit_id, value):
        key = self._key(limit_id)
        if value:
            self.limits[key] = (value, limit_id)
        return {"id": limit_id, "resource_limit": self.limits[key][0]}

    def limit_create(self, ctx, project_id, name, value, region_id=None):
        limit_id = _id()
        self.limits[(project_id, name)] = (value, limit_id)
        return {"id": limit_id, "resource_limit": value}

    def limit_delete(self, ctx, limit_id):
        del self.limits[self._key(limit_id)]

    def limit_id(self, project_id, name):
        return self.limits[(project_id, name)][1]
