"""A recognisable test picture for a fake desktop, as an XBM bitmap.

``xsetroot -bitmap`` paints it on the root window in two colours and exits,
so a display costs no extra client process. Text is drawn with a built-in
5x7 font (upper case, digits, common punctuation), scaled up.
"""

import textwrap
import zlib

WIDTH, HEIGHT = 1024, 768

# (foreground, background) pairs; an instance gets one from its uuid.
PALETTES = [
    ('#ffd000', '#003366'),
    ('#ffffff', '#5a1a7a'),
    ('#000000', '#66ccff'),
    ('#ffffff', '#0b6623'),
    ('#000000', '#ff9933'),
    ('#ffffff', '#8b0000'),
]

_FONT = {
    'A': '.###. #...# #...# ##### #...# #...# #...#',
    'B': '####. #...# #...# ####. #...# #...# ####.',
    'C': '.###. #...# #.... #.... #.... #...# .###.',
    'D': '####. #...# #...# #...# #...# #...# ####.',
    'E': '##### #.... #.... ####. #.... #.... #####',
    'F': '##### #.... #.... ####. #.... #.... #....',
    'G': '.###. #...# #.... #.### #...# #...# .####',
    'H': '#...# #...# #...# ##### #...# #...# #...#',
    'I': '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
    'J': '..### ...#. ...#. ...#. ...#. #..#. .##..',
    'K': '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
    'L': '#.... #.... #.... #.... #.... #.... #####',
    'M': '#...# ##.## #.#.# #.#.# #...# #...# #...#',
    'N': '#...# #...# ##..# #.#.# #..## #...# #...#',
    'O': '.###. #...# #...# #...# #...# #...# .###.',
    'P': '####. #...# #...# ####. #.... #.... #....',
    'Q': '.###. #...# #...# #...# #.#.# #..#. .##.#',
    'R': '####. #...# #...# ####. #.#.. #..#. #...#',
    'S': '.#### #.... #.... .###. ....# ....# ####.',
    'T': '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
    'U': '#...# #...# #...# #...# #...# #...# .###.',
    'V': '#...# #...# #...# #...# #...# .#.#. ..#..',
    'W': '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
    'X': '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
    'Y': '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
    'Z': '##### ....# ...#. ..#.. .#... #.... #####',
    '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
    '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
    '2': '.###. #...# ....# ...#. ..#.. .#... #####',
    '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
    '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
    '5': '##### #.... ####. ....# ....# #...# .###.',
    '6': '..##. .#... #.... ####. #...# #...# .###.',
    '7': '##### ....# ...#. ..#.. .#... .#... .#...',
    '8': '.###. #...# #...# .###. #...# #...# .###.',
    '9': '.###. #...# #...# .#### ....# ...#. .##..',
    '-': '..... ..... ..... ##### ..... ..... .....',
    '_': '..... ..... ..... ..... ..... ..... #####',
    '.': '..... ..... ..... ..... ..... .##.. .##..',
    ':': '..... .##.. .##.. ..... .##.. .##.. .....',
    '/': '..... ....# ...#. ..#.. .#... #.... .....',
    '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
    ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
    '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
    '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
    '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
    '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
    '=': '..... ..... ##### ..... ##### ..... .....',
    ',': '..... ..... ..... ..... .##.. ..#.. .#...',
    "'": '..#.. ..#.. .#... ..... ..... ..... .....',
    '@': '.###. #...# #.### #.#.# #.### #.... .####',
    ' ': '..... ..... ..... ..... ..... ..... .....',
}
_GLYPHS = {ch: [row for row in rows.split()] for ch, rows in _FONT.items()}


def palette(uuid):
    return PALETTES[zlib.crc32(uuid.encode()) % len(PALETTES)]


