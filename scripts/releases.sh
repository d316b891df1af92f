# Sourced by the scripts that work per Horizon release (ensure-release-venv, test-matrix,
# horizon-install, horizon-serve, reconciler, run-demo). Bash; ROOT must be set.
# The supported OpenStack releases, oldest first. The newest is served and tested from the
# plugin's own .venv (scripts/ensure-venv, constraints.txt = constraints/2026.2.txt); the
# others from .venvs/horizon-RELEASE (scripts/ensure-release-venv, constraints/RELEASE.txt).
HEPS_RELEASES=(2025.1 2025.2 2026.1 2026.2)
HEPS_NEWEST_RELEASE=2026.2

heps_known_release() {  # RELEASE: 0 if supported
    local r
    for r in "${HEPS_RELEASES[@]}"; do [ "$r" = "$1" ] && return 0; done
    return 1
}

heps_check_release() {  # RELEASE: exit with a message if not supported
    heps_known_release "$1" && return 0
    echo "unknown Horizon release '$1': one of ${HEPS_RELEASES[*]}" >&2
    exit 2
}

# The venv that serves and tests RELEASE (newest: .venv), made or refreshed first.
# Prints its path on stdout; progress goes to stderr.
heps_ensure_release_venv() {  # RELEASE
    heps_check_release "$1"
    if [ "$1" = "$HEPS_NEWEST_RELEASE" ]; then
        "$ROOT/scripts/ensure-venv" >&2 || return 1
    else
        "$ROOT/scripts/ensure-release-venv" "$1" >&2 || return 1
    fi
    heps_release_venv "$1"
}

# Where RELEASE's venv is (without making it).
heps_release_venv() {  # RELEASE
    if [ "$1" = "$HEPS_NEWEST_RELEASE" ]; then echo "$ROOT/.venv"; else echo "$ROOT/.venvs/horizon-$1"; fi
}

# Horizon's state dir for RELEASE (static files, compressed assets, SECRET_KEY): .horizon for
# the newest, .horizon-RELEASE for an older one (its static files differ), whose secret_key is
# .horizon's, so every release signs and reads desktops' lifetimes with the same key.
heps_release_state() {  # RELEASE
    if [ "$1" = "$HEPS_NEWEST_RELEASE" ]; then echo "$ROOT/.horizon"; else echo "$ROOT/.horizon-$1"; fi
}

# The release to serve: HEPS_HORIZON_RELEASE (make run HORIZON=...), default the newest.
heps_selected_release() {
    local r=${HEPS_HORIZON_RELEASE:-$HEPS_NEWEST_RELEASE}
    heps_check_release "$r"
    echo "$r"
}
