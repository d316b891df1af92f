"""My storage in the guest: the cloud-init user-data the plugin writes mounts the volume
labelled heps-home at /home/<user> (core/cloud_init.py, services/experiments.py)."""

import yaml
from django.test import override_settings

from heps_desktop_dashboard.core import cloud_init
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.services import experiments


def files_of(text):
    doc = yaml.safe_load(text)
    return {item["path"]: item for item in doc["write_files"]}, doc["runcmd"]


def test_home_only_user_data_mounts_the_labelled_volume_at_the_users_home():
    files, commands = files_of(cloud_init.home_user_data("alice"))
    script = files[cloud_init.HOME_SCRIPT]
    assert script["permissions"] == "0755"
    assert "mkfs.ext4 -q -L heps-home" in script["content"]
    assert "mkdir -p /home/alice" in script["content"]
    assert 'KERNEL=="vd[b-z]"' in files[cloud_init.HOME_RULE]["content"]
    assert "/etc/systemd/system/heps-home-mount@.service" in files
    assert ["udevadm", "control", "--reload"] in commands


def test_unsafe_or_missing_user_names_get_no_home_mount():
    for name in ("", "Alice Smith", "../etc", "x;rm -rf /", "a" * 40):
        assert cloud_init.home_user_data(name) is None
        assert cloud_init.home_storage_files(name) == ([], [])


def test_experiment_data_and_home_in_one_document():
    grants = cloud_init.virtiofs_placeholder_grants()
    files, commands = files_of(cloud_init.build_user_data(mounts.MODE_VIRTIOFS, grants,
                                                          "2026-0142", home_user="alice"))
    assert "/etc/systemd/system/data-raw.mount" in files
    assert cloud_init.HOME_SCRIPT in files
    assert ["systemctl", "enable", "--now", "data-raw.mount", "data-results.mount"] in commands


@override_settings(HEPS_DESKTOPS={"share_mount_mode": "access-rule"})
def test_user_data_for_a_launch_without_experiment():
    assert experiments.user_data_for(None) is None
    assert cloud_init.HOME_SCRIPT in experiments.user_data_for(None, home_user="alice")
