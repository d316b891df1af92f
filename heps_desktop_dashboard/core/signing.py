"""Tamper-evident lifetimes: the expiry a desktop runs until, signed by the plugin.

Server metadata is writable by every member of the project, so the plugin keeps the
expiry inside a signed token (``heps:expires_sig``) and never trusts ``heps:expires_at``
alone. A token is ``"v1 <scope> <expiry> <mac>"``:

* scope ``s``: bound to the server id (written by Extend and by the reconciler);
* scope ``l``: written at launch, before nova has given the server an id: bound to the
  launching user, the project and the profile, and only believed up to the server's
  creation time + the maximum lifetime (a token copied onto another desktop of the same
  user can never give more than a launch could).

Plain Python: the key comes from the caller (conf.signing_key()).
"""

import dataclasses
import datetime
import hashlib
import hmac

VERSION = "v1"
SCOPE_SERVER = "s"
SCOPE_LAUNCH = "l"


@dataclasses.dataclass(frozen=True)
class Subject:
    """What a token is about: the facts nova records and users cannot edit."""

    server_id: str
    user_id: str
    project_id: str
    profile: str
    created: datetime.datetime | None = None


def _mac(key, scope, expiry, subject):
    if scope == SCOPE_SERVER:
        fields = (VERSION, scope, expiry, subject.server_id, subject.profile)
    else:
        fields = (VERSION, scope, expiry, subject.user_id, subject.project_id, subject.profile)
    message = "\x1f".join(str(f) for f in fields).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(key, scope, expiry_text, subject):
    """The token for ``expiry_text`` (the ``heps:expires_at`` text, UTC, ...Z)."""
    if scope not in (SCOPE_SERVER, SCOPE_LAUNCH) or " " in expiry_text:
        raise ValueError("bad scope or expiry")
    return f"{VERSION} {scope} {expiry_text} {_mac(key, scope, expiry_text, subject)}"


def signed_expiry_text(key, token, subject, max_lifetime_hours, parse):
    """The expiry text a valid token carries, or None.

    ``parse`` turns the text into an aware datetime (core.desktops.parse_expiry); a
    launch-scoped token is only believed up to creation + ``max_lifetime_hours``.
    """
    parts = (token or "").split(" ")
    if len(parts) != 4 or parts[0] != VERSION or parts[1] not in (SCOPE_SERVER,
                                                                  SCOPE_LAUNCH):
        return None
    _version, scope, expiry_text, mac = parts
    if not hmac.compare_digest(mac, _mac(key, scope, expiry_text, subject)):
        return None
    try:
        moment = parse(expiry_text)
    except ValueError:
        return None
    if scope == SCOPE_LAUNCH:
        if subject.created is None:
            return None
        # A minute of slack: the token is signed just before nova records creation.
        latest = subject.created + datetime.timedelta(hours=max_lifetime_hours, minutes=1)
        if moment > latest:
            return None
    return expiry_text
