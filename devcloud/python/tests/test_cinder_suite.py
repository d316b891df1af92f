"""The cinder driver tests (tests_cinder/) in a process of their own: nova and cinder
register options of the same names in oslo.config's global CONF, so cinder cannot be
imported into this (nova) test process. Run them directly for details:
    .devcloud/venv/bin/python -m pytest devcloud/python/tests_cinder
"""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(os.path.dirname(HERE), 'tests_cinder')


def test_cinder_driver_suite_passes():
    pytest.importorskip('cinder')
    out = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         '-W', 'ignore::DeprecationWarning', SUITE],
        capture_output=True, text=True, timeout=600,
        cwd=os.path.dirname(HERE))
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert ' passed' in out.stdout
