"""Reading a picture for show-image: any format with Pillow; without it (the dev cloud's
python may lack it) 8-bit PNG and binary PPM are decoded here."""

import struct
import zlib


class ImageFileError(Exception):
    pass


def load(path):
    """(width, height, RGB bytes) of an image file: any format with Pillow, else 8-bit
    PNG (grey, RGB, RGBA; not interlaced) or binary PPM decoded here."""
    try:
        from PIL import Image
    except ImportError:
        with open(path, 'rb') as f:
            data = f.read()
        if data.startswith(b'P6'):
            return _read_ppm(data)
        return _read_png(data, path)
    with Image.open(path) as im:
        im = im.convert('RGB')
        return im.width, im.height, im.tobytes()


def _read_ppm(data):
    fields, pos = [], 2
    while len(fields) < 3:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b'#':
            pos = data.index(b'\n', pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(int(data[pos:end]))
        pos = end
    width, height, maxval = fields
    if maxval != 255:
        raise ImageFileError('only 8-bit PPM is supported')
    pos += 1
    return width, height, data[pos:pos + width * height * 3]


def _read_png(data, path):
    if not data.startswith(b'\x89PNG\r\n\x1a\n'):
        raise ImageFileError('%s: not a PNG or PPM (install Pillow for other formats)'
                           % path)
    pos, idat, head = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack_from('>I4s', data, pos)
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            head = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat.append(body)
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = head
    channels = {0: 1, 2: 3, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ImageFileError('%s: only 8-bit grey/RGB/RGBA non-interlaced PNG can be read '
                           'without Pillow' % path)
    raw = zlib.decompress(b''.join(idat))
    rows = _unfilter(raw, width * channels, height, channels)
    if channels == 3:
        return width, height, bytes(rows)
    out = bytearray(width * height * 3)
    for c in range(3):
        out[c::3] = rows[0::channels] if channels == 1 else rows[c::channels]
    return width, height, bytes(out)


def _unfilter(raw, stride, height, bpp):
    """PNG's per-row filters undone (None, Sub, Up, Average, Paeth)."""
    out = bytearray(stride * height)
    prev = bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xff
        elif ftype == 2:
            line = bytearray((a + b) & 0xff for a, b in zip(line, prev, strict=True))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xff
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else
                                      b if pb <= pc else c)) & 0xff
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return out
