import os
import subprocess
import sys

import pytest

pytest.importorskip('nova')

CHECK = r'''
import sys
import nova.cmd.compute as nc          # what the launcher imports first


def fake_main():
    from oslo_utils import importutils
    cls = importutils.import_class('nova.virt.heps_fake.HepsFakeDriver')
    print('LOADED', cls.__module__, cls.__name__)
    return 0


nc.main = fake_main
from heps_devcloud import compute
sys.exit(compute.main())
'''


def test_launcher_makes_driver_loadable_in_nova_virt():
    env = dict(os.environ)
    env.pop('OS_NOVA_DISABLE_EVENTLET_PATCHING', None)
    out = subprocess.run([sys.executable, '-c', CHECK], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'LOADED heps_devcloud.virt HepsFakeDriver' in out.stdout
