"""pytest plugin (loaded by tests/cloud_fixtures.py): on a failed integration or browser
test, what the dev cloud's services logged during that test (logs with errors first,
from the first error on, at most 40 lines each) and the tails of the logs of the
processes tests/horizon_fixtures.py started (Horizon, the reconciler) are appended to
the test's report."""

import pytest
from cloud_fixtures import _LOG_TAIL_LINES
from cloud_fixtures import state_dir
from cloud_fixtures import tail

_LOG_MAX_FILES = 8

_log_sizes_key = pytest.StashKey[dict]()
# Logs of the processes tests/horizon_fixtures.py starts (Horizon, the reconciler).
service_logs = []


def _log_sizes():
    logs = state_dir() / "logs"
    if not logs.is_dir():
        return {}
    return {p: p.stat().st_size for p in logs.rglob("*.log") if p.is_file()}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.get_closest_marker("integration") or item.get_closest_marker("browser"):
        item.stash[_log_sizes_key] = _log_sizes()


def _written_during(path, start, max_bytes=256 * 1024):
    with open(path, "rb") as f:
        f.seek(max(start, path.stat().st_size - max_bytes))
        return f.read().decode("utf-8", "replace").splitlines()


_BAD = (" ERROR ", " CRITICAL ", "Traceback (most recent call last)", "HTTP/1.1 5")


def _failure_log_sections(before):
    """(title, text) for logs that grew during the test, files with errors first."""
    found = []
    for path, size in _log_sizes().items():
        start = before.get(path, 0)
        if size <= start:
            continue
        lines = _written_during(path, start)
        bad = [i for i, line in enumerate(lines) if any(b in line for b in _BAD)]
        if bad:  # from a little before the first error, at most the tail
            lines = lines[max(0, bad[0] - 5):]
        found.append((bool(bad), path, lines[-_LOG_TAIL_LINES:]))
    found.sort(key=lambda t: (not t[0], t[1].name))
    return [(f"devcloud log {p.name}{' (ERRORS)' if bad else ''}, written during the test",
             "\n".join(lines)) for bad, p, lines in found[:_LOG_MAX_FILES]]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and _log_sizes_key in item.stash:
        try:
            report.sections.extend(_failure_log_sections(item.stash[_log_sizes_key]))
        except OSError as e:
            report.sections.append(("devcloud logs", f"could not read: {e}"))
        if "horizon_server" in getattr(item, "fixturenames", ()):
            for log in service_logs:  # Horizon's and the reconciler's
                if log.exists():
                    report.sections.append((f"{log.name} (tail)", tail(log)))
    return report
