"""What a desktop is: a nova server tagged ``heps-desktop`` with ``heps:*`` metadata.

The owner is nova's ``user_id`` and the expiry the one inside the plugin's signed token
(core/signing.py): neither can be changed by editing metadata.
"""

import dataclasses
import datetime
import re
import unicodedata

from heps_desktop_dashboard import exceptions
from heps_desktop_dashboard.core import boost
from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import signing

# nova limits metadata keys and values to 255 characters.
METADATA_VALUE_MAX = 255
NAME_MAX = 255
# Experiment ids are proposal numbers such as "2026-0142": keep them to a safe alphabet.
EXPERIMENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

# Why an expiry is not believed (DesktopInfo.expiry_problem).
EXPIRY_MISSING = "missing"
EXPIRY_UNSIGNED = "unsigned"
EXPIRY_BAD_SIGNATURE = "bad-signature"

InvalidDesktopMetadata = exceptions.InvalidDesktopMetadata


def utcnow():
    return datetime.datetime.now(datetime.UTC)


def parse_expiry(value):
    """Parse a UTC ISO-8601 timestamp (``...Z``, ``+00:00`` or naive) into an aware
    datetime; raises InvalidDesktopMetadata (a ValueError) for anything else."""
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
    if not isinstance(value, str) or not EXPERIMENT_RE.fullmatch(value):
        raise InvalidDesktopMetadata(f"experiment id has unexpected characters: {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class LifetimePolicy:
    """The deployment's lifetime settings and signing key (conf.lifetime_policy())."""

    key: bytes
    default_hours: int
    max_hours: int
    warning_hours: int


def expiry_metadata(policy, moment, subject, scope=signing.SCOPE_SERVER):
    """``heps:expires_at`` and its signed token for ``moment``."""
    text = format_expiry(moment)
    return {names.META_EXPIRES_AT: text,
            names.META_EXPIRY_SIGNATURE: signing.sign(policy.key, scope, text, subject)}


def build_metadata(*, policy, user_id, project_id, profile, expires_at, experiment=""):
    """The metadata a new desktop server is created with (expiry signed for launch)."""
    subject = signing.Subject(server_id="", user_id=user_id, project_id=project_id,
                              profile=profile)
    metadata = {names.META_PROFILE: profile}
    metadata.update(expiry_metadata(policy, expires_at, subject, signing.SCOPE_LAUNCH))
    experiment = validate_experiment(experiment)
    if experiment:
        metadata[names.META_EXPERIMENT] = experiment
    for key, value in metadata.items():
        if not value or len(value) > METADATA_VALUE_MAX:
            raise InvalidDesktopMetadata(f"{key} must be 1-{METADATA_VALUE_MAX} characters")
    return metadata


def is_desktop(server_tags):
    return names.DESKTOP_TAG in (server_tags or ())


def _server_metadata(server):
    metadata = getattr(server, "metadata", None)
    return metadata if isinstance(metadata, dict) else {}


def flavor_name(server):
    flavor = getattr(server, "flavor", None)
    return str(flavor.get("original_name") or "") if isinstance(flavor, dict) else ""


def subject_of(server):
    """The signing subject of a nova server: facts nova records, users cannot edit."""
    try:
        created = parse_expiry(getattr(server, "created", None))
    except InvalidDesktopMetadata:
        created = None
    return signing.Subject(server_id=str(server.id),
                           user_id=str(getattr(server, "user_id", "") or ""),
                           project_id=str(getattr(server, "tenant_id", "") or ""),
                           profile=flavor_name(server), created=created)


@dataclasses.dataclass(frozen=True)
class DesktopInfo:
    """The plugin's reading of a desktop. Malformed metadata never raises here: a
    desktop whose metadata was edited by hand still lists, its problems reported."""

    owner_id: str = ""
    profile: str = ""
    experiment: str = ""
    expires_at: datetime.datetime | None = None
    expiry_problem: str = ""
    claimed_expiry: str = ""
    problems: tuple = ()

    def time_left(self, now=None):
        if self.expires_at is None:
            return None
        return self.expires_at - (now or utcnow())

    def is_expired(self, now=None):
        left = self.time_left(now)
        return left is not None and left.total_seconds() <= 0


def fallback_expiry(created, policy, now):
    """The expiry of a desktop whose signed expiry is missing or forged: creation +
    the default lifetime, or, when that has passed, the warning window from now."""
    base = (created or now) + datetime.timedelta(hours=policy.default_hours)
    if base <= now:
        return now + datetime.timedelta(hours=policy.warning_hours)
    return base


def effective_expiry(server, policy, now=None):
    """(expiry, problem): the signed expiry, else the fallback and why."""
    now = now or utcnow()
    metadata = _server_metadata(server)
    subject = subject_of(server)
    token = metadata.get(names.META_EXPIRY_SIGNATURE)
    if token:
        # A boosted desktop runs on another flavor: the expiry signed for either profile
        # of its (signed) boost record stays valid.
        for profile in (subject.profile,) + boost.profiles_of(policy.key, subject.server_id,
                                                              metadata):
            text = signing.signed_expiry_text(
                policy.key, token, dataclasses.replace(subject, profile=profile),
                policy.max_hours, parse_expiry)
            if text:
                return parse_expiry(text), ""
        problem = EXPIRY_BAD_SIGNATURE
    else:
        problem = EXPIRY_UNSIGNED if metadata.get(names.META_EXPIRES_AT) else EXPIRY_MISSING
    return fallback_expiry(subject.created, policy, now), problem


def read_desktop(server, policy, now=None):
    """DesktopInfo of a nova server (owner: nova's user_id; expiry: the signed one)."""
    metadata = _server_metadata(server)
    problems = []
    experiment = metadata.get(names.META_EXPERIMENT) or ""
    if experiment:
        try:
            validate_experiment(experiment)
        except InvalidDesktopMetadata:
            problems.append(names.META_EXPERIMENT)
            experiment = ""
    expires_at, expiry_problem = effective_expiry(server, policy, now)
    if expiry_problem:
        problems.append(names.META_EXPIRES_AT)
    return DesktopInfo(
        owner_id=str(getattr(server, "user_id", "") or ""),
        profile=flavor_name(server) or str(metadata.get(names.META_PROFILE) or ""),
        experiment=str(experiment),
        expires_at=expires_at,
        expiry_problem=expiry_problem,
        claimed_expiry=str(metadata.get(names.META_EXPIRES_AT) or ""),
        problems=tuple(problems),
    )


# Rules whose refusal a user reads (RuleError.code): the dashboard words them in the
# user's language (dashboards/project/desktops/texts.py).
NAME_EMPTY = "name_empty"
NAME_TOO_LONG = "name_too_long"
NAME_CONTROL = "name_control"
NAME_NOVA_CHARS = "name_nova_chars"
EXTEND_HOURS = "extend_hours"
EXTEND_MAXIMUM = "extend_maximum"


class RuleError(ValueError):
    """A rule refused a value: ``code`` names the rule and ``params`` its numbers, for the
    dashboard to say it in the user's language; str() is the reason in English."""

    def __init__(self, code, message, **params):
        super().__init__(message)
        self.code = code
        self.params = params


def split_time_left(delta):
    """(days, hours, minutes) of a remaining lifetime, the parts format_time_left shows
    (minutes at least 1 when it is all that is left); None once it has expired."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return None
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return days, hours, minutes if days or hours else max(minutes, 1)


def format_time_left(delta):
    """Short human form of a remaining lifetime: '2d 3h', '5h 10m', '12m', 'expired'
    (the dashboard shows it in the user's language: desktops/texts.py)."""
    if delta is None:
        return ""
    parts = split_time_left(delta)
    if parts is None:
        return "expired"
    days, hours, minutes = parts
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


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
    """Strip and check a user-given desktop name against nova's rule for server names
    (printable characters of the Basic Multilingual Plane: no Unicode category C*, Zl or
    Zp), so that a refusal is said clearly instead of nova's 400; raises RuleError."""
    name = (value or "").strip()
    if not name:
        raise RuleError(NAME_EMPTY, "a desktop needs a name")
    if len(name) > NAME_MAX:
        raise RuleError(NAME_TOO_LONG, f"a desktop name is at most {NAME_MAX} characters",
                        max=NAME_MAX)
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise RuleError(NAME_CONTROL, "a desktop name cannot contain control characters")
    if any(ord(ch) > 0xFFFF or unicodedata.category(ch) in ("Zl", "Zp") for ch in name):
        raise RuleError(NAME_NOVA_CHARS, "a desktop name cannot contain characters outside "
                        "the Basic Multilingual Plane or line/paragraph separators")
    return name


def extended_expiry(current, hours, max_hours, now=None):
    """New expiry after extending by ``hours``: from the later of now and the current
    expiry, and never more than ``max_hours`` from now."""
    now = now or utcnow()
    if not isinstance(hours, int) or isinstance(hours, bool) or hours < 1:
        raise RuleError(EXTEND_HOURS, "extend by a whole number of hours, at least 1")
    start = max(now, current) if current else now
    limit = now + datetime.timedelta(hours=max_hours)
    if start >= limit:
        raise RuleError(EXTEND_MAXIMUM,
                        f"the desktop already runs until the maximum of {max_hours} hours",
                        max=max_hours)
    return min(start + datetime.timedelta(hours=hours), limit)


def within_warning(info, warning_hours, now=None):
    """True when a desktop expires within the warning window (and has not expired)."""
    left = info.time_left(now)
    if left is None:
        return False
    return 0 < left.total_seconds() <= warning_hours * 3600
