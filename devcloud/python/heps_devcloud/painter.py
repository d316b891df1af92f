"""Paint an arbitrary 24-bit picture into a running loopback display, exactly.

``devcloud/cloud show-image`` uses this to put a known picture on a desktop's
VNC (Xvnc) and SPICE (Xorg spiceqxl) displays, so that what a console client
shows can be compared with the source pixel by pixel. It speaks the X11
protocol itself over the display's unix socket (no python-xlib in the dev
cloud's venv): the picture goes into a server-side pixmap that becomes the
root window's background (``RetainPermanent``, like ``xsetroot``), so it stays
after this process exits. A later paint frees the previous picture's pixmap
(its id is kept in the root property ``_HEPS_SHOW_IMAGE_ID``).

``moving`` instead keeps a connection and scrolls the picture one step per
frame (a server-side CopyArea from a double-width pixmap) and stamps a frame
counter in the top-left corner (``COUNTER_BITS`` blocks of ``COUNTER_BLOCK``
pixels, black or white, most significant bit first), so a client can count the
distinct frames it received.
"""

import os
import socket
import struct
import time

X11_SOCKET = '/tmp/.X11-unix/X%d'  # noqa: S108 (X11's fixed path)
PROPERTY = b'_HEPS_SHOW_IMAGE_ID'
COUNTER_BITS = 16
COUNTER_BLOCK = 8
ROWS_PER_REQUEST = 32           # 32 rows x 1024 px x 4 bytes = 128 KiB per PutImage
XA_WINDOW = 33                  # predefined atom WINDOW (the property's type)
XA_PIXMAP = 20


class PainterError(Exception):
    pass


def _pad(n):
    return (4 - n % 4) % 4


