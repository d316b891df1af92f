"""Sharing grants and support-access records on a desktop, signed like its expiry.

Server metadata is writable by every member of the project, so both are HMAC tokens
(key: conf.signing_key()) over facts a member cannot change by editing metadata:

* grant ``heps:grant:<user id>`` = ``"v1 <level> <mac>"``, mac over the server id, the
  grantee's user id and the level (``view`` or ``control``): a grant written by hand,
  copied to another desktop or user, or edited to another level grants nothing;
* support record ``heps:support:<user id>`` = ``"v1 <time> <mac> <reason>"``, mac over
  the server id, the support user's id, the time and the reason: who of the support
  staff opened the console, when and why (what the owner is shown).

Plain Python: the key comes from the caller.
"""

import dataclasses
import hashlib
import hmac
import re
import unicodedata

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core import desktops

VERSION = "v1"
VIEW = "view"
CONTROL = "control"
LEVELS = (VIEW, CONTROL)
# Keystone user ids (uuid hex, LDAP/federated ids) as nova accepts them in a metadata
# key (nova: [a-zA-Z0-9-_:. ], 255 characters at most).
USER_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# A support record must fit nova's 255-character metadata value with its signature.
REASON_MAX = 140
_LABEL_GRANT = "grant"
_LABEL_SUPPORT = "support"


class InvalidGrant(ValueError):
    """A user id nova cannot hold in a key, an unknown level, an empty reason."""


@dataclasses.dataclass(frozen=True)
class Grant:
    user_id: str
    level: str
    # False: the value is not one the plugin signed for this desktop, user and level.
    valid: bool


@dataclasses.dataclass(frozen=True)
class SupportRecord:
    user_id: str
    when: object  # aware datetime, or None when unreadable
    reason: str
    valid: bool


def _mac(key, *fields):
    message = "\x1f".join((VERSION,) + tuple(str(f) for f in fields)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _check_user(user_id):
    if not isinstance(user_id, str) or not USER_ID_RE.fullmatch(user_id):
        raise InvalidGrant(f"not a user id the dashboard can share with: {user_id!r}")
    return user_id


def grant_key(user_id):
    return names.META_GRANT_PREFIX + _check_user(user_id)


def support_key(user_id):
    return names.META_SUPPORT_PREFIX + _check_user(user_id)


def grant_value(key, server_id, user_id, level):
    """The metadata value granting ``level`` on ``server_id`` to ``user_id``."""
    if level not in LEVELS:
        raise InvalidGrant(f"unknown sharing level {level!r}")
    _check_user(user_id)
    return f"{VERSION} {level} {_mac(key, _LABEL_GRANT, server_id, user_id, level)}"


def _parse_grant(key, server_id, user_id, value):
    parts = str(value or "").split(" ")
    level = parts[1] if len(parts) == 3 else ""
    valid = (len(parts) == 3 and parts[0] == VERSION and level in LEVELS
             and hmac.compare_digest(parts[2], _mac(key, _LABEL_GRANT, server_id, user_id,
                                                    level)))
    return Grant(user_id, level, valid)


def read_grants(key, server_id, metadata):
    """Every ``heps:grant:*`` entry of a server, valid or not, by user id."""
    found = []
    for meta_key, value in sorted((metadata or {}).items()):
        if meta_key.startswith(names.META_GRANT_PREFIX):
            user_id = meta_key[len(names.META_GRANT_PREFIX):]
            found.append(_parse_grant(key, server_id, user_id, value))
    return found


def granted_level(key, server_id, metadata, user_id):
    """The level a valid grant gives ``user_id`` on the server, or ""."""
    if not user_id or not USER_ID_RE.fullmatch(str(user_id)):
        return ""
    value = (metadata or {}).get(names.META_GRANT_PREFIX + user_id)
    if value is None:
        return ""
    grant = _parse_grant(key, server_id, user_id, value)
    return grant.level if grant.valid else ""


def clean_reason(text):
    """One line of plain text, at most REASON_MAX characters (nova's metadata limit and
    its database's character set: characters outside the BMP become "?")."""
    line = " ".join(str(text or "").split())
    line = "".join("?" if ord(ch) > 0xFFFF or unicodedata.category(ch) == "Cc" else ch
                   for ch in line)
    if not line:
        raise InvalidGrant("a reason is needed")
    if len(line) > REASON_MAX:
        raise InvalidGrant(f"the reason is longer than {REASON_MAX} characters")
    return line


def support_value(key, server_id, user_id, when, reason):
    """The record of ``user_id`` opening the console at ``when`` (aware datetime)."""
    _check_user(user_id)
    reason = clean_reason(reason)
    when_text = desktops.format_expiry(when)
    mac = _mac(key, _LABEL_SUPPORT, server_id, user_id, when_text, reason)
    return f"{VERSION} {when_text} {mac} {reason}"


def _parse_support(key, server_id, user_id, value):
    parts = str(value or "").split(" ", 3)
    if len(parts) != 4 or parts[0] != VERSION:
        return SupportRecord(user_id, None, str(value or ""), False)
    _version, when_text, mac, reason = parts
    try:
        when = desktops.parse_expiry(when_text)
    except ValueError:
        return SupportRecord(user_id, None, reason, False)
    valid = hmac.compare_digest(mac, _mac(key, _LABEL_SUPPORT, server_id, user_id,
                                          when_text, reason))
    return SupportRecord(user_id, when, reason, valid)


def read_support(key, server_id, metadata):
    """Every ``heps:support:*`` record of a server, newest first (unreadable last)."""
    found = [_parse_support(key, server_id, meta_key[len(names.META_SUPPORT_PREFIX):], value)
             for meta_key, value in (metadata or {}).items()
             if meta_key.startswith(names.META_SUPPORT_PREFIX)]
    return sorted(found, key=lambda r: (r.when is not None, r.when and r.when.timestamp()),
                  reverse=True)


def support_record(key, server_id, metadata, user_id):
    """The valid record of ``user_id``'s last support open of the server, or None."""
    value = (metadata or {}).get(names.META_SUPPORT_PREFIX + str(user_id))
    if value is None:
        return None
    record = _parse_support(key, server_id, user_id, value)
    return record if record.valid else None
