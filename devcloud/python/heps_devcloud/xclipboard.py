"""The text clipboard of a loopback display, from the desktop's side (no xclip here).

``read`` asks the CLIPBOARD (or PRIMARY) selection's owner for UTF-8 text, as a desktop
application pasting would; ``Owner`` holds the selection with a text and serves it to
whoever asks (Xvnc forwards it to the VNC viewers) until stopped, as a desktop
application copying would. Used by the console clipboard tests.
"""

import struct
import threading
import time

from heps_devcloud.painter import PainterError
from heps_devcloud.painter import XConnection

SELECTION_CLEAR, SELECTION_REQUEST, SELECTION_NOTIFY = 29, 30, 31
XA_ATOM = 4


class _Client(XConnection):
    """An X connection that keeps the events arriving while it waits for a reply."""

    def __init__(self, number):
        self.pending = []
        super().__init__(number)

    def reply(self):
        while True:
            head = self._recv(32)
            if head[0] == 1:
                return head + self._recv(struct.unpack_from('<I', head, 4)[0] * 4)
            if head[0] == 0:
                raise PainterError('X error %d (request %d)' % (head[1], head[10]))
            self.pending.append(head)

    def event(self, deadline):
        """The next event (32 bytes) before ``deadline`` (monotonic), else None."""
        if self.pending:
            return self.pending.pop(0)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                head = self._recv(32)
            except TimeoutError:
                return None
            finally:
                self.sock.settimeout(10.0)
            if head[0] == 0:
                raise PainterError('X error %d (request %d)' % (head[1], head[10]))
            if head[0] == 1:                      # a reply nobody waits for
                self._recv(struct.unpack_from('<I', head, 4)[0] * 4)
                continue
            return head

    def window(self):
        wid = self.new_id()
        self.request(1, 0, struct.pack('<IIhhHHHHII', wid, self.root, -10, -10, 1, 1, 0,
                                       2, 0, 0))  # InputOnly, no attributes
        return wid

    def property_bytes(self, window, atom):
        self.request(20, 1, struct.pack('<IIIII', window, atom, 0, 0, 1 << 20))
        rep = self.reply()
        fmt, nitems = rep[1], struct.unpack_from('<I', rep, 16)[0]
        return rep[32:32 + nitems * max(1, fmt // 8)]

    def change_property(self, window, prop, type_atom, fmt, data):
        units = len(data) // (fmt // 8)
        self.request(18, 0, struct.pack('<IIIB3xI', window, prop, type_atom, fmt, units)
                     + data)


def read(number, selection=b'CLIPBOARD', timeout=10.0):
    """UTF-8 text of the selection, or None when nobody owns it / it is not text."""
    x = _Client(number)
    try:
        win = x.window()
        sel, utf8, prop = (x.intern_atom(a) for a in (selection, b'UTF8_STRING',
                                                      b'HEPS_CLIPBOARD'))
        x.request(24, 0, struct.pack('<IIIII', win, sel, utf8, prop, 0))  # ConvertSelection
        deadline = time.monotonic() + timeout
        while True:
            ev = x.event(deadline)
            if ev is None:
                raise PainterError('no answer for the %s selection' % selection.decode())
            if ev[0] & 0x7f == SELECTION_NOTIFY:
                if struct.unpack_from('<I', ev, 20)[0] == 0:     # property None
                    return None
                return x.property_bytes(win, prop).decode('utf-8', 'replace')
    finally:
        x.close()


class Owner:
    """Own CLIPBOARD and PRIMARY with ``text`` and serve requests in a thread."""

    def __init__(self, number, text):
        self.x = _Client(number)
        self.data = text.encode()
        self.win = self.x.window()
        names = (b'CLIPBOARD', b'PRIMARY', b'UTF8_STRING', b'STRING', b'TEXT', b'TARGETS')
        (self.clipboard, self.primary, self.utf8, self.string, self.text,
         self.targets) = (self.x.intern_atom(n) for n in names)
        for sel in (self.clipboard, self.primary):
            self.x.request(22, 0, struct.pack('<III', self.win, sel, 0))  # SetSelectionOwner
        self.x.sync()
        self.served = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _answer(self, ev):
        _, _, _, when, _, requestor, sel, target, prop = struct.unpack_from(
            '<BBHIIIIII', ev)
        prop = prop or target
        if target == self.targets:
            atoms = (self.utf8, self.string, self.text, self.targets)
            self.x.change_property(requestor, prop, XA_ATOM, 32,
                                   struct.pack('<4I', *atoms))
        elif target in (self.utf8, self.string, self.text):
            self.x.change_property(requestor, prop, target, 8, self.data)
            self.served += 1
        else:
            prop = 0
        notify = struct.pack('<BxHIIIII8x', SELECTION_NOTIFY, 0, when, requestor, sel,
                             target, prop)
        self.x.request(25, 0, struct.pack('<II', requestor, 0) + notify)  # SendEvent

    def _serve(self):
        while not self._stop.is_set():
            try:
                ev = self.x.event(time.monotonic() + 0.2)
            except (PainterError, OSError):
                return
            if ev is None:
                continue
            if ev[0] & 0x7f == SELECTION_REQUEST:
                self._answer(ev)
            elif ev[0] & 0x7f == SELECTION_CLEAR:
                pass                              # the other selection may still be ours

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.x.close()
