#!/bin/bash
# DevStack plugin: installs heps-desktop-dashboard into DevStack's Horizon.
#
#   [[local|localrc]]
#   enable_plugin heps-desktop-dashboard <git URL of this repository> [branch]
#
# The plugin is pip-installed NON-editable (its enabled/, static/ and templates/ are
# mapped into the package at build time), its enabled files (every enabled/_[0-9]*.py of
# the installed package) and settings snippet are copied into Horizon's local/ folders, and
# Horizon's static files are rebuilt.

HEPS_DASHBOARD_SETTINGS_FILE="_1799_heps_desktops_settings.py"

function heps_dashboard_package_dir {
    $PYTHON -c 'import heps_desktop_dashboard, os; print(os.path.dirname(heps_desktop_dashboard.__file__))'
}

function install_heps_desktop_dashboard {
    pip_install "$HEPS_DASHBOARD_DIR"
}

function configure_heps_desktop_dashboard {
    local pkg
    pkg=$(cd / && heps_dashboard_package_dir)
    cp "$pkg"/enabled/_[0-9]*.py "$HORIZON_DIR/openstack_dashboard/local/enabled/"
    mkdir -p "$HORIZON_DIR/openstack_dashboard/local/local_settings.d"
    cp "$pkg/local_settings.d/$HEPS_DASHBOARD_SETTINGS_FILE" \
        "$HORIZON_DIR/openstack_dashboard/local/local_settings.d/"
    if [[ -n "$HEPS_DASHBOARD_NETWORK" ]]; then
        echo "HEPS_DESKTOPS['network'] = '$HEPS_DASHBOARD_NETWORK'" \
            >> "$HORIZON_DIR/openstack_dashboard/local/local_settings.d/$HEPS_DASHBOARD_SETTINGS_FILE"
    fi
    (cd "$HORIZON_DIR" && $PYTHON manage.py collectstatic --noinput && $PYTHON manage.py compress --force)
}

function cleanup_heps_desktop_dashboard {
    local pkg f
    pkg=$(cd / && heps_dashboard_package_dir) || pkg=""
    for f in "$pkg"/enabled/_[0-9]*.py; do
        rm -f "$HORIZON_DIR/openstack_dashboard/local/enabled/${f##*/}"
    done
    rm -f "$HORIZON_DIR/openstack_dashboard/local/local_settings.d/$HEPS_DASHBOARD_SETTINGS_FILE"
}

if is_service_enabled horizon && is_service_enabled heps-desktop-dashboard; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing HEPS Experiment Desktops dashboard"
        install_heps_desktop_dashboard
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring HEPS Experiment Desktops dashboard"
        configure_heps_desktop_dashboard
        restart_apache_server
    elif [[ "$1" == "unstack" ]]; then
        :
    elif [[ "$1" == "clean" ]]; then
        cleanup_heps_desktop_dashboard
    fi
fi
