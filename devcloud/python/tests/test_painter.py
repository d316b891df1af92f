"""show-image's painter on real displays: the picture is the display's pixels, exactly."""

import os
import random

import pytest
from devcloud_helpers import free_display_base
from devcloud_helpers import free_port_block
from devcloud_helpers import needs_xspice
from devcloud_helpers import needs_xvnc
from heps_devcloud import displays
from heps_devcloud import imagefile
from heps_devcloud import painter

W, H = displays.GEOMETRY


@pytest.fixture
def manager(tmp_path):
    m = displays.DisplayManager(
        str(tmp_path / 'displays'), display_base=free_display_base(4),
        vnc_port_base=free_port_block(4), spice_port_base=free_port_block(4) + 300,
        max_displays=2, slots=4, start_timeout=10)
    yield m
    m.stop_all()


def _noise(width, height, seed=1):
    return random.Random(seed).randbytes(width * height * 3)  # noqa: S311 (test noise)


def _number(m, kind):
    m.ensure('u-1', kind, 'painted')
    number = painter.display_number(os.path.dirname(m.directory), 'u-1', kind)
    assert number == m.running[('u-1', kind)].number
    return number


def test_fit_centres_and_crops_never_scales():
    rgb = bytes(range(2 * 2 * 3))                      # 2x2 picture
    out = painter.fit(2, 2, rgb, (4, 4))
    assert out[(1 * 4 + 1) * 3:(1 * 4 + 3) * 3] == rgb[:6]
    assert out[(2 * 4 + 1) * 3:(2 * 4 + 3) * 3] == rgb[6:]
    assert out[:12] == bytes(12)
    big = painter.fit(4, 4, out, (2, 2))                # and back: the centre
    assert big == rgb


def test_counter_round_trip():
    stamp = painter.counter_bgrx(0xbeef)
    span = painter.COUNTER_BITS * painter.COUNTER_BLOCK

    def pixel(x, y):
        b, g, r, _ = stamp[(y * span + x) * 4:(y * span + x) * 4 + 4]
        return r, g, b
    assert painter.read_counter(pixel) == 0xbeef


@needs_xvnc
def test_vnc_display_shows_the_exact_picture(manager):
    number = _number(manager, 'vnc')
    rgb = _noise(W, H)
    assert painter.paint(number, W, H, rgb) == (W, H)
    assert painter.snapshot(number) == (W, H, rgb)
    # a second picture replaces the first (and frees its pixmap), a smaller one is centred
    small = _noise(300, 200, seed=2)
    painter.paint(number, 300, 200, small)
    assert painter.snapshot(number)[2] == painter.fit(300, 200, small, (W, H))


@needs_xvnc
def test_moving_picture_counts_frames(manager):
    number = _number(manager, 'vnc')
    frames = painter.moving(number, W, H, _noise(W, H), fps=0, duration=None,
                            should_stop=iter([False] * 5 + [True]).__next__)
    assert frames == 5
    _, _, shown = painter.snapshot(number)
    assert painter.read_counter(
        lambda x, y: tuple(shown[(y * W + x) * 3:(y * W + x) * 3 + 3])) == 4


@needs_xspice
def test_spice_display_shows_the_exact_picture(manager):
    number = _number(manager, 'spice')
    rgb = _noise(W, H, seed=3)
    painter.paint(number, W, H, rgb)
    assert painter.snapshot(number) == (W, H, rgb)


def test_no_display_is_a_painter_error():
    with pytest.raises(painter.PainterError, match='no X display'):
        painter.paint(999, 1, 1, b'\0\0\0')


@pytest.mark.parametrize('mode', ['RGB', 'RGBA', 'L'])
def test_png_and_ppm_are_read_without_pillow(tmp_path, mode):
    """The dev cloud's python may lack Pillow: PNG (every filter) and PPM are read here."""
    image = pytest.importorskip('PIL.Image')
    im = image.frombytes('RGB', (67, 45), _noise(67, 45, seed=4)).convert(mode)
    im.save(tmp_path / 'p.png')
    with open(tmp_path / 'p.png', 'rb') as f:
        got = imagefile._read_png(f.read(), 'p.png')
    assert got == (67, 45, im.convert('RGB').tobytes())
    im.convert('RGB').save(tmp_path / 'p.ppm')
    with open(tmp_path / 'p.ppm', 'rb') as f:
        assert imagefile._read_ppm(f.read()) == (67, 45, im.convert('RGB').tobytes())


@needs_xvnc
def test_clipboard_owner_and_reader(manager):
    from heps_devcloud import xclipboard
    number = _number(manager, 'vnc')
    assert xclipboard.read(number) is None                 # nobody owns it yet
    owner = xclipboard.Owner(number, 'détecteur 42')
    try:
        assert xclipboard.read(number) == 'détecteur 42'
        assert xclipboard.read(number, b'PRIMARY') == 'détecteur 42'
        assert owner.served == 2
    finally:
        owner.close()
