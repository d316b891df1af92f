"""Capturing the audit trail in tests: ``with captured() as events:`` collects every
event written to ``heps_desktops.audit`` (parsed from its JSON), in order."""

import contextlib
import json
import logging

from heps_desktop_dashboard.core import conventions


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.events = []

    def emit(self, record):
        self.events.append(json.loads(record.getMessage()))


@contextlib.contextmanager
def captured():
    logger = logging.getLogger(conventions.AUDIT_LOGGER)
    collector = _Collector()
    old_level = logger.level
    logger.addHandler(collector)
    logger.setLevel(logging.INFO)
    try:
        yield collector.events
    finally:
        logger.removeHandler(collector)
        logger.setLevel(old_level)


def actions(events, prefix=""):
    return [(e["action"], e["result"]) for e in events if e["action"].startswith(prefix)]


def event_line(action="desktop.launch", **fields):
    """One line of an audit file, as services/audit.py writes it."""
    record = {"time": "2026-11-29T09:00:00Z", "actor": "user", "user": "alice",
              "user_id": "u-alice", "project_id": "p-a", "action": action,
              "target_id": "", "target_name": "", "result": "ok", "request_id": "req-1",
              "source_ip": "192.0.2.7"}
    record.update(fields)
    return json.dumps(record, sort_keys=True)
