"""Every POST endpoint and form of the plugin, once, for the hostile-input suite
(tests/integration/test_hostile_*.py) and the coverage check
(tests/unit/test_hostile_coverage.py, which fails when the urlconf has a URL or a
table action this table does not name).

Plain data and small payload makers; nothing here talks to a cloud. A payload maker
takes ``Targets`` (the ids the suite made on the dev cloud) and returns a payload the
form would accept; the suite then replaces field values with hostile ones.
"""

import dataclasses
import uuid

PROJECT_PANEL = "horizon:project:desktops"
ADMIN_PANELS = ("desktops", "gpu_capacity", "desktop_quotas", "desktop_profiles",
                "golden_images", "desktop_usage", "desktop_audit")

# What a URL's id names (the suite picks a value of that kind).
DESKTOP = "desktop"
PROJECT = "project"
FLAVOR = "flavor"
IMAGE = "image"
NONE = ""


@dataclasses.dataclass
class Targets:
    """Ids the suite made (or found) on the dev cloud."""

    own: str = ""            # alice's desktop (she may act on it)
    victim_a: str = ""       # a desktop of another member of alice's project
    victim_b: str = ""       # bob's desktop in the other project
    plain: str = ""          # alice's server without the desktop tag
    deleted: str = ""        # a server that was deleted
    experiment: str = ""     # alice's experiment id
    project: str = ""        # a temporary project (quota edits)
    flavor: str = ""         # a temporary, private desktop profile (flavor id)
    plain_flavor: str = ""   # a temporary flavor that is no desktop profile
    image: str = ""          # a temporary glance image (not golden)
    golden_image: str = ""   # a golden image of the catalog (launch)
    profile: str = ""        # the CPU profile's flavor id (launch)
    marker: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex[:8])


@dataclasses.dataclass(frozen=True)
class Form:
    """A modal form (POST to its own URL). ``fields``: what it posts; ``per_field``: the
    fields that also get one hostile value at a time with the others valid (left out
    where a valid rest would create shared things: launches, images, snapshots)."""

    url_name: str
    target: str
    fields: tuple
    valid: object            # Targets -> dict
    per_field: tuple = ()
    admin: bool = False


@dataclasses.dataclass(frozen=True)
class TableAction:
    """A POST action of a DataTable, posted to the table's page."""

    url_name: str
    table: str
    action: str
    admin: bool = False


def _p(name):
    return f"{PROJECT_PANEL}:{name}"


def _a(panel, name):
    return f"horizon:admin:{panel}:{name}"


def _launch(t):
    return {"image": t.golden_image, "profile": t.profile, "experiment": "",
            "name": f"it-hostile-{t.marker}", "lifetime_hours": "2", "public_ip": "",
            "launch_token": uuid.uuid4().hex}


def _attach(t):
    return {"experiment": t.experiment, "raw_access": "ro", "results_access": "rw",
            "confirm_restart": "on"}


def _profile(t):
    return {"name": f"heps-it-hostile-{t.marker}", "gpu_kind": "none", "vgpu_type": "",
            "passthrough_gpu": "", "gpu_count": "", "gpu_model": "", "vcpus": "1",
            "ram_mb": "512", "disk_gb": "1", "video_model": "", "video_ram_mb": "",
            "description": "hostile-input suite", "cpu_pinning": "", "huge_pages": "",
            "public_ip": "", "is_public": ""}


PROFILE_FIELDS = (*_profile(Targets()), "projects")


QUOTA_FIELDS = ("servers", "vcpus", "ram_mb", "gpu_VGPU", "gpu_CUSTOM_HEPS_GPU_A100",
                "extra_class", "extra_limit")

# Cinder's quotas (the form names them from the cloud's volume types too).
STORAGE_FIELDS = ("cinder_volumes", "cinder_gigabytes", "cinder_backups",
                  "cinder_backup_gigabytes")

