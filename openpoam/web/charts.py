"""Geometry for the dashboard's charts, drawn as plain SVG by the templates.

Plain SVG templates rather than a chart library: the page's strict Content-Security-
Policy forbids the inline styles and scripts that SVG chart libraries (pygal among
them) embed, and a few bars and lines need no more than this. Every chart also
carries its numbers as text for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 420, 200
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
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
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
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
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


BASELINE_Y = HEIGHT - BOTTOM
