"""Figures and how they are shown: the one Markdown table, and BENCHMARKS.md around it."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

COLUMNS = ("Section", "Measure", "Median", "Min", "Max", "Unit", "vs bare", "Runs", "Note")


@dataclass
class Figure:
    """One measured quantity: every run's value, so the median and the spread can be shown.

    `baseline` is the bare endpoint's figure for the same quantity, when there is one; `key`
    names the figure for the targets (e.g. "http:heart-disease:16:throughput").
    """

    section: str
    name: str
    unit: str
    samples: list[float]
    baseline: "Figure | None" = None
    note: str = ""
    key: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    @property
    def ratio(self) -> float | None:
        """Median over the bare endpoint's median."""
        if self.baseline is None or not self.baseline.median:
            return None
        return self.median / self.baseline.median


@dataclass
class Target:
    """One target, judged on this run's medians; `passed` is None when unmeasured."""

    name: str
    required: str  # as a person reads it, e.g. ">= 0.50x the bare endpoint's"
    measured: str = ""
    passed: bool | None = None
    detail: str = ""  # how far from the line, e.g. "1.8x margin" or "needs 6.2x"

    @property
    def result(self) -> str:
        if self.passed is None:
            return "not measured"
        verdict = "PASS" if self.passed else "MISS"
        return f"{verdict} ({self.detail})" if self.detail else verdict


def threshold(name: str, required: str, value: float | None, line: float, *,
              higher_is_better: bool, unit: str = "") -> Target:
    """A target met when `value` is on the right side of `line`."""
    if value is None:
        return Target(name, required)
    # How far on the right side of the line (>= 1 passes); every figure here is positive.
    if higher_is_better:
        factor = value / line
    else:
        factor = line / value if value > 0 else math.inf
    if factor >= 1:
        detail = f"{factor:.2f}x margin" if math.isfinite(factor) else ""
    else:
        detail = f"needs {1 / factor:.1f}x" if factor > 0 else ""
    shown = f"{number(value)}{unit}" if unit == "x" else f"{number(value)} {unit}".strip()
    return Target(name, required, shown, factor >= 1, detail)


def number(value: float | None) -> str:
    """Three significant figures or so, with thousands separators."""
    if value is None:
        return ""
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _row(cells: list[str] | tuple[str, ...]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def table(figures: list[Figure]) -> str:
    """The benchmark's one table, in Markdown."""
    lines = [_row(COLUMNS), _row(["---"] * len(COLUMNS))]
    for f in figures:
        ratio = f.ratio
        lines.append(_row([f.section, f.name, number(f.median), number(f.low), number(f.high),
                           f.unit, "" if ratio is None else f"{ratio:.2f}x",
                           str(len(f.samples)), f.note]))
    return "\n".join(lines)


def targets_table(targets: list[Target]) -> str:
    lines = [_row(("Target", "Required", "Measured (median)", "Result")),
             _row(["---"] * 4)]
    for t in targets:
        lines.append(_row((t.name, t.required, t.measured, t.result)))
    return "\n".join(lines)


def document(*, title: str, header: list[str], sections: dict[str, list[str]],
             figures: list[Figure], targets: list[Target], target_notes: list[str],
             notes: list[str]) -> str:
    """BENCHMARKS.md: what ran where, the table, the targets and how to read them."""
    parts = [f"# {title}", "", *header, ""]
    for heading, lines in sections.items():
        parts += [f"## {heading}", "", *lines, ""]
    parts += ["## Results", "", table(figures), ""]
    parts += ["## Targets", "", "The targets, judged on the medians above.", "",
              targets_table(targets), "", *[f"- {note}" for note in target_notes], ""]
    parts += ["## How to read it", "", *[f"- {note}" for note in notes], ""]
    return "\n".join(parts)