FORMS = (
    Form(_p("launch"), NONE,
         ("image", "profile", "experiment", "name", "lifetime_hours", "public_ip",
          "launch_token"), _launch,
         # public_ip and an empty experiment are valid: a valid rest would launch
         per_field=("image", "profile", "experiment", "lifetime_hours")),
    Form(_p("extend"), DESKTOP, ("hours",), lambda t: {"hours": "1"}, per_field=("hours",)),
    Form(_p("rename"), DESKTOP, ("name",), lambda t: {"name": f"it-hostile-{t.marker}"},
         per_field=("name",)),
    Form(_p("share"), DESKTOP, ("grantee", "level"),
         lambda t: {"grantee": "0" * 32, "level": "view"}, per_field=("grantee", "level")),
    Form(_p("unshare"), DESKTOP, ("user_id",), lambda t: {"user_id": "0" * 32},
         per_field=("user_id",)),
    Form(_p("support_console"), DESKTOP, ("reason",), lambda t: {"reason": "ticket 1"},
         per_field=("reason",)),
    Form(_p("attach_experiment"), DESKTOP, ("experiment", "raw_access", "results_access",
                                            "confirm_restart"), _attach,
         per_field=("experiment", "raw_access", "results_access")),
    Form(_p("snapshot_results"), DESKTOP, ("name", "description"),
         lambda t: {"name": f"it-hostile-{t.marker}", "description": ""}),
    Form(_p("share_from_snapshot"), DESKTOP, ("snapshot", "name", "description"),
         lambda t: {"snapshot": "0" * 36, "name": f"it-hostile-{t.marker}",
                    "description": ""}, per_field=("snapshot",)),
    Form(_p("save_image"), DESKTOP, ("name",), lambda t: {"name": f"it-hostile-{t.marker}"}),
    Form(_p("boost"), DESKTOP, ("profile",), lambda t: {"profile": "0" * 36},
         per_field=("profile",)),
    # No fields: a POST makes the user's volume (not posted by the matrix).
    Form(_p("create_storage"), NONE, (), lambda t: {}),
    Form(_a("desktops", "extend"), DESKTOP, ("hours", "reason"),
         lambda t: {"hours": "1", "reason": "hostile-input suite"},
         per_field=("hours", "reason"), admin=True),
    Form(_a("desktop_quotas", "edit"), PROJECT, QUOTA_FIELDS,
         lambda t: dict.fromkeys(QUOTA_FIELDS, ""), per_field=QUOTA_FIELDS, admin=True),
    Form(_a("desktop_quotas", "edit_storage"), PROJECT, STORAGE_FIELDS,
         lambda t: dict.fromkeys(STORAGE_FIELDS, ""), per_field=STORAGE_FIELDS, admin=True),
    # Defaults: a valid rest would rewrite the cloud's default limits; hostile values
    # only (every one is refused by the required integer fields).
    Form(_a("desktop_quotas", "defaults"), NONE, QUOTA_FIELDS, lambda t: {}, admin=True),
    Form(_a("desktop_profiles", "create"), NONE, PROFILE_FIELDS, _profile,
         per_field=("name", "gpu_kind", "vgpu_type", "passthrough_gpu", "gpu_count",
                    "vcpus", "ram_mb", "disk_gb", "video_model", "video_ram_mb",
                    "projects"), admin=True),
    Form(_a("desktop_profiles", "edit"), FLAVOR, PROFILE_FIELDS, _profile,
         per_field=("name", "vcpus", "ram_mb", "gpu_kind"), admin=True),
    # No fields: what is hostile is the URL's flavor id.
    Form(_a("desktop_profiles", "delete"), FLAVOR, (), lambda t: {}, admin=True),
    Form(_a("golden_images", "edit"), IMAGE, ("golden", "techniques", "description",
                                              "gpu_driver"),
         lambda t: {"golden": "", "techniques": "imaging", "description": "suite",
                    "gpu_driver": ""},
         per_field=("techniques", "description", "gpu_driver"), admin=True),
)

TABLE_ACTIONS = tuple(
    [TableAction(_p("index"), "desktops", name)
     for name in ("start", "stop", "soft_reboot", "hard_reboot", "shelve", "unshelve",
                  "delete", "detach_experiment", "move_storage", "unboost")]
    + [TableAction(_p("archived"), "archives", "delete_archive")]
    + [TableAction(_a("desktops", "index"), "fleet", name, admin=True)
       for name in ("start", "stop", "shelve", "unshelve", "soft_reboot", "hard_reboot",
                    "delete")]
    + [TableAction(_a("golden_images", "index"), table, name, admin=True)
       for table, name in (("golden", "unmark"), ("candidates", "mark"))]
    + [TableAction(_a("gpu_capacity", "index"), "holders", "shelve", admin=True)]
)

# Views with no POST of their own (a POST must still be no 500) and GET forms.
GET_ONLY = {
    _p("index"): "the table's page (its actions are TABLE_ACTIONS)",
    _p("detail"): "tabs; its action buttons post to the index",
    _p("console_vv"): "a file download",
    _p("usage"): "GET period form",
    _p("usage_csv"): "GET period form",
    _p("archived"): "the Archived table (its action is in TABLE_ACTIONS)",
    _p("console_client"): "the console page (GET)",
    _p("status"): "a desktop's launch status (GET, JSON)",
    _a("desktops", "storage"): "volumes and archives of every project, read only",
    _a("desktops", "index"): "GET filter form; actions are TABLE_ACTIONS",
    _a("desktops", "detail"): "buttons post to the index",
    _a("gpu_capacity", "index"): "actions are TABLE_ACTIONS",
    _a("desktop_quotas", "index"): "link actions only",
    _a("desktop_profiles", "index"): "link actions only",
    _a("golden_images", "index"): "actions are TABLE_ACTIONS",
    _a("golden_images", "detail"): "checks, read only",
    _a("desktop_usage", "index"): "GET period form",
    _a("desktop_usage", "csv"): "GET period form",
    _a("desktop_usage", "sparkline"): "an SVG",
    _a("desktop_audit", "index"): "GET filter form",
    _a("desktop_audit", "csv"): "GET filter form",
}

# GET forms: the query parameters their forms read.
GET_FORMS = {
    _p("usage"): ("start", "end", "group", "metric"),
    _a("desktops", "index"): ("project", "owner", "profile", "gpu_model", "host", "status",
                              "expiring"),
    _a("desktop_usage", "index"): ("start", "end", "group", "metric"),
    _a("desktop_audit", "index"): ("user", "project", "action", "desktop", "result"),
}


def hostile_values(marker):
    """name -> value. Text a field might accept carries ``marker`` so what it made can
    be found and removed."""
    return {
        "empty": "",
        "10kB": "A" * 10240,
        "unicode": f"桌面-ünï\u200bcødé-Ω-{marker}",
        "script": f"<script>alert('{marker}')</script>",
        "quotes": f"\"'`{marker}\\\"--",
        "sql": f"x' OR '1'='1'; DROP TABLE instances;-- {marker}",
        "negative": "-1",
        "huge": "9" * 40,
        "float": "1e309",
    }


def id_values(t):
    """name -> a hostile id for a URL or a table action (``own`` is never one)."""
    return {
        "other-member": t.victim_a,
        "other-project": t.victim_b,
        "non-desktop": t.plain,
        "deleted": t.deleted,
        "junk-uuid": "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "script": "<script>x</script>",
        "sql": "1' OR '1'='1",
        "10kB": "f" * 10240,
        "separator": f"{t.victim_a}__{t.victim_b}",
    }
