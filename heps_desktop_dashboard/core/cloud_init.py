"""cloud-init user-data mounting experiment data in the guest (systemd mount units)."""

import json

from heps_desktop_dashboard.core.mounts import DEFAULT_LEVELS
from heps_desktop_dashboard.core.mounts import FSTYPES
from heps_desktop_dashboard.core.mounts import KINDS
from heps_desktop_dashboard.core.mounts import MODE_VIRTIOFS
from heps_desktop_dashboard.core.mounts import MOUNT_PATHS
from heps_desktop_dashboard.core.mounts import VIRTIOFS_TAGS
from heps_desktop_dashboard.core.mounts import Grant
from heps_desktop_dashboard.core.mounts import check_mode


def _unit_name(path):
    # systemd's path escaping for the fixed, plain paths used here: /data/raw -> data-raw
    return path.strip("/").replace("/", "-")


def _mount_units(grant):
    """(path, content) of the systemd units mounting one grant in the guest."""
    name = _unit_name(grant.path)
    options = [grant.level, "nofail"]
    unit = ["[Unit]", f"Description=HEPS experiment data ({grant.kind}, {grant.level})"]
    if grant.fstype == "nfs":
        options.append("_netdev")
        unit += ["Wants=network-online.target", "After=network-online.target"]
    mount = unit + ["", "[Mount]", f"What={grant.source}", f"Where={grant.path}",
                    f"Type={grant.fstype}", f"Options={','.join(options)}", "",
                    "[Install]", "WantedBy=multi-user.target", ""]
    files = [(f"/etc/systemd/system/{name}.mount", "\n".join(mount))]
    enable = f"{name}.mount"
    if grant.fstype == "nfs":
        # The access rule may still be applying at first boot: mount on first access.
        automount = ["[Unit]", f"Description=HEPS experiment data ({grant.kind}) on demand",
                     "", "[Automount]", f"Where={grant.path}", "TimeoutIdleSec=0", "",
                     "[Install]", "WantedBy=multi-user.target", ""]
        files.append((f"/etc/systemd/system/{name}.automount", "\n".join(automount)))
        enable = f"{name}.automount"
    return files, enable


def virtiofs_placeholder_grants():
    """Grants for the fixed virtiofs tags with no share behind them yet.

    A desktop launched in virtiofs mode gets units for both tags (with ``nofail``), so
    an experiment attached later is mounted at the next boot: attaching needs a
    stop/start anyway.
    """
    return tuple(Grant(kind=kind, share_id="", share_name="", level=DEFAULT_LEVELS[kind],
                       path=MOUNT_PATHS[kind], fstype=FSTYPES[MODE_VIRTIOFS],
                       source=VIRTIOFS_TAGS[kind]) for kind in KINDS)


def build_user_data(mode, grants, experiment_id=""):
    """cloud-config mounting ``grants`` at their paths (systemd mount units).

    Units rather than cloud-init's ``mounts:`` module: that module rewrites a bare
    virtiofs tag into ``/dev/<tag>`` on older cloud-init releases, and units give the
    same ro/rw options for both modes. JSON strings are valid YAML scalars, so every
    value is quoted with ``json.dumps``.
    """
    check_mode(mode)
    lines = ["#cloud-config",
             "# Experiment data mounted by heps-desktop-dashboard "
             f"({mode} mode{', experiment ' + experiment_id if experiment_id else ''}).",
             "write_files:"]
    enable = []
    for grant in grants:
        files, unit = _mount_units(grant)
        enable.append(unit)
        for path, content in files:
            lines += [f"  - path: {json.dumps(path)}", "    permissions: \"0644\"",
                      f"    content: {json.dumps(content)}"]
    lines.append("runcmd:")
    lines.append("  - " + json.dumps(["mkdir", "-p"] + [g.path for g in grants]))
    lines.append("  - " + json.dumps(["systemctl", "daemon-reload"]))
    lines.append("  - " + json.dumps(["systemctl", "enable", "--now"] + enable))
    return "\n".join(lines) + "\n"



def plan_user_data(plan):
    return build_user_data(plan.mode, plan.grants, plan.experiment_id)
