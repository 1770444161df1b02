"""SVG charts drawn on the server: the same markup goes into the page and into the PDF.

Each chart is an ``<svg role="img">`` with a title and a description; the page and the PDF
print the same data as a table beside it, for screen readers and for anyone checking a bar.
No JavaScript, no external fonts, no tiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#be123c"]
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


@dataclass
class Chart:
    id: str
    title: str
    svg: SafeString
    columns: list[str]
    rows: list[list]


def _nice_max(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten, at least the largest value."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 5, 10) if value <= m * magnitude)


def _open(chart_id: str, title: str, width: int, height: int, summary: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d" class="chart" {FONT} font-size="11">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(summary)}</desc>',
    ]


def bar_chart(chart_id: str, title: str, labels: list[str], series: list[tuple[str, list[float]]],
              *, width: int = 640, height: int = 240, unit: str = "") -> Chart:
    height += 40 if len(labels) > 8 else 0
    """Grouped vertical bars: one group per label, one bar per series."""
    left, bottom, top, right = 44, 46 + (40 if len(labels) > 8 else 0), 12, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max([v or 0 for _n, values in series for v in values] or [0]))
    parts = _open(chart_id, title, width, height,
                  f"Bar chart of {len(labels)} groups; the table that follows has the values.")
    for tick in range(5):
        value = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#333">{value:g}</text>')
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(2.0, group_w * 0.8 / max(len(series), 1))
    for g, label in enumerate(labels):
        x0 = left + g * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series):
            value = values[g] or 0
            h = plot_h * value / peak
            x = x0 + s * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(name)}, {escape(label)}: '
                         f'{value:g}{escape(unit)}</title></rect>')
        x_mid, y_label = x0 + group_w * 0.4, height - bottom + 12
        if len(labels) > 8:  # many groups: slanted labels so they do not run into each other
            parts.append(f'<text x="{x_mid:.1f}" y="{y_label}" text-anchor="end" font-size="9" fill="#333" '
                         f'transform="rotate(-35 {x_mid:.1f} {y_label})">{escape(label[:18])}</text>')
        else:
            parts.append(f'<text x="{x_mid:.1f}" y="{y_label + 2}" text-anchor="middle" '
                         f'fill="#333">{escape(label[:16])}</text>')
    for s, (name, _values) in enumerate(series):
        x = left + s * 150
        parts.append(f'<rect x="{x}" y="{height - 16}" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 7}" fill="#333">{escape(name)}</text>')
    parts.append("</svg>")
    rows = [[label, *[values[i] for _n, values in series]] for i, label in enumerate(labels)]
    return Chart(chart_id, title, mark_safe("".join(parts)), ["", *[n for n, _v in series]], rows)


def point_map(chart_id: str, title: str, points: list[dict], *, flagged: set[int] = frozenset(),
              width: int = 640, height: int = 360) -> Chart:
    """Suburbs as circles at their jobs' mean position, sized by count: no tile layer needed."""
    pad = 40
    parts = _open(chart_id, title, width, height,
                  f"Map of {len(points)} suburbs drawn as circles sized by job count; hotspots in red. "
                  "The table that follows lists them.")
    parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f7fa"/>')
    if points:
        lats = [p["lat"] for p in points]
        lngs = [p["lng"] for p in points]
        lat_span = max(max(lats) - min(lats), 0.01)
        lng_span = max(max(lngs) - min(lngs), 0.01)
        scale = min((width - 2 * pad) / lng_span, (height - 2 * pad) / lat_span)
        peak = max(p["count"] for p in points)
        for p in sorted(points, key=lambda p: -p["count"]):
            x = pad + (p["lng"] - min(lngs)) * scale
            y = height - pad - (p["lat"] - min(lats)) * scale
            r = 4 + 16 * (p["count"] / peak) ** 0.5
            hot = p["suburb_id"] in flagged
            colour = "#c0262d" if hot else "#0b5cad"
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" fill-opacity="0.55" '
                         f'stroke="{colour}"><title>{escape(p["name"])}: {p["count"]}</title></circle>')
            parts.append(f'<text x="{x + r + 2:.1f}" y="{y + 4:.1f}" fill="#222">{escape(p["name"])}'
                         f'{" (hotspot)" if hot else ""}</text>')
    parts.append("</svg>")
    rows = [[p["name"], p["count"], "yes" if p["suburb_id"] in flagged else ""] for p in points]
    return Chart(chart_id, title, mark_safe("".join(parts)), ["Suburb", "Jobs", "Hotspot"], rows)
