"""Reading the audit trail back: the recent events of the configured JSON-lines file
(``audit_log_file``), newest first. Reads the last ``TAIL_BYTES`` only; a line that is
not an event is counted and skipped, never an error."""

import dataclasses
import json
import logging
import os

from heps_desktop_dashboard import conf

LOG = logging.getLogger(__name__)
TAIL_BYTES = 8 * 1024 * 1024
LINE_MAX = 64 * 1024
# The event fields (services/audit.py), in the order tables and CSV show them.
FIELDS = ("time", "actor", "user", "user_id", "project_id", "action", "target_id",
          "target_name", "result", "request_id", "source_ip")
CSV_FIELDS = FIELDS + ("details",)
FILTERS = ("user", "project", "action", "desktop", "result")
# A spreadsheet runs a cell starting with these as a formula: CSV cells get a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class NotConfigured(Exception):
    """No ``audit_log_file`` in the settings."""


@dataclasses.dataclass
class Found:
    events: list                # dicts, newest first
    malformed: int = 0          # lines that were not an event
    truncated: bool = False     # the file is longer than what was read
    path: str = ""


def configured_path():
    path = conf.get("audit_log_file")
    if not path:
        raise NotConfigured()
    return str(path)


def parse_line(line):
    """The event in one line (a dict with an ``action``), or None. Tolerates a prefix
    before the JSON (a handler formatted with a time or level)."""
    text = line.strip()
    if not text or len(text) > LINE_MAX:
        return None
    for start in dict.fromkeys((0, text.find("{"))):
        if start < 0:
            continue
        try:
            found = json.loads(text[start:])
        except ValueError:
            continue
        if isinstance(found, dict) and isinstance(found.get("action"), str):
            return {key: _text(value) for key, value in found.items()
                    if isinstance(key, str)}
    return None


def _text(value):
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, (bool, int, float)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return json.dumps(value, sort_keys=True, default=str)


def read(path=None, tail_bytes=TAIL_BYTES):
    """The events of the last ``tail_bytes`` of the file, newest first. Raises
    NotConfigured, or OSError when the file cannot be read."""
    path = path or configured_path()
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        start = max(0, size - tail_bytes)
        handle.seek(start)
        data = handle.read(size - start)
    if start:
        data = data.partition(b"\n")[2]  # the first line read is cut
    found = Found(events=[], truncated=bool(start), path=path)
    for line in data.decode("utf-8", "replace").splitlines():
        event = parse_line(line)
        if event is None:
            found.malformed += bool(line.strip())
            continue
        found.events.append(event)
    found.events.reverse()
    return found


def _contains(value, wanted):
    return wanted.lower() in str(value or "").lower()


def matches(event, user="", project="", action="", desktop="", result=""):
    """The admin filters: user (name or id) and desktop (name or id) by substring,
    project id exactly or by prefix, action exactly or by prefix (``data.``), result
    exactly."""
    if user and not (_contains(event.get("user"), user)
                     or _contains(event.get("user_id"), user)):
        return False
    if project and not str(event.get("project_id") or "").startswith(project):
        return False
    if action and not (event.get("action") == action
                       or str(event.get("action")).startswith(action.rstrip(".") + ".")):
        return False
    if desktop and not (_contains(event.get("target_id"), desktop)
                        or _contains(event.get("target_name"), desktop)):
        return False
    return not result or event.get("result") == result


def select(events, limit=None, **filters):
    found = [event for event in events
             if matches(event, **{k: v for k, v in filters.items() if k in FILTERS and v})]
    return found[:limit] if limit else found


def for_desktop(desktop_id, project_id, limit=200):
    """The events about one desktop of one project (both must match), newest first.
    Raises NotConfigured or OSError like read()."""
    found = read()
    return [event for event in found.events
            if event.get("target_id") == desktop_id
            and event.get("project_id") == project_id][:limit]


def details_of(event):
    """The fields beyond the standard ones, as ``key=value`` text."""
    return ", ".join(f"{key}={event[key]}" for key in sorted(event)
                     if key not in FIELDS and event[key] not in ("", None))


def csv_cell(value):
    text = str(value if value is not None else "")
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(event):
    row = [event.get(field, "") for field in FIELDS] + [details_of(event)]
    return [csv_cell(value) for value in row]
