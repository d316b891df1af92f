"""GPU capacity from placement's numbers: per provider, per GPU class, and who holds a GPU.

Plain Python: the inputs are placement's inventories, usages, traits and allocations
(api/placement_inventory.py), the totals are sums of placement's own numbers.
"""

import dataclasses

VGPU = "VGPU"
# Servers in these states keep their GPU allocated but do not use it: shelving them
# (offload) gives the GPU back.
IDLE_STATUSES = ("SHUTOFF", "SUSPENDED", "PAUSED")


def is_gpu_class(resource_class):
    """``VGPU`` and every custom class naming a GPU (``CUSTOM_HEPS_GPU_A100``)."""
    return resource_class == VGPU or (resource_class.startswith("CUSTOM_")
                                      and "GPU" in resource_class)


def type_traits(traits):
    """The custom traits of a vGPU provider: what tells one vGPU type from another."""
    return tuple(sorted(t for t in traits or () if t.startswith("CUSTOM_")))


def class_label(resource_class, traits=()):
    """``VGPU (CUSTOM_HEPS_GPU_A16)`` for a vGPU type, the class name otherwise."""
    return f"{resource_class} ({', '.join(traits)})" if traits else resource_class


@dataclasses.dataclass(frozen=True)
class ProviderLine:
    """One GPU class on one resource provider."""

    uuid: str
    name: str
    host: str
    resource_class: str
    traits: tuple
    total: int
    reserved: int
    used: int
    allocation_ratio: float = 1.0

    @property
    def capacity(self):
        # What placement lets be allocated: (total - reserved) x allocation_ratio.
        return int((self.total - self.reserved) * self.allocation_ratio)

    @property
    def free(self):
        return max(self.capacity - self.used, 0)

    @property
    def key(self):
        return (self.resource_class, self.traits if self.resource_class == VGPU else ())

    @property
    def label(self):
        return class_label(*self.key)


@dataclasses.dataclass
class GpuClass:
    """A GPU class across the cloud: ``VGPU`` of one type (traits), or a custom class."""

    resource_class: str
    traits: tuple
    providers: list = dataclasses.field(default_factory=list)

    def _sum(self, attribute):
        return sum(getattr(line, attribute) for line in self.providers)

    @property
    def total(self):
        return self._sum("total")

    @property
    def reserved(self):
        return self._sum("reserved")

    @property
    def used(self):
        return self._sum("used")

    @property
    def free(self):
        return self._sum("free")

    @property
    def capacity(self):
        return self._sum("capacity")

    @property
    def label(self):
        return class_label(self.resource_class, self.traits)


def provider_lines(provider, root_name, inventories, usages, traits=()):
    """The ProviderLines of one provider's GPU inventories."""
    lines = []
    for rc, inventory in sorted(inventories.items()):
        if not is_gpu_class(rc):
            continue
        lines.append(ProviderLine(
            uuid=provider["uuid"], name=provider.get("name") or provider["uuid"],
            host=root_name, resource_class=rc, traits=type_traits(traits),
            total=int(inventory.get("total") or 0),
            reserved=int(inventory.get("reserved") or 0),
            used=int(usages.get(rc, 0)),
            allocation_ratio=float(inventory.get("allocation_ratio") or 1.0)))
    return lines


def group(lines):
    """GpuClasses of ProviderLines, custom (whole-GPU) classes and vGPU types by name."""
    classes = {}
    for line in lines:
        found = classes.setdefault(line.key, GpuClass(line.key[0], line.key[1]))
        found.providers.append(line)
    for found in classes.values():
        found.providers.sort(key=lambda line: (line.host, line.name))
    return [classes[key] for key in sorted(classes)]


@dataclasses.dataclass(frozen=True)
class Holder:
    """A consumer holding GPUs of one class on one provider."""

    consumer_id: str
    resource_class: str
    amount: int
    provider: str
    host: str
    label: str
    server: object = None  # the desktop (nova server) when the consumer is one

    @property
    def status(self):
        return str(getattr(self.server, "status", "") or "").upper()

    @property
    def task_state(self):
        return getattr(self.server, "OS-EXT-STS:task_state", None)

    @property
    def idle(self):
        """A desktop holding its GPU while stopped, suspended or paused: waste."""
        return self.server is not None and self.status in IDLE_STATUSES \
            and not self.task_state


def holders(lines, allocations_by_provider, servers_by_id):
    """Holders of every GPU provider's allocations; idle desktops first."""
    by_class = {(line.uuid, line.resource_class): line for line in lines}
    found = []
    for provider_uuid, consumers in allocations_by_provider.items():
        for consumer_id, resources in consumers.items():
            for rc, amount in sorted(resources.items()):
                line = by_class.get((provider_uuid, rc))
                if line is None or amount <= 0:
                    continue
                found.append(Holder(consumer_id, rc, amount, line.name, line.host,
                                    line.label,
                                    servers_by_id.get(consumer_id)))
    found.sort(key=lambda h: (not h.idle, h.label, h.host, h.consumer_id))
    return found
