"""Bar charts of the history, laid out here and drawn as SVG by templates/history/_bar_chart.html.

Only geometry and text are computed here; colours come from charts.css through classes, so the
page needs no inline style (the Content-Security-Policy forbids it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 32, 84  # room for the y ticks, the title and slanted labels
MAX_LABELS = 16  # more x labels than this would overlap: show every n-th one
LABEL_CHARS = 16
MAX_FILLED_DAYS = 366
MAX_BAR_WIDTH = 64  # a few bars stay bars, not blocks


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the category in full (the axis shows it shortened)
    tooltip: str  # the SVG <title>: what a pointer over the bar reveals
    value: int | str
    kind: str = ""  # a class for its colour, when bars of several series share a chart


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass
class BarChart:
    title: str
    x_title: str
    y_title: str
    bars: list[Bar] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (class, series name)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: float = HEIGHT - BOTTOM  # the x axis's y coordinate
    right: float = WIDTH - RIGHT


def bar_chart(title: str, x_title: str, y_title: str, points: list[tuple[str, int]],
              tooltips: list[str] | None = None, ticks: list[str] | None = None) -> BarChart:
    """One bar per (label, count), scaled to a y axis that starts at zero.

    `tooltips` and `ticks` (the text under the axis) default to "label: count" and the label.
    """
    chart = BarChart(title, x_title, y_title)
    if not points:
        return chart
    top = nice_ceiling(max(count for _, count in points))
    plot_height = chart.bottom - chart.top
    slot = (chart.right - chart.left) / len(points)
    every = math.ceil(len(points) / MAX_LABELS)
    width = min(max(slot * 0.8, 1.0), MAX_BAR_WIDTH)
    for i, (label, count) in enumerate(points):
        height = plot_height * count / top
        middle = chart.left + (i + 0.5) * slot
        chart.bars.append(Bar(round(middle - width / 2, 2), round(chart.bottom - height, 2),
                              round(width, 2), round(height, 2), label,
                              tooltips[i] if tooltips else f"{label}: {count}", count))
        if i % every == 0:
            chart.x_ticks.append(Tick(round(middle, 2), shorten(ticks[i] if ticks else label)))
    for value in (0, top / 2, top):
        chart.y_ticks.append(Tick(round(chart.bottom - plot_height * value / top, 2),
                                  f"{value:g}"))
    return chart


def nice_ceiling(value: int) -> int:
    """The smallest even number of at least `value` (so the middle tick is a whole number)."""
    return max(2, value + value % 2)


def shorten(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def per_day_chart(days: list[tuple[str, int]]) -> BarChart:
    """Predictions per day; days without any get an empty bar, so gaps show as gaps (up to a
    year: beyond that the bars would be thinner than a pixel, so only days with any are drawn)."""
    filled, x_title = days, "Day (UTC)"
    if days:
        first = date.fromisoformat(days[0][0])
        span = (date.fromisoformat(days[-1][0]) - first).days + 1
        if span <= MAX_FILLED_DAYS:
            counts = dict(days)
            every_day = [str(first + timedelta(days=n)) for n in range(span)]
            filled = [(day, counts.get(day, 0)) for day in every_day]
        else:
            x_title = "Days with predictions (UTC)"
    tips = [f"{day}: {count} prediction{'s' if count != 1 else ''}" for day, count in filled]
    return bar_chart("Predictions per day", x_title, "Predictions", filled, tips)


def histogram_chart(bins: list[tuple[float, float, int]], title: str = "Predicted values",
                    x_title: str = "Predicted value") -> BarChart:
    """The distribution of numeric outputs in equal-width bins."""
    points = [(f"{low:.4g} to {high:.4g}", count) for low, high, count in bins]
    return bar_chart(title, x_title, "Predictions", points,
                     ticks=[f"{low:.4g}" for low, _, _ in bins])


def label_chart(shares: list[tuple[str, int]], title: str = "Predicted labels",
                x_title: str = "Label") -> BarChart:
    """How often each label (or top-ranked item) was predicted, most frequent first; labels
    as people read them (see portal/history/words.py)."""
    total = sum(count for _, count in shares) or 1
    tips = [f"{label}: {count} ({count / total:.0%})" for label, count in shares]
    return bar_chart(title, x_title, "Predictions", shares, tips)


def paired_chart(title: str, x_title: str, bins: list[dict], series: tuple[str, str] = (
        "Training", "Live")) -> BarChart:
    """Two distributions side by side: per bin, the share of each (bins' `reference` and
    `live`), on one axis from 0 to the largest share."""
    chart = BarChart(title, x_title, "Share")
    chart.legend = [("reference", series[0]), ("live", series[1])]
    if not bins:
        return chart
    top = max(max(b["reference"], b["live"]) for b in bins) or 1.0
    plot_height = chart.bottom - chart.top
    slot = (chart.right - chart.left) / len(bins)
    width = min(max(slot * 0.4, 1.0), MAX_BAR_WIDTH / 2)
    every = math.ceil(len(bins) / MAX_LABELS)
    for i, b in enumerate(bins):
        middle = chart.left + (i + 0.5) * slot
        for offset, kind, name in ((-width, "reference", series[0]), (0.0, "live", series[1])):
            height = plot_height * b[kind] / top
            chart.bars.append(Bar(round(middle + offset, 2), round(chart.bottom - height, 2),
                                  round(width, 2), round(height, 2), b["label"],
                                  f"{b['label']}: {b[kind]:.1%} of {name.lower()} inputs",
                                  f"{b[kind]:.1%}", kind))
        if i % every == 0:
            chart.x_ticks.append(Tick(round(middle, 2), shorten(b["label"])))
    for value in (0, top / 2, top):
        chart.y_ticks.append(Tick(round(chart.bottom - plot_height * value / top, 2),
                                  f"{value:.0%}"))
    return chart
