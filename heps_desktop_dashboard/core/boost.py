"""Boost: a desktop resized to a bigger profile for a while, and back (plain Python).

The boost is recorded on the server (``heps:boost``) as a signed record: which profile
the desktop came from, which it was boosted to, until when, and the state of the
resize. The HMAC binds the record to the server id, so a record written, edited or
copied by hand is ignored. ``next_step`` says what the reconciler does with a desktop.
"""

import dataclasses
import datetime
import hashlib
import hmac
import json

from heps_desktop_dashboard.core import conventions as names

BOOSTING = "boosting"      # resize to the bigger profile asked, not yet confirmed
BOOSTED = "boosted"        # running on the bigger profile until ``until``
RETURNING = "returning"    # resize back to the own profile asked
STATES = (BOOSTING, BOOSTED, RETURNING)

# Steps of the reconciler.
NOTHING = ""
WAIT = "wait"
CONFIRM = "confirm"        # nova waits in VERIFY_RESIZE
MARK_BOOSTED = "mark"      # the boost resize is confirmed: record it
RETURN = "return"          # resize back to the own profile
CLEAR = "clear"            # nothing (left) to do: remove the record
FORGED = "forged"          # a record the plugin did not sign: removed

# A resize asked for less than this long ago may not have started yet.
GRACE = datetime.timedelta(minutes=5)
VALUE_MAX = 255
_MAC_CHARS = 32
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclasses.dataclass(frozen=True)
class Record:
    state: str
    from_profile: str
    to_profile: str
    until: datetime.datetime
    asked: datetime.datetime

    def with_state(self, state, asked):
        return dataclasses.replace(self, state=state, asked=asked)


@dataclasses.dataclass(frozen=True)
class Step:
    action: str
    why: str = ""


def _text(moment):
    return moment.astimezone(datetime.UTC).strftime(_FORMAT)


def _parse(text):
    return datetime.datetime.strptime(str(text), _FORMAT).replace(
        tzinfo=datetime.UTC)


def _mac(key, server_id, fields):
    message = "\x1f".join(["v1", str(server_id)] + [str(f) for f in fields]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_MAC_CHARS]


def _fields(record):
    return (record.state, record.from_profile, record.to_profile, _text(record.until),
            _text(record.asked))


def encode(key, server_id, record):
    """The metadata value of ``record`` for ``server_id``; ValueError when nova would
    not store it (longer than 255 characters: profile names too long)."""
    if record.state not in STATES:
        raise ValueError(f"unknown boost state {record.state!r}")
    state, from_profile, to_profile, until, asked = _fields(record)
    value = json.dumps({"s": state, "f": from_profile, "t": to_profile, "u": until,
                        "a": asked, "m": _mac(key, server_id, _fields(record))},
                       separators=(",", ":"))
    if len(value) > VALUE_MAX:
        raise ValueError("profile names too long for a boost record")
    return value


def metadata(key, server_id, record):
    return {names.META_BOOST: encode(key, server_id, record)}


def read(key, server_id, server_metadata):
    """``(record, present)``: the valid record of the server, or None; ``present`` says
    whether there was a value at all (a present but invalid one is forged)."""
    value = (server_metadata or {}).get(names.META_BOOST) if isinstance(
        server_metadata, dict) else None
    if not value:
        return None, False
    try:
        data = json.loads(value)
        record = Record(str(data["s"]), str(data["f"]), str(data["t"]), _parse(data["u"]),
                        _parse(data["a"]))
        mac = str(data["m"])
    except (ValueError, KeyError, TypeError):
        return None, True
    if record.state not in STATES or not hmac.compare_digest(
            mac, _mac(key, server_id, _fields(record))):
        return None, True
    return record, True


def new_record(from_profile, to_profile, now, hours):
    now = now.replace(microsecond=0)
    return Record(BOOSTING, from_profile, to_profile,
                  now + datetime.timedelta(hours=hours), now)


def profiles_of(key, server_id, server_metadata):
    """The profiles a valid boost record names (the expiry stays valid across them)."""
    record, _present = read(key, server_id, server_metadata)
    return () if record is None else (record.from_profile, record.to_profile)


def _settled(record, flavor, now):
    """The step of an idle desktop (ACTIVE or SHUTOFF, no task) with a record."""
    recent = now - record.asked < GRACE
    if flavor not in (record.from_profile, record.to_profile):
        return Step(CLEAR, f"resized to {flavor} outside the boost")
    if record.state == BOOSTING:
        if flavor == record.to_profile:
            return Step(MARK_BOOSTED, f"boosted to {flavor}")
        return Step(WAIT if recent else CLEAR,
                    "boost resize not started yet" if recent else "boost resize failed")
    if record.state == BOOSTED:
        if flavor == record.from_profile:
            return Step(CLEAR, f"back on {flavor}")
        if now >= record.until:
            return Step(RETURN, f"boost ended at {_text(record.until)}")
        return Step(NOTHING)
    if flavor == record.from_profile:
        return Step(CLEAR, f"returned to {flavor}")
    return Step(WAIT if recent else RETURN,
                "return resize not started yet" if recent else "return resize again")


def next_step(record, status, task_state, flavor, now):
    """What the reconciler does next with a desktop holding ``record`` (None: none)."""
    if record is None:
        return Step(NOTHING)
    status = str(status or "").upper()
    if task_state:
        return Step(WAIT, f"nova is busy ({task_state})")
    if status == "VERIFY_RESIZE":
        return Step(CONFIRM, f"confirm the resize ({record.state})")
    if status in ("ACTIVE", "SHUTOFF"):
        return _settled(record, flavor, now)
    return Step(WAIT, f"desktop is {status.lower()}")


def boosted_until(record):
    """When a desktop shows "Boosted until …": a boost under way or running."""
    if record is None or record.state == RETURNING:
        return None
    return record.until
