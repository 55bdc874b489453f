"""The one SVG chart module: the dashboard's geometry (bars and lines its template draws)
and the metrics page's and report's finished charts (burn-down, score trend, open by risk
and by age). Below every interface: the web pages and reviews/services/report.py use it.

Plain SVG rather than a charting library: the pages' strict Content-Security-Policy
forbids the inline styles and scripts SVG chart libraries (pygal among them) embed; a few
bars and lines need no more than this; vector output that the browser and the PDF
renderer both draw crisply; every label goes through Django's escaping. Every chart
scales to its card (a viewBox, width 100% in the stylesheet) and carries its numbers as
text for screen readers. One palette: the dashboard's risk and line colours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Sequence
from datetime import date

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 560, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 16, 16, 36
# The dashboard's colours (openpoam.css .bar--*, --accent), written into the SVG as well
# so that the report's PDF draws them without the stylesheet.
RISK_COLOURS = {"critical": "#7a1712", "high": "#b42318", "moderate": "#b7791f", "low": "#2f855a"}
LINE_COLOUR = "#1f5fa8"
INK = "#4a5566"
GRID = "#d9dee5"


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
                     f'stroke="{GRID}" stroke-width="1"/>'
                     f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="{INK}">{value:.0f}</text>')
    return "".join(parts)


def line_chart(title: str, points: Sequence[tuple[date, float]], unit: str) -> SafeString:
    """A line over dated points (first, middle and last dates labelled)."""
    if not points:
        return format_html('<p class="muted">{}: no data yet.</p>', title)
    values = [v for _, v in points]
    low, high = _scale(values)
    coords = [(_x(i, len(points)), _y(v, low, high)) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{LINE_COLOUR}"/>'
                   for x, y in coords)
    labels = "".join(
        f'<text x="{_x(i, len(points)):.1f}" y="{HEIGHT - 12}" text-anchor="{_anchor(i, points)}" '
        f'font-size="11" fill="{INK}">{points[i][0].isoformat()}</text>'
        for i in sorted({0, len(points) // 2, len(points) - 1}))
    body = (_axes(low, high) + f'<polyline points="{path}" fill="none" stroke="{LINE_COLOUR}" '
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
        colour = RISK_COLOURS.get(label, INK)
        css = f' class="bar--{label}"' if label in RISK_COLOURS else ""
        parts.append(
            f'<rect{css} x="{x:.1f}" y="{top:.1f}" '
            f'width="{step * 0.6:.1f}" '
            f'height="{_y(low, low, high) - top:.1f}" fill="{colour}"/>'
            f'<text x="{x + step * 0.3:.1f}" y="{top - 4:.1f}" text-anchor="middle" '
            f'font-size="12" fill="{INK}">{value}</text>'
            f'<text x="{x + step * 0.3:.1f}" y="{HEIGHT - 12}" text-anchor="middle" '
            f'font-size="11" fill="{INK}">{escape(label.capitalize())}</text>')
    description = "; ".join(f"{label}: {value}" for label, value in bars.items())
    return _frame(title, "".join(parts), description)


# ---- the dashboard's geometry ---------------------------------------------------------------

# The dashboard's charts: the template draws them from this geometry.
DASH_WIDTH, DASH_HEIGHT = 420, 200
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    css: str
    x: float
    y: float
    width: float
    height: float

    @property
    def label_x(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    x: float
    y: float


def _scale_max(values: list[float]) -> float:
    top = max(values, default=0)
    return top if top > 0 else 1


def bars(entries: list[tuple[str, int, str]]) -> list[Bar]:
    """Vertical bars for (label, value, css class) entries."""
    if not entries:
        return []
    top = _scale_max([v for _, v, _ in entries])
    inner_w, inner_h = DASH_WIDTH - LEFT - RIGHT, DASH_HEIGHT - TOP - BOTTOM
    slot = inner_w / len(entries)
    width = slot * 0.6
    result = []
    for index, (label, value, css) in enumerate(entries):
        height = inner_h * value / top
        result.append(Bar(label, value, css, x=LEFT + slot * index + (slot - width) / 2,
                          y=TOP + inner_h - height, width=width, height=height))
    return result


def line(entries: list[tuple[str, float | None]], low: float | None = None,
         high: float | None = None) -> list[Point]:
    """Points of a line chart; entries without a value are left out."""
    known = [(label, value) for label, value in entries if value is not None]
    if not known:
        return []
    values = [v for _, v in known]
    lo = min(values) if low is None else low
    hi = max(values) if high is None else high
    span = (hi - lo) or 1
    inner_w, inner_h = DASH_WIDTH - LEFT - RIGHT, DASH_HEIGHT - TOP - BOTTOM
    step = inner_w / max(1, len(entries) - 1)
    points = []
    for index, (label, value) in enumerate(entries):
        if value is None:
            continue
        points.append(Point(label, value, x=LEFT + step * index,
                            y=TOP + inner_h - inner_h * (value - lo) / span))
    return points


def polyline(points: list[Point]) -> str:
    return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points)


BASELINE_Y = DASH_HEIGHT - BOTTOM