class Canvas:
    """1024x768, one byte per pixel (1 = foreground)."""

    def __init__(self):
        self.px = bytearray(WIDTH * HEIGHT)

    def rect(self, x, y, w, h, on=1):
        x0, x1 = max(0, x), min(WIDTH, x + w)
        if x1 <= x0:
            return
        fill = bytes([on]) * (x1 - x0)
        for row in range(max(0, y), min(HEIGHT, y + h)):
            self.px[row * WIDTH + x0:row * WIDTH + x1] = fill

    def text(self, s, x, y, scale):
        for i, ch in enumerate(s.upper()):
            glyph = _GLYPHS.get(ch, _GLYPHS['?'])
            for gy, row in enumerate(glyph):
                for gx, bit in enumerate(row):
                    if bit == '#':
                        self.rect(x + (i * 6 + gx) * scale, y + gy * scale,
                                  scale, scale)

    def centered(self, s, y, scale):
        self.text(s, (WIDTH - text_width(s, scale)) // 2, y, scale)

    def xbm(self, name='heps'):
        # XBM rows are LSB-first bytes; WIDTH is a multiple of 8, so byte i
        # of the image is pixels 8i..8i+7 and every pixel byte is 0 or 1:
        # shifting slice k by k bits never carries between bytes.
        n = len(self.px) // 8
        acc = 0
        for k in range(8):
            acc |= int.from_bytes(bytes(self.px[k::8]), 'little') << k
        data = acc.to_bytes(n, 'little')
        # libX11's XBM reader wants short lines
        hexes = ['0x%02x' % b for b in data]
        body = ',\n'.join(','.join(hexes[i:i + 16])
                          for i in range(0, len(hexes), 16))
        return ('#define %s_width %d\n#define %s_height %d\n'
                'static unsigned char %s_bits[] = {\n%s};\n'
                % (name, WIDTH, name, HEIGHT, name, body))


def text_width(s, scale):
    return (len(s) * 6 - 1) * scale


def _name_lines(name):
    """Largest scale at which the name fits: two lines broken at word or
    hyphen boundaries if possible, else up to three lines broken anywhere."""
    for max_lines, scales, hard in ((2, (16, 14, 12, 10, 8), False),
                                    (3, (12, 10, 8, 6, 5, 4), True)):
        for scale in scales:
            per_line = (WIDTH - 96) // (6 * scale)
            lines = textwrap.wrap(name, per_line,
                                  break_long_words=hard) or ['']
            if len(lines) <= max_lines and \
                    all(len(line) <= per_line for line in lines):
                return scale, lines
    return 4, textwrap.wrap(name, (WIDTH - 96) // 24)[:3]


def render(name, subtitle_lines):
    """The picture: checkered frame, grid, the name big in a box."""
    c = Canvas()
    sq = 32
    for x in range(0, WIDTH, sq):           # checkered frame, 2 squares deep
        for y in range(0, HEIGHT, sq):
            edge = x < 2 * sq or y < 2 * sq or x >= WIDTH - 2 * sq \
                or y >= HEIGHT - 2 * sq
            if edge and (x // sq + y // sq) % 2 == 0:
                c.rect(x, y, sq, sq)
    for x in range(2 * sq, WIDTH - 2 * sq + 1, 64):   # grid
        c.rect(x, 2 * sq, 1, HEIGHT - 4 * sq)
    for y in range(2 * sq, HEIGHT - 2 * sq + 1, 64):
        c.rect(2 * sq, y, WIDTH - 4 * sq, 1)

    scale, lines = _name_lines(name)
    line_h = 9 * scale
    text_h = len(lines) * line_h - 2 * scale
    top = 260 - text_h // 2                 # centred in y 96..424
    c.rect(88, top - 24, WIDTH - 176, text_h + 48, on=0)    # clear box
    for i, line in enumerate(lines):
        c.centered(line, top + i * line_h, scale)

    sub_top = 470
    c.rect(88, sub_top - 16, WIDTH - 176, 36 * len(subtitle_lines) + 16, on=0)
    for i, line in enumerate(subtitle_lines):
        c.centered(line[:46], sub_top + i * 36, 3)
    return c
