"""Persistent desktops' volumes and archives: signed records on Cinder resources.

Volume and backup metadata is editable by every project member, so a record is believed
only with its signature (``heps:sig``, HMAC with the lifetime key, core/signing.py's
scheme): it binds the resource id, its project, its owner and every ``heps:*`` value.
A volume's owner is Cinder's ``user_id`` of the volume (nova created it with the
launching user's token); a backup is made by the operator, so its owner is the signed
value copied from the volume's ``user_id``. Plain Python: the key comes from the caller.
"""

import dataclasses
import datetime
import hashlib
import hmac
import re

from heps_desktop_dashboard.core import conventions as names

VERSION = "v1"
RESOURCE_VOLUME = "volume"
RESOURCE_BACKUP = "backup"
# The values a record signs, in order (besides the resource id, project and owner).
SIGNED_KEYS = (names.VOLUME_META_KIND, names.VOLUME_META_DESKTOP, names.VOLUME_META_NAME,
               names.VOLUME_META_PROFILE, names.VOLUME_META_IMAGE,
               names.VOLUME_META_ARCHIVED_AT, names.VOLUME_META_SOURCE)
RECORD_KEYS = SIGNED_KEYS + (names.VOLUME_META_OWNER, names.VOLUME_META_SIGNATURE)
# Cinder limits metadata values to 255 characters.
VALUE_MAX = 255
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# What an archive is (Archive.state).
READY = "ready"
PENDING = "pending"    # a backup or restored volume still being made
FAILED = "error"


@dataclasses.dataclass(frozen=True)
class Record:
    """The ``heps:*`` values of a volume or backup."""

    kind: str
    desktop: str = ""
    name: str = ""
    profile: str = ""
    image: str = ""
    archived_at: str = ""
    source: str = ""

    def values(self):
        return dict(zip(SIGNED_KEYS, (self.kind, self.desktop, self.name, self.profile,
                                      self.image, self.archived_at, self.source),
                        strict=True))


def _mac(key, resource, resource_id, project_id, owner_id, record):
    fields = (VERSION, resource, resource_id, project_id, owner_id) + tuple(
        record.values()[k] for k in SIGNED_KEYS)
    message = "\x1f".join(str(f or "") for f in fields).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def metadata(key, resource, resource_id, project_id, owner_id, record):
    """The metadata to write on a resource: the values (empty ones left out), the
    owner (for backups, whose Cinder user is the operator) and the signature."""
    found = {k: str(v) for k, v in record.values().items() if v}
    if any(len(v) > VALUE_MAX for v in found.values()):
        raise ValueError(f"a volume record value is longer than {VALUE_MAX} characters")
    found[names.VOLUME_META_OWNER] = owner_id
    found[names.VOLUME_META_SIGNATURE] = (
        f"{VERSION} {_mac(key, resource, resource_id, project_id, owner_id, record)}")
    return found


def read(key, resource, resource_id, project_id, owner_id, meta):
    """The Record of a resource's metadata when its signature is valid, else None.

    ``owner_id`` is the owner the caller trusts (a volume's ``user_id``); None takes the
    signed ``heps:owner`` (backups).
    """
    meta = meta or {}
    record = Record(*(str(meta.get(k) or "") for k in SIGNED_KEYS))
    if not record.kind:
        return None
    owner = str(meta.get(names.VOLUME_META_OWNER) or "") if owner_id is None else owner_id
    if owner_id is not None and meta.get(names.VOLUME_META_OWNER) not in (None, owner_id):
        return None
    token = str(meta.get(names.VOLUME_META_SIGNATURE) or "")
    version, _sep, mac = token.partition(" ")
    if version != VERSION or not mac or not owner:
        return None
    wanted = _mac(key, resource, resource_id, project_id, owner, record)
    return record if hmac.compare_digest(mac, wanted) else None


def record_keys(meta):
    """The record keys present in ``meta`` (to remove a record)."""
    return [k for k in RECORD_KEYS if k in (meta or {})]


def format_time(moment):
    return moment.astimezone(datetime.UTC).replace(microsecond=0).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def expires_at(record, archive_days):
    archived = parse_time(record.archived_at)
    if archived is None:
        return None
    return archived + datetime.timedelta(days=archive_days)


def is_expired(record, archive_days, now):
    moment = expires_at(record, archive_days)
    return moment is not None and moment <= now


@dataclasses.dataclass(frozen=True)
class Archive:
    """One archived desktop as the Archived tab shows it: a volume or a backup."""

    id: str               # "volume-<id>" / "backup-<id>": what the URLs carry
    resource: str
    resource_id: str
    project_id: str
    owner_id: str
    record: Record
    size_gb: int
    state: str
    expires_at: datetime.datetime | None = None

    @property
    def name(self):
        return self.record.name

    @property
    def profile(self):
        return self.record.profile

    @property
    def image_id(self):
        return self.record.image

    @property
    def archived_at(self):
        return parse_time(self.record.archived_at)


def archive_id(resource, resource_id):
    return f"{resource}-{resource_id}"


def split_archive_id(value):
    """(resource, id) of an archive id; ValueError when it is not one."""
    resource, _sep, ident = str(value or "").partition("-")
    if resource not in (RESOURCE_VOLUME, RESOURCE_BACKUP) or not UUID_RE.fullmatch(ident):
        raise ValueError(f"not an archive id: {value!r}")
    return resource, ident


def volume_size(profile_disk_gb, extra_specs, image_min_disk=0):
    """Root volume size (GB) of a profile: ``heps:root_volume_gb``, else the flavor's
    disk, never below the image's min_disk nor 1."""
    try:
        size = int(str((extra_specs or {}).get(names.SPEC_ROOT_VOLUME_GB, "")).strip())
    except ValueError:
        size = 0
    size = size or int(profile_disk_gb or 0)
    return max(size, int(image_min_disk or 0), 1)


def persistent_default(extra_specs):
    value = str((extra_specs or {}).get(names.SPEC_PERSISTENT, "")).strip().lower()
    return value in ("true", "1", "yes", "on")
