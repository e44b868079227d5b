"""The letters-per-day chart's geometry, drawn on the server as SVG (no script, no
library): one bar per day, a scale with round steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 720
HEIGHT = 220
LEFT = 44  # room for the scale's numbers
BOTTOM = 28  # room for the dates
TOP = 10
GAP = 2


@dataclass(frozen=True)
class Bar:
    """One day's bar, in SVG user units."""

    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    """A line of the scale."""

    value: int
    y: float


@dataclass(frozen=True)
class Chart:
    """Everything the template draws."""

    bars: list[Bar]
    ticks: list[Tick]
    labels: list[Bar]  # the bars whose date is written under them
    total: int
    busiest: Bar | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: float = HEIGHT - BOTTOM


def _step(top: int) -> int:
    """A round step giving at most five lines up to `top`."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500):
        if top / step <= 5:
            return step
    magnitude = 1000
    while top / magnitude > 5:
        magnitude *= 10
    return magnitude


def letters_per_day(per_day: Sequence[tuple[date, int]]) -> Chart:
    """The chart of these (day, count) pairs, oldest first."""
    peak = max((n for _, n in per_day), default=0)
    step = _step(max(peak, 1))
    top = max(step, -(-peak // step) * step)
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(1, len(per_day))
    bars = []
    for i, (d, n) in enumerate(per_day):
        h = plot_h * n / top
        bars.append(
            Bar(
                d,
                n,
                round(LEFT + i * slot + GAP / 2, 2),
                round(HEIGHT - BOTTOM - h, 2),
                round(slot - GAP, 2),
                round(h, 2),
            )
        )
    ticks = [Tick(v, round(HEIGHT - BOTTOM - plot_h * v / top, 2)) for v in range(0, top + 1, step)]
    # A date under every seventh bar, counted back from today's (the last).
    labels = [b for i, b in enumerate(bars) if (len(bars) - 1 - i) % 7 == 0]
    busiest = max(bars, key=lambda b: (b.count, b.day)) if peak else None
    return Chart(bars, ticks, labels, sum(n for _, n in per_day), busiest)
