import os
import socket
import struct
import subprocess
import sys
import time

import pytest
from devcloud_helpers import free_display_base
from devcloud_helpers import free_port_block
from devcloud_helpers import needs_xspice
from devcloud_helpers import needs_xvnc
from heps_devcloud import displays


@pytest.fixture
def manager(tmp_path):
    made = []

    def make(max_displays=2):
        m = displays.DisplayManager(
            str(tmp_path / 'displays'), display_base=free_display_base(6),
            vnc_port_base=free_port_block(6),
            spice_port_base=free_port_block(6) + 300,
            max_displays=max_displays, slots=6, start_timeout=10)
        made.append(m)
        return m

    yield make
    for m in made:
        m.stop_all()


def test_free_slot_skips_ports_in_use(manager):
    m = manager()
    busy = socket.socket()
    busy.bind(('127.0.0.1', m.port_base['vnc']))
    busy.listen()
    try:
        assert m._free_slot('vnc') == 1
        assert m._free_slot('spice') == 0
        assert m._free_slot('vnc', exclude={1}) == 2
    finally:
        busy.close()
    assert m._free_slot('vnc') == 0


def test_missing_x_server_is_a_display_error(tmp_path):
    m = displays.DisplayManager(str(tmp_path), display_base=free_display_base(2),
                                vnc_port_base=free_port_block(2),
                                spice_port_base=free_port_block(2) + 300,
                                max_displays=2, slots=2,
                                xvnc='/nonexistent/Xvnc')
    with pytest.raises(displays.DisplayError, match='cannot run'):
        m.ensure('u-1', 'vnc', 'one')
    assert m.running == {}


def test_leftovers_from_a_previous_process_are_killed(manager):
    m = manager()
    # a process of "ours" (its cmdline mentions Xvnc) recorded in a pid file
    proc = subprocess.Popen([sys.executable, '-c',
                             'import time; time.sleep(60)', 'Xvnc'],
                            start_new_session=True)
    deadline = time.monotonic() + 5
    while 'Xvnc' not in displays._cmdline(proc.pid):     # exec'd yet?
        assert time.monotonic() < deadline
        time.sleep(0.02)
    pidfile = os.path.join(m.directory, 'u-1-vnc.pid')
    with open(pidfile, 'w') as f:
        f.write('%d\n' % proc.pid)
    m.kill_leftovers()
    assert proc.wait(timeout=5) is not None
    assert not os.path.exists(pidfile)


@needs_xvnc
def test_vnc_display_handshake_and_stop(manager):
    m = manager()
    port = m.ensure('u-1', 'vnc', 'alice-desktop', ['HOST TEST'])
    assert port == m.port_base['vnc']
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        s.settimeout(5)
        assert s.recv(12) == b'RFB 003.008\n'
    pid = m.running[('u-1', 'vnc')].proc.pid
    with open(os.path.join(m.directory, 'u-1-vnc.pid')) as f:
        assert int(f.read()) == pid
    m.stop('u-1')
    assert m.running == {}
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', port), timeout=1)


@needs_xvnc
def test_least_recently_used_display_of_another_instance_is_stopped(manager):
    m = manager(max_displays=2)
    p1 = m.ensure('u-1', 'vnc', 'one')
    p2 = m.ensure('u-2', 'vnc', 'two')
    assert p1 != p2
    m.ensure('u-1', 'vnc', 'one')            # u-1 used again: u-2 is LRU
    p3 = m.ensure('u-3', 'vnc', 'three')
    assert set(m.running) == {('u-1', 'vnc'), ('u-3', 'vnc')}
    assert p3 == p2                          # u-2's slot was reused
    assert not os.path.exists(os.path.join(m.directory, 'u-2-vnc.pid'))


@needs_xvnc
def test_dead_display_is_restarted(manager):
    m = manager()
    m.ensure('u-1', 'vnc', 'one')
    disp = m.running[('u-1', 'vnc')]
    disp.proc.kill()
    disp.proc.wait(5)
    port = m.ensure('u-1', 'vnc', 'one')
    assert m.running[('u-1', 'vnc')].proc.poll() is None
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        s.settimeout(5)
        assert s.recv(12) == b'RFB 003.008\n'


@needs_xspice
def test_spice_display_answers_link_and_stops(manager):
    m = manager()
    port = m.ensure('u-1', 'spice', 'spice-desktop')
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        s.settimeout(5)
        mess = struct.pack('<IBBIII', 0, 1, 0, 0, 0, 18)   # SpiceLinkMess
        s.sendall(b'REDQ' + struct.pack('<III', 2, 2, len(mess)) + mess)
        assert s.recv(4) == b'REDQ'
    m.stop('u-1', 'spice')
    assert m.running == {}
