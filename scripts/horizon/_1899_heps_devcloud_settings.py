# The dev cloud's values for the Experiment Desktops settings (scripts/horizon-serve).
# Runs after the plugin's own snippet (_1799) and overrides only what differs.
import os as _os

# The audit trail as JSON lines in the Horizon state dir (the README's file handler), so
# Admin › Desktop Audit and the Action Log tab show events in the demo and the tests; the
# reconciler (scripts/reconciler) reads these settings too and appends to the same file.
_HEPS_AUDIT_FILE = _os.path.join(
    _os.environ.get("HEPS_HORIZON_STATE") or _os.getcwd(), "heps-desktops-audit.jsonl")

HEPS_DESKTOPS = {
    **globals().get("HEPS_DESKTOPS", {}),
    "network": "desktop-net",
    "security_group": "heps-desktop",
    "audit_log_file": _HEPS_AUDIT_FILE,
}

if "LOGGING" in globals():
    LOGGING.setdefault("formatters", {})["heps_audit"] = {"format": "%(message)s"}  # noqa: F821
    LOGGING.setdefault("handlers", {})["heps_audit_file"] = {  # noqa: F821
        "class": "logging.handlers.WatchedFileHandler",
        "filename": _HEPS_AUDIT_FILE,
        "formatter": "heps_audit",
    }
    LOGGING.setdefault("loggers", {})["heps_desktops.audit"] = {  # noqa: F821
        "handlers": ["heps_audit_file"], "level": "INFO", "propagate": False,
    }
