"""Helpers shared by the heps_devcloud tests."""

import os
import shutil
import socket

import pytest
from heps_devcloud import displays


def free_port_block(count):
    """A base port with `count` free ports above it (best effort)."""
    for base in range(31000, 60000, 97):
        ok = True
        for p in range(base, base + count):
            s = socket.socket()
            try:
                s.bind(('127.0.0.1', p))
            except OSError:
                ok = False
            finally:
                s.close()
            if not ok:
                break
        if ok:
            return base
    raise RuntimeError('no free port block')


def free_display_base(count):
    for base in range(300, 900, 17):
        if not any(os.path.exists(displays.X11_LOCK % n) or
                   os.path.exists(displays.X11_SOCKET % n)
                   for n in range(base, base + count)):
            return base
    raise RuntimeError('no free X display numbers')


needs_xvnc = pytest.mark.skipif(
    not (shutil.which('Xvnc') and shutil.which('xsetroot')),
    reason='Xvnc/xsetroot not installed (tigervnc-standalone-server, '
           'x11-xserver-utils)')
needs_xspice = pytest.mark.skipif(
    not (shutil.which('Xorg') and
         os.path.exists('/usr/lib/xorg/modules/drivers/spiceqxl_drv.so')),
    reason='Xorg with the spiceqxl driver not installed (xserver-xspice)')
