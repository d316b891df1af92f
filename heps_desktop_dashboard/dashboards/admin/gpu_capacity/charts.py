"""A bar per GPU class (used / reserved / free), rendered server-side as inline SVG: no
chart library, no CDN, works offline. Only numbers and translated words go into it."""

from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

WIDTH = 320
HEIGHT = 18
# (kind, colour, label) in drawing order.
SEGMENTS = (
    ("used", "#d9534f", _("used")),
    ("reserved", "#999999", _("reserved")),
    ("free", "#5cb85c", _("free")),
)


def segments(used, reserved, free, width=WIDTH):
    """``[(kind, x, width, count)]`` of the non-empty parts, widths in pixels summing to
    ``width`` (the last part takes the rounding)."""
    counts = {"used": used, "reserved": reserved, "free": free}
    whole = sum(counts.values())
    if whole <= 0:
        return []
    parts, x = [], 0
    kinds = [kind for kind, _colour, _label in SEGMENTS if counts[kind] > 0]
    for index, kind in enumerate(kinds):
        w = width - x if index == len(kinds) - 1 else round(width * counts[kind] / whole)
        parts.append((kind, x, w, counts[kind]))
        x += w
    return parts


def bar(gpu_class):
    """The SVG bar of a core.gpu_capacity.GpuClass."""
    colours = {kind: colour for kind, colour, _label in SEGMENTS}
    labels = {kind: label for kind, _colour, label in SEGMENTS}
    parts = segments(gpu_class.used, gpu_class.reserved, gpu_class.free)
    rects = format_html_join(
        "", '<rect class="heps-bar-{}" x="{}" y="0" width="{}" height="{}" fill="{}">'
        '<title>{} {}</title></rect>',
        ((kind, x, w, HEIGHT, colours[kind], count, labels[kind])
         for kind, x, w, count in parts))
    summary = _("%(used)s used, %(reserved)s reserved, %(free)s free") % {
        "used": gpu_class.used, "reserved": gpu_class.reserved, "free": gpu_class.free}
    return format_html(
        '<svg class="heps-capacity-bar" width="{}" height="{}" role="img" '
        'aria-label="{}" xmlns="http://www.w3.org/2000/svg">'
        '<rect x="0" y="0" width="{}" height="{}" fill="#eeeeee"></rect>{}</svg>',
        WIDTH, HEIGHT, summary, WIDTH, HEIGHT, rects)


def legend():
    return format_html_join("", '<span><i style="background:{}"></i>{}</span>',
                            ((colour, label) for _kind, colour, label in SEGMENTS))
