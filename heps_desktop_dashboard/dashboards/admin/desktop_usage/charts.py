"""Usage charts rendered server-side as inline SVG (no chart library, no CDN, works
offline): hours per day stacked by project, experiment or user, and a 7-day sparkline.
Labels are escaped by format_html; only numbers and dates are drawn otherwise."""

import math

from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 12, 34
MAX_SERIES = 8
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#999999")
SPARK_WIDTH, SPARK_HEIGHT = 160, 28


def nice_ceiling(value):
    """The smallest 1, 2 or 5 x 10^k at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power + 1e-12:
            return float(step * power)
    return float(10 * power)


def top_series(series, other_label, limit=MAX_SERIES):
    """``[(label, values)]``: the ``limit`` largest series, the rest summed as other."""
    ranked = sorted(series, key=lambda item: -sum(item[1]))
    if len(ranked) <= limit:
        return ranked
    kept, rest = ranked[:limit], ranked[limit:]
    other = [sum(values[i] for _label, values in rest) for i in range(len(rest[0][1]))]
    return kept + [(other_label, other)]


def _hours(value):
    return f"{value:.2f}"


def _n(value):
    """A coordinate as format_html gets it (it escapes every argument into a string)."""
    return f"{value:.1f}"


def axis_label(value, top):
    """A gridline's value with as many decimals as the scale needs (0.05 under 1)."""
    digits = 0 if top >= 10 else (1 if top >= 2 else 2)
    return f"{value:.{digits}f}"


def _grid(top):
    lines = []
    plot_h = HEIGHT - TOP - BOTTOM
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        lines.append((LEFT, _n(y), WIDTH - RIGHT, _n(y), LEFT - 4, _n(y + 4),
                      axis_label(value, top)))
    return format_html_join(
        "", '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#e5e5e5"></line>'
        '<text x="{}" y="{}" text-anchor="end" font-size="10" fill="#666">{}</text>',
        lines)


def _bars(dates, series, top, unit):
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(dates), 1)
    bar = max(slot * 0.8, 1.0)
    rects, labels = [], []
    every = max(1, math.ceil(len(dates) / 12))
    for index, day in enumerate(dates):
        x = LEFT + slot * index + (slot - bar) / 2
        base = TOP + plot_h
        for colour_index, (label, values) in enumerate(series):
            value = values[index]
            if value <= 0:
                continue
            h = plot_h * value / top
            base -= h
            rects.append((_n(x), _n(base), _n(bar), _n(h),
                          PALETTE[colour_index % len(PALETTE)], label, day.isoformat(),
                          _hours(value), unit))
        if index % every == 0:
            labels.append((_n(x + bar / 2), HEIGHT - BOTTOM + 14, day.strftime("%m-%d")))
    return (format_html_join(
        "", '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
        '<title>{} {}: {} {}</title></rect>', rects),
        format_html_join("", '<text x="{}" y="{}" text-anchor="middle" font-size="10" '
                         'fill="#666">{}</text>', labels))


def stacked_bars(dates, series, unit):
    """The SVG of ``series`` (``[(label, [value per date])]``) stacked per date."""
    totals = [sum(values[i] for _label, values in series) for i in range(len(dates))]
    top = nice_ceiling(max(totals, default=0.0))
    rects, labels = _bars(dates, series, top, unit)
    summary = _("%(unit)s per day, %(days)s days, %(total)s in all") % {
        "unit": unit, "days": len(dates), "total": _hours(sum(totals))}
    return format_html(
        '<svg class="heps-usage-bars" width="{}" height="{}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg">{}{}{}'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"></line></svg>',
        WIDTH, HEIGHT, summary, _grid(top), rects, labels, LEFT, HEIGHT - BOTTOM,
        WIDTH - RIGHT, HEIGHT - BOTTOM)


def legend(series):
    return format_html_join("", '<span><i style="background:{}"></i>{}</span>',
                            ((PALETTE[i % len(PALETTE)], label)
                             for i, (label, _values) in enumerate(series)))


def sparkline(values, label):
    """A small SVG line of ``values`` (one per day), the total in its title."""
    top = max(values, default=0.0) or 1.0
    step = (SPARK_WIDTH - 2) / max(len(values) - 1, 1)
    points = " ".join(f"{1 + step * i:.1f},{SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * v / top:.1f}"
                      for i, v in enumerate(values))
    return format_html(
        '<svg class="heps-sparkline-svg" width="{}" height="{}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<rect x="0" y="0" width="{}" height="{}" fill="#f7f7f7"></rect>'
        '<polyline points="{}" fill="none" stroke="#1f77b4" stroke-width="1.5"></polyline>'
        '</svg>', SPARK_WIDTH, SPARK_HEIGHT, label, label, SPARK_WIDTH, SPARK_HEIGHT, points)