class XConnection:
    """Just enough of X11 to draw a picture: one connection, little-endian."""

    def __init__(self, number, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(X11_SOCKET % number)
        except OSError as e:
            self.sock.close()
            raise PainterError('no X display :%d (%s)' % (number, e)) from e
        self._next_id = 0
        self._setup()

    def close(self):
        self.sock.close()

    def _recv(self, n):
        buf = b''
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise PainterError('the X server closed the connection')
            buf += chunk
        return buf

    def _setup(self):
        self.sock.sendall(struct.pack('<BxHHHHxx', 0x6c, 11, 0, 0, 0))
        status, _, major, minor, length = struct.unpack('<BBHHH', self._recv(8))
        data = self._recv(length * 4)
        if status != 1:
            raise PainterError('X server refused the connection: %r'
                               % data[:status].decode(errors='replace'))
        (_, self.id_base, self.id_mask, _, vendor_len, self.max_request,
         screens, formats, self.image_order) = struct.unpack_from('<IIIIHHBBB', data)
        off = 32 + vendor_len + _pad(vendor_len)
        self.bpp = {}
        for i in range(formats):
            depth, bpp = struct.unpack_from('<BB', data, off + 8 * i)
            self.bpp[depth] = bpp
        off += 8 * formats
        (self.root, _, _, _, _, self.width, self.height, _, _, _, _, self.root_visual,
         _, _, self.depth, _) = struct.unpack_from('<IIIIIHHHHHHIBBBB', data, off)
        self._check_visual(data, off + 40)

    def _check_visual(self, data, off):
        ndepths = data[off - 1]
        for _ in range(ndepths):
            depth, nvisuals = struct.unpack_from('<BxH', data, off)
            off += 8
            for v in range(nvisuals):
                vid, cls, _, _, red, green, blue = struct.unpack_from(
                    '<IBBHIII', data, off + 24 * v)
                if vid == self.root_visual and (red, green, blue) != (
                        0xff0000, 0xff00, 0xff):
                    raise PainterError('root visual is not 24-bit RGB '
                                       '(masks %x/%x/%x)' % (red, green, blue))
            off += 24 * nvisuals
        if self.depth != 24 or self.bpp.get(24) != 32 or self.image_order != 0:
            raise PainterError('display is not depth 24 / 32 bpp LSB-first '
                               '(depth %d, bpp %s)' % (self.depth, self.bpp.get(24)))

    def new_id(self):
        self._next_id += 1
        return self.id_base | (self._next_id & self.id_mask)

    def request(self, opcode, data1, body):
        length = (4 + len(body) + _pad(len(body))) // 4
        if length > self.max_request:
            raise PainterError('X request too long')
        self.sock.sendall(struct.pack('<BBH', opcode, data1, length) + body
                          + b'\0' * _pad(len(body)))

    def reply(self):
        """The next reply; an X error (or event) before it is a PainterError."""
        while True:
            head = self._recv(32)
            if head[0] == 1:
                extra = struct.unpack_from('<I', head, 4)[0]
                return head + self._recv(extra * 4)
            if head[0] == 0:
                raise PainterError('X error %d (request %d, value 0x%x)' % (
                    head[1], head[10], struct.unpack_from('<I', head, 4)[0]))

    def sync(self):
        self.request(43, 0, b'')                      # GetInputFocus
        self.reply()

    # -- requests --------------------------------------------------------
    def intern_atom(self, name):
        self.request(16, 0, struct.pack('<Hxx', len(name)) + name)
        return struct.unpack_from('<I', self.reply(), 8)[0]

    def get_window_property(self, window, atom):
        self.request(20, 0, struct.pack('<IIIII', window, atom, XA_WINDOW, 0, 1))
        rep = self.reply()
        fmt, nitems = rep[1], struct.unpack_from('<I', rep, 16)[0]
        if fmt == 32 and nitems == 1:
            return struct.unpack_from('<I', rep, 32)[0]
        return None

    def set_window_property(self, window, atom, value):
        self.request(18, 0, struct.pack('<IIIB3xII', window, atom, XA_WINDOW, 32,
                                        1, value))

    def create_pixmap(self, width, height):
        pid = self.new_id()
        self.request(53, 24, struct.pack('<IIHH', pid, self.root, width, height))
        return pid

    def create_gc(self, drawable):
        gc = self.new_id()
        self.request(55, 0, struct.pack('<III', gc, drawable, 0))
        return gc

    def put_image(self, drawable, gc, x, y, width, height, bgrx):
        """ZPixmap rows (4 bytes a pixel, B G R x), in requests that fit."""
        stride = width * 4
        rows = max(1, min(ROWS_PER_REQUEST, (self.max_request * 4 - 24) // stride))
        for top in range(0, height, rows):
            h = min(rows, height - top)
            self.request(72, 2, struct.pack('<IIHHhhBBxx', drawable, gc, width, h,
                                            x, y + top, 0, 24)
                         + bgrx[top * stride:(top + h) * stride])

    def copy_area(self, src, dst, gc, sx, sy, dx, dy, width, height):
        self.request(62, 0, struct.pack('<IIIhhhhHH', src, dst, gc, sx, sy, dx, dy,
                                        width, height))

    def set_background(self, pixmap):
        self.request(2, 0, struct.pack('<III', self.root, 0x1, pixmap))  # CWBackPixmap
        self.request(61, 0, struct.pack('<IhhHH', self.root, 0, 0, 0, 0))  # ClearArea

    def get_image(self, drawable, x, y, width, height):
        """ZPixmap pixels (B G R x) of a rectangle, a band of rows at a time."""
        stride, out = width * 4, bytearray()
        rows = max(1, min(ROWS_PER_REQUEST, (1 << 18) // stride))
        for top in range(0, height, rows):
            h = min(rows, height - top)
            self.request(73, 2, struct.pack('<IhhHHI', drawable, x, y + top, width, h,
                                            0xffffffff))
            out += self.reply()[32:32 + h * stride]
        return bytes(out)

    def kill_client(self, resource):
        self.request(113, 0, struct.pack('<I', resource))


def to_bgrx(width, height, rgb):
    """24-bit RGB rows -> the X server's 32-bit LSB-first pixels."""
    if len(rgb) != width * height * 3:
        raise PainterError('expected %d bytes of RGB, got %d'
                           % (width * height * 3, len(rgb)))
    out = bytearray(width * height * 4)
    out[0::4] = rgb[2::3]
    out[1::4] = rgb[1::3]
    out[2::4] = rgb[0::3]
    return bytes(out)


def fit(width, height, rgb, size):
    """The picture at the display's size, pixel for pixel: centred on black and
    cropped where it is larger (never scaled)."""
    dw, dh = size
    if (width, height) == (dw, dh):
        return rgb
    out = bytearray(dw * dh * 3)
    ox, oy = (dw - width) // 2, (dh - height) // 2
    for y in range(max(0, -oy), min(height, dh - oy)):
        x0, x1 = max(0, -ox), min(width, dw - ox)
        if x1 <= x0:
            continue
        src = rgb[(y * width + x0) * 3:(y * width + x1) * 3]
        dst = ((y + oy) * dw + x0 + ox) * 3
        out[dst:dst + len(src)] = src
    return bytes(out)


def paint(number, width, height, rgb):
    """Make the picture the root background of display ``:number``; it stays
    after this returns. Returns the display's (width, height)."""
    x = XConnection(number)
    try:
        rgb = fit(width, height, rgb, (x.width, x.height))
        atom = x.intern_atom(PROPERTY)
        old = x.get_window_property(x.root, atom)
        if old:
            x.kill_client(old)          # frees the previous picture's pixmap
        pixmap = x.create_pixmap(x.width, x.height)
        gc = x.create_gc(pixmap)
        x.put_image(pixmap, gc, 0, 0, x.width, x.height,
                    to_bgrx(x.width, x.height, rgb))
        x.set_background(pixmap)
        x.set_window_property(x.root, atom, pixmap)
        x.request(112, 1, b'')          # SetCloseDownMode RetainPermanent
        x.sync()
        return x.width, x.height
    finally:
        x.close()


def snapshot(number):
    """(width, height, RGB bytes) of what display ``:number`` shows now."""
    x = XConnection(number)
    try:
        bgrx = x.get_image(x.root, 0, 0, x.width, x.height)
    finally:
        x.close()
    rgb = bytearray(x.width * x.height * 3)
    rgb[0::3], rgb[1::3], rgb[2::3] = bgrx[2::4], bgrx[1::4], bgrx[0::4]
    return x.width, x.height, bytes(rgb)


def counter_bgrx(frame):
    """The frame counter stamp: COUNTER_BITS blocks in one row, MSB first."""
    row = bytearray()
    for bit in range(COUNTER_BITS - 1, -1, -1):
        v = 255 if frame >> bit & 1 else 0
        row += bytes([v, v, v, 0]) * COUNTER_BLOCK
    return bytes(row) * COUNTER_BLOCK


def read_counter(pixel):
    """The frame number from a picture: ``pixel(x, y)`` -> (r, g, b)."""
    value = 0
    for i in range(COUNTER_BITS):
        r, g, b = pixel(i * COUNTER_BLOCK + COUNTER_BLOCK // 2, COUNTER_BLOCK // 2)
        value = value << 1 | (1 if r + g + b > 383 else 0)
    return value


def moving(number, width, height, rgb, fps=30.0, step=8, duration=None,
           should_stop=lambda: False):
    """Scroll the picture sideways ``step`` pixels a frame at up to ``fps``
    frames a second, with the frame counter, until ``duration`` seconds have
    passed or ``should_stop()``. Returns the number of frames drawn."""
    x = XConnection(number)
    try:
        w, h = x.width, x.height
        bgrx = to_bgrx(w, h, fit(width, height, rgb, (w, h)))
        strip = x.create_pixmap(2 * w, h)            # the picture twice, side by side
        gc = x.create_gc(strip)
        x.put_image(strip, gc, 0, 0, w, h, bgrx)
        x.copy_area(strip, strip, gc, 0, 0, w, 0, w, h)
        x.sync()
        frames, start = 0, time.monotonic()
        period = 1.0 / fps if fps else 0.0
        while not should_stop() and (duration is None
                                     or time.monotonic() - start < duration):
            x.copy_area(strip, x.root, gc, (frames * step) % w, 0, 0, 0, w, h)
            span = COUNTER_BITS * COUNTER_BLOCK
            x.put_image(x.root, gc, 0, 0, span, COUNTER_BLOCK,
                        counter_bgrx(frames & 0xffff))
            x.sync()
            frames += 1
            wait = start + frames * period - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        return frames
    finally:
        x.close()


def display_number(state_dir, uuid, kind):
    """The X display number of a server's running ``kind`` display, from the
    pid file heps_devcloud.displays writes, or None."""
    pidfile = os.path.join(state_dir, 'displays', '%s-%s.pid' % (uuid, kind))
    try:
        with open(pidfile) as f:
            pid = int(f.read().split()[0])
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            args = f.read().split(b'\0')
    except (OSError, ValueError, IndexError):
        return None
    for arg in args:
        if arg.startswith(b':') and arg[1:].isdigit():
            return int(arg[1:])
    return None


def load_png(path):
    """(width, height, RGB bytes) of an image file (heps_devcloud.imagefile)."""
    from heps_devcloud import imagefile
    try:
        return imagefile.load(path)
    except imagefile.ImageFileError as e:
        raise PainterError(str(e)) from e
