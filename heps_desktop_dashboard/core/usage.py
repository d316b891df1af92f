"""Desktop-hours and GPU-hours from nova's usage records: which records are desktops,
their GPUs (from the profile's extra specs), totals per project, experiment or user, and
the split per day. Plain Python: the inputs are nova's dicts and server objects.

Hours are nova's (``os-simple-tenant-usage``); GPU-hours = hours x the GPUs the profile
asks placement for.
"""

import dataclasses
import datetime

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import gpu_capacity
from heps_desktop_dashboard.core import profiles

BY_PROJECT = "project"
BY_EXPERIMENT = "experiment"
BY_USER = "user"
GROUPS = (BY_PROJECT, BY_EXPERIMENT, BY_USER)
GPU_HOURS = "gpu"
DESKTOP_HOURS = "desktop"
METRICS = (GPU_HOURS, DESKTOP_HOURS)
MAX_DAYS = 366
REQUIRED = "required"


def gpu_classes(specs):
    """``{(resource class, traits): count}`` a flavor asks placement for: the vGPU type
    traits it requires (``trait:CUSTOM_…=required``) with ``VGPU``, none with a whole-GPU
    custom class or a ``pci:<alias>``."""
    specs = specs or {}
    traits = tuple(sorted(key.split(":", 1)[1] for key, value in specs.items()
                          if key.startswith("trait:") and str(value).lower() == REQUIRED
                          and key.split(":", 1)[1].startswith("CUSTOM_")))
    found = {}
    for resource_class, count in profiles.gpu_resources(specs).items():
        key = (resource_class, traits if resource_class == gpu_capacity.VGPU else ())
        found[key] = found.get(key, 0) + count
    return found


def class_label(key):
    """``VGPU (CUSTOM_HEPS_GPU_A16)``, ``CUSTOM_HEPS_GPU_A100``: as GPU Capacity says."""
    return gpu_capacity.class_label(*key)


def serves(key, resource_class, provider_traits):
    """Whether usage of GPU class ``key`` ran on providers of ``resource_class`` with
    ``provider_traits`` (a vGPU type: the traits the profile requires are among them)."""
    return key[0] == resource_class and set(key[1]) <= set(provider_traits or ())


@dataclasses.dataclass(frozen=True)
class DesktopUsage:
    """One desktop's usage in the period. ``user_id`` is "" and ``experiment`` None when
    the desktop is gone (nova's usage record does not say)."""

    server_id: str
    name: str
    project_id: str
    user_id: str
    experiment: object
    profile: str
    hours: float
    started_at: object
    ended_at: object
    gpus: dict
    deleted: bool = False

    @property
    def gpu_count(self):
        return sum(self.gpus.values())

    @property
    def gpu_hours(self):
        return self.hours * self.gpu_count

    def value(self, metric):
        return self.gpu_hours if metric == GPU_HOURS else self.hours


def _experiment(server):
    metadata = getattr(server, "metadata", None) or {}
    value = metadata.get(names.META_EXPERIMENT) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and desktops.EXPERIMENT_RE.fullmatch(value) else ""


def _flavor_specs(server):
    flavor = getattr(server, "flavor", None)
    specs = flavor.get("extra_specs") if isinstance(flavor, dict) else None
    return specs if isinstance(specs, dict) else None


def desktop_usages(records, desktops_by_id, specs_by_flavor_name, parse_time):
    """DesktopUsages of nova's server usage ``records``. A record is a desktop when the
    server is one of ``desktops_by_id`` (tagged, still there), or when it is gone and its
    flavor (by name: all nova's record keeps) is a desktop profile."""
    found = []
    for record in records:
        server_id = str(record.get("instance_id") or "")
        server = desktops_by_id.get(server_id)
        ended = parse_time(record.get("ended_at"))
        if server is None and ended is None:
            continue  # still there, but not a desktop
        flavor_name = str(record.get("flavor") or "")
        if server is not None:
            specs = _flavor_specs(server)
            if specs is None:
                specs = specs_by_flavor_name.get(flavor_name) or {}
            user_id = str(getattr(server, "user_id", "") or "")
            experiment = _experiment(server)
            flavor_name = desktops.flavor_name(server) or flavor_name
        else:
            specs = specs_by_flavor_name.get(flavor_name)
            if not profiles.is_profile(specs):
                continue
            user_id, experiment = "", None
        found.append(DesktopUsage(
            server_id=server_id, name=str(record.get("name") or ""),
            project_id=str(record.get("tenant_id") or ""), user_id=user_id,
            experiment=experiment, profile=flavor_name,
            hours=float(record.get("hours") or 0.0),
            started_at=parse_time(record.get("started_at")), ended_at=ended,
            gpus=gpu_classes(specs), deleted=server is None))
    return found


