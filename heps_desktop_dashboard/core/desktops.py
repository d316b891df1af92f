"""What a desktop is: a nova server tagged ``heps-desktop`` with ``heps:*`` metadata."""

import dataclasses
import datetime
import re

from heps_desktop_dashboard import exceptions

DESKTOP_TAG = "heps-desktop"

META_EXPERIMENT = "heps:experiment"
META_PROFILE = "heps:profile"
META_EXPIRES_AT = "heps:expires_at"
META_OWNER = "heps:owner"

# nova limits metadata keys and values to 255 characters.
METADATA_VALUE_MAX = 255
# Experiment ids are proposal numbers such as "2026-0142": keep them to a safe alphabet.
EXPERIMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


InvalidDesktopMetadata = exceptions.InvalidDesktopMetadata


def utcnow():
    return datetime.datetime.now(datetime.UTC)


def parse_expiry(value):
    """Parse ``heps:expires_at`` (UTC ISO-8601) into an aware datetime.

    Accepts ``2026-11-26T10:00:00Z``, ``...+00:00`` and naive values (taken as UTC).
    Raises InvalidDesktopMetadata for anything else.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidDesktopMetadata(f"expiry is not a timestamp: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidDesktopMetadata(f"expiry is not ISO-8601: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def format_expiry(moment):
    """Render an aware datetime as the ``heps:expires_at`` value (second precision, Z)."""
    if moment.tzinfo is None:
        raise ValueError("expiry must be timezone-aware")
    return moment.astimezone(datetime.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def validate_experiment(value):
    if not value:
        return ""
    if not EXPERIMENT_RE.match(value):
        raise InvalidDesktopMetadata(f"experiment id has unexpected characters: {value!r}")
    return value


def build_metadata(*, owner, profile, expires_at, experiment=""):
    """The metadata a new desktop server is created with."""
    metadata = {
        META_OWNER: owner,
        META_PROFILE: profile,
        META_EXPIRES_AT: format_expiry(expires_at),
    }
    experiment = validate_experiment(experiment)
    if experiment:
        metadata[META_EXPERIMENT] = experiment
    for key, value in metadata.items():
        if not value or len(value) > METADATA_VALUE_MAX:
            raise InvalidDesktopMetadata(f"{key} must be 1-{METADATA_VALUE_MAX} characters")
    return metadata


@dataclasses.dataclass(frozen=True)
class DesktopInfo:
    """The plugin's reading of a server's ``heps:*`` metadata.

    Malformed values never raise here: a desktop whose metadata was edited by hand
    still lists, with the bad field reported in ``problems``.
    """

    owner: str = ""
    profile: str = ""
    experiment: str = ""
    expires_at: datetime.datetime | None = None
    problems: tuple = ()

    def time_left(self, now=None):
        if self.expires_at is None:
            return None
        return self.expires_at - (now or utcnow())

    def is_expired(self, now=None):
        left = self.time_left(now)
        return left is not None and left.total_seconds() <= 0


def is_desktop(server_tags):
    return DESKTOP_TAG in (server_tags or ())


def read_metadata(metadata):
    """Read a server's metadata dict into DesktopInfo, collecting problems instead of failing."""
    metadata = metadata if isinstance(metadata, dict) else {}
    problems = []
    expires_at = None
    raw_expiry = metadata.get(META_EXPIRES_AT)
    if raw_expiry:
        try:
            expires_at = parse_expiry(raw_expiry)
        except InvalidDesktopMetadata:
            problems.append(META_EXPIRES_AT)
    experiment = metadata.get(META_EXPERIMENT) or ""
    if experiment:
        try:
            validate_experiment(experiment)
        except InvalidDesktopMetadata:
            problems.append(META_EXPERIMENT)
    return DesktopInfo(
        owner=str(metadata.get(META_OWNER) or ""),
        profile=str(metadata.get(META_PROFILE) or ""),
        experiment=str(experiment),
        expires_at=expires_at,
        problems=tuple(problems),
    )


def format_time_left(delta):
    """Short human form of a remaining lifetime: '2d 3h', '5h 10m', '12m', 'expired'."""
    if delta is None:
        return ""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "expired"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{max(minutes, 1)}m"


NAME_MAX = 255


def expiry_after(hours, max_hours, now=None):
    """The expiry of a desktop given a lifetime in hours, bounded by ``max_hours``."""
    if not isinstance(hours, int) or isinstance(hours, bool):
        raise ValueError("lifetime must be a whole number of hours")
    if hours < 1 or hours > max_hours:
        raise ValueError(f"lifetime must be between 1 and {max_hours} hours")
    return (now or utcnow()) + datetime.timedelta(hours=hours)


def default_name(username, experiment=""):
    """A desktop's default name: ``<user>-<experiment>-desktop`` or ``<user>-desktop``."""
    parts = [username or "user"]
    if experiment:
        parts.append(experiment)
    parts.append("desktop")
    return "-".join(parts)[:NAME_MAX]


def clean_name(value):
    """Strip and check a user-given desktop name; raises ValueError with the reason."""
    name = (value or "").strip()
    if not name:
        raise ValueError("a desktop needs a name")
    if len(name) > NAME_MAX:
        raise ValueError(f"a desktop name is at most {NAME_MAX} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ValueError("a desktop name cannot contain control characters")
    return name


def extended_expiry(current, hours, max_hours, now=None):
    """New expiry after extending by ``hours``: from the later of now and the current
    expiry, and never more than ``max_hours`` from now."""
    now = now or utcnow()
    if not isinstance(hours, int) or isinstance(hours, bool) or hours < 1:
        raise ValueError("extend by a whole number of hours, at least 1")
    start = max(now, current) if current else now
    limit = now + datetime.timedelta(hours=max_hours)
    if start >= limit:
        raise ValueError(f"the desktop already runs until the maximum of {max_hours} hours")
    return min(start + datetime.timedelta(hours=hours), limit)


def within_warning(info, warning_hours, now=None):
    """True when a desktop expires within the warning window (and has not expired)."""
    left = info.time_left(now)
    if left is None:
        return False
    return 0 < left.total_seconds() <= warning_hours * 3600
