"""Small server-rendered SVG charts (burn-down, score trend, open by risk).

Plain SVG rather than a charting library: three chart shapes, no JavaScript, vector
output that the browser and the PDF renderer both draw crisply, and every label goes
through Django's escaping. Each function returns markup safe to embed in a template.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 560, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 16, 16, 36
RISK_COLOURS = {"critical": "#7f1d1d", "high": "#b91c1c", "moderate": "#b45309", "low": "#1d4ed8"}


def _frame(title: str, body: str, description: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>{body}</svg>")


def _scale(values: Sequence[float]) -> tuple[float, float]:
    """Axis bounds from zero (or below) with an even span, so the middle line is whole."""
    low, high = min(0, math.floor(min(values))), math.ceil(max(values))
    if high == low:
        high = low + 2
    if (high - low) % 2:
        high += 1
    return low, high


def _y(value: float, low: float, high: float) -> float:
    plot = HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + plot - (value - low) / (high - low) * plot


def _x(index: int, count: int) -> float:
    plot = WIDTH - PAD_LEFT - PAD_RIGHT
    return PAD_LEFT + (plot * index / (count - 1) if count > 1 else plot / 2)


def _axes(low: float, high: float) -> str:
    parts = []
    for value in (low, (low + high) / 2, high):
        y = _y(value, low, high)
        parts.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#d1d5db" stroke-width="1"/>'
                     f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#374151">{value:.0f}</text>')
    return "".join(parts)


def line_chart(title: str, points: Sequence[tuple[date, float]], unit: str) -> SafeString:
    """A line over dated points (first, middle and last dates labelled)."""
    if not points:
        return format_html('<p class="muted">{}: no data yet.</p>', title)
    values = [v for _, v in points]
    low, high = _scale(values)
    coords = [(_x(i, len(points)), _y(v, low, high)) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f2937"/>' for x, y in coords)
    labels = "".join(
        f'<text x="{_x(i, len(points)):.1f}" y="{HEIGHT - 12}" text-anchor="{_anchor(i, points)}" '
        f'font-size="11" fill="#374151">{points[i][0].isoformat()}</text>'
        for i in sorted({0, len(points) // 2, len(points) - 1}))
    body = (_axes(low, high) + f'<polyline points="{path}" fill="none" stroke="#1f2937" '
            'stroke-width="2"/>' + dots + labels)
    description = "; ".join(f"{d.isoformat()}: {v:g} {unit}" for d, v in points)
    return _frame(title, body, description)


def _anchor(index: int, points: Sequence) -> str:
    """Edge labels lean inward so they are not cut off by the chart's border."""
    if len(points) > 1 and index == 0:
        return "start"
    if len(points) > 1 and index == len(points) - 1:
        return "end"
    return "middle"


def bar_chart(title: str, bars: dict[str, int]) -> SafeString:
    """One bar per label (risk levels get their colours)."""
    if not bars:
        return format_html('<p class="muted">{}: no data.</p>', title)
    low, high = _scale(list(bars.values()))
    plot = WIDTH - PAD_LEFT - PAD_RIGHT
    step = plot / len(bars)
    parts = [_axes(low, high)]
    for index, (label, value) in enumerate(bars.items()):
        x = PAD_LEFT + index * step + step * 0.2
        top = _y(value, low, high)
        colour = RISK_COLOURS.get(label, "#374151")
        parts.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{step * 0.6:.1f}" '
            f'height="{_y(low, low, high) - top:.1f}" fill="{colour}"/>'
            f'<text x="{x + step * 0.3:.1f}" y="{top - 4:.1f}" text-anchor="middle" '
            f'font-size="12" fill="#111827">{value}</text>'
            f'<text x="{x + step * 0.3:.1f}" y="{HEIGHT - 12}" text-anchor="middle" '
            f'font-size="11" fill="#374151">{escape(label.capitalize())}</text>')
    description = "; ".join(f"{label}: {value}" for label, value in bars.items())
    return _frame(title, "".join(parts), description)