@dataclasses.dataclass
class Line:
    """A row of the report: one project, experiment (of a project) or user."""

    key: tuple
    project_id: str = ""
    experiment: object = ""
    user_id: str = ""
    desktops: int = 0
    desktop_hours: float = 0.0
    gpu_hours: float = 0.0
    gpu_by_class: dict = dataclasses.field(default_factory=dict)


def key_of(usage, by):
    if by == BY_EXPERIMENT:
        return (usage.project_id, usage.experiment)
    if by == BY_USER:
        return (usage.user_id,)
    return (usage.project_id,)


def group(usages, by=BY_PROJECT):
    """Lines of ``usages`` per ``by`` (GROUPS), most GPU-hours first."""
    lines = {}
    for usage in usages:
        key = key_of(usage, by)
        line = lines.get(key)
        if line is None:
            line = lines[key] = Line(
                key=key, project_id=usage.project_id if by != BY_USER else "",
                experiment=usage.experiment if by == BY_EXPERIMENT else "",
                user_id=usage.user_id if by == BY_USER else "")
        line.desktops += 1
        line.desktop_hours += usage.hours
        line.gpu_hours += usage.gpu_hours
        for key, count in usage.gpus.items():
            line.gpu_by_class[key] = line.gpu_by_class.get(key, 0.0) + usage.hours * count
    return sorted(lines.values(), key=lambda line: (-line.gpu_hours, -line.desktop_hours,
                                                    tuple(str(k) for k in line.key)))


def totals(usages):
    line = Line(key=())
    for usage in usages:
        line.desktops += 1
        line.desktop_hours += usage.hours
        line.gpu_hours += usage.gpu_hours
        for key, count in usage.gpus.items():
            line.gpu_by_class[key] = line.gpu_by_class.get(key, 0.0) + usage.hours * count
    return line


def days(start, stop):
    """The UTC dates the period touches, ``start`` (inclusive) to ``stop`` (exclusive)."""
    first = start.astimezone(datetime.UTC).date()
    last = (stop.astimezone(datetime.UTC) - datetime.timedelta(microseconds=1)).date()
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def _midnight(day):
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)


def shares_per_day(usage, start, stop, dates):
    """How ``usage``'s hours fall on ``dates``: fractions summing to 1 (its running time
    in the period, split at UTC midnight), or all 0 when it did not run."""
    begin = max(usage.started_at or start, start)
    end = min(usage.ended_at or stop, stop)
    whole = (end - begin).total_seconds()
    if whole <= 0:
        return [0.0] * len(dates)
    found = []
    for day in dates:
        low = max(begin, _midnight(day))
        high = min(end, _midnight(day + datetime.timedelta(days=1)))
        found.append(max((high - low).total_seconds(), 0.0) / whole)
    return found


def per_day(usages, start, stop, series_of, metric=GPU_HOURS):
    """``(dates, {series: [value per date]})``: ``series_of(usage)`` -> ``{series: weight}``
    (the usage's value in ``metric`` times the weight is split over its days)."""
    dates = days(start, stop)
    series = {}
    for usage in usages:
        shares = shares_per_day(usage, start, stop, dates)
        for name, weight in series_of(usage).items():
            values = series.setdefault(name, [0.0] * len(dates))
            amount = usage.value(metric) * weight
            for index, share in enumerate(shares):
                values[index] += amount * share
    return dates, series


def per_day_by(usages, start, stop, by=BY_PROJECT, metric=GPU_HOURS):
    return per_day(usages, start, stop, lambda usage: {key_of(usage, by): 1}, metric)


def per_day_by_gpu_class(usages, start, stop):
    """GPU-hours per day and GPU class (the GPU Capacity sparklines)."""
    return per_day(usages, start, stop, lambda usage: dict(usage.gpus), DESKTOP_HOURS)


def month_start(now):
    return datetime.datetime(now.year, now.month, 1, tzinfo=datetime.UTC)


# Rules of a usage period whose refusal an admin reads (desktops.RuleError.code).
PERIOD_REVERSED = "period_reversed"
PERIOD_TOO_LONG = "period_too_long"


def period_of_dates(first, last):
    """``(start, end)`` datetimes of the UTC dates ``first`` to ``last`` inclusive;
    ValueError when the dates are reversed or span more than MAX_DAYS."""
    if last < first:
        raise desktops.RuleError(PERIOD_REVERSED, "the period ends before it starts")
    if (last - first).days + 1 > MAX_DAYS:
        raise desktops.RuleError(PERIOD_TOO_LONG, f"at most {MAX_DAYS} days", max=MAX_DAYS)
    return _midnight(first), _midnight(last + datetime.timedelta(days=1))
