"""cloud-init user-data mounting experiment data in the guest (systemd mount units)."""

import json
import re

from heps_desktop_dashboard.core import conventions as names
from heps_desktop_dashboard.core.mounts import DEFAULT_LEVELS
from heps_desktop_dashboard.core.mounts import FSTYPES
from heps_desktop_dashboard.core.mounts import KINDS
from heps_desktop_dashboard.core.mounts import MODE_VIRTIOFS
from heps_desktop_dashboard.core.mounts import MOUNT_PATHS
from heps_desktop_dashboard.core.mounts import VIRTIOFS_TAGS
from heps_desktop_dashboard.core.mounts import Grant
from heps_desktop_dashboard.core.mounts import check_mode

# My storage in the guest (home_storage_files).
SAFE_USER = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")
HOME_SCRIPT = "/usr/local/sbin/heps-home-mount"
HOME_UNIT = "heps-home-mount@"
HOME_RULE = "/etc/udev/rules.d/90-heps-home.rules"


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


def build_user_data(mode, grants, experiment_id="", home_user=""):
    """cloud-config mounting ``grants`` at their paths (systemd mount units), and My
    storage at ``/home/<home_user>`` when a user name is given.

    Units rather than cloud-init's ``mounts:`` module: that module rewrites a bare
    virtiofs tag into ``/dev/<tag>`` on older cloud-init releases, and units give the
    same ro/rw options for both modes. JSON strings are valid YAML scalars, so every
    value is quoted with ``json.dumps``.
    """
    check_mode(mode)
    files, commands = [], []
    enable = []
    for grant in grants:
        unit_files, unit = _mount_units(grant)
        enable.append(unit)
        files += unit_files
    if grants:
        commands += [["mkdir", "-p"] + [g.path for g in grants], ["systemctl", "daemon-reload"],
                     ["systemctl", "enable", "--now"] + enable]
    home_files, home_commands = home_storage_files(home_user)
    return _document("Experiment data mounted by heps-desktop-dashboard "
                     f"({mode} mode{', experiment ' + experiment_id if experiment_id else ''}).",
                     files + home_files, commands + home_commands)


def _document(comment, files, commands):
    lines = ["#cloud-config", "# " + comment, "write_files:"]
    for path, content, permissions in (f if len(f) == 3 else (*f, "0644") for f in files):
        lines += [f"  - path: {json.dumps(path)}", f"    permissions: \"{permissions}\"",
                  f"    content: {json.dumps(content)}"]
    lines.append("runcmd:")
    lines += ["  - " + json.dumps(command) for command in commands]
    return "\n".join(lines) + "\n"


_HOME_SCRIPT = """#!/bin/sh
# My storage (heps-desktop-dashboard): a volume the dashboard attaches, formatted on
# first use, labelled {label}, mounted at {path}.
dev="/dev/$1"
[ -b "$dev" ] || exit 0
case "$(findmnt -no SOURCE /)" in "$dev"*) exit 0;; esac
[ -n "$(lsblk -no PKNAME "$dev")" ] && exit 0
if [ -z "$(blkid -o value -s TYPE "$dev")" ]; then
  [ -z "$(lsblk -no NAME "$dev" | tail -n +2)" ] || exit 0
  mkfs.ext4 -q -L {label} "$dev" || exit 1
fi
[ "$(blkid -o value -s LABEL "$dev")" = "{label}" ] || exit 0
mkdir -p {path}
mountpoint -q {path} || mount -o nofail "$dev" {path} || exit 1
id {user} >/dev/null 2>&1 && chown {user}: {path}
exit 0
"""


def home_storage_files(user):
    """(files, commands) mounting My storage at ``/home/<user>``: a udev rule starts a
    unit for every virtio disk added (hot-plug: the reconciler attaches the volume to a
    running desktop), the script formats a blank one on first use and mounts the
    volume labelled ``heps-home``. Nothing for an unsafe or empty user name."""
    if not user or not SAFE_USER.fullmatch(user):
        return [], []
    path = f"/home/{user}"
    script = _HOME_SCRIPT.format(label=names.HOME_FS_LABEL, path=path, user=user)
    unit = "\n".join(["[Unit]", "Description=Mount My storage (%I)", "", "[Service]",
                      "Type=oneshot", f"ExecStart={HOME_SCRIPT} %I", ""])
    rule = ('ACTION=="add", SUBSYSTEM=="block", ENV{DEVTYPE}=="disk", KERNEL=="vd[b-z]", '
            'TAG+="systemd", ENV{SYSTEMD_WANTS}+="' + HOME_UNIT + '%k.service"\n')
    files = [(HOME_SCRIPT, script, "0755"),
             (f"/etc/systemd/system/{HOME_UNIT}.service", unit),
             (HOME_RULE, rule)]
    commands = [["systemctl", "daemon-reload"], ["udevadm", "control", "--reload"],
                ["sh", "-c", f"for d in /sys/block/vd*; do {HOME_SCRIPT} "
                 "$(basename $d); done"]]
    return files, commands


def home_user_data(user):
    """User-data with only the My storage mount (no experiment data to mount)."""
    files, commands = home_storage_files(user)
    if not files:
        return None
    return _document("My storage mounted by heps-desktop-dashboard.", files, commands)


def plan_user_data(plan, home_user=""):
    return build_user_data(plan.mode, plan.grants, plan.experiment_id, home_user)
