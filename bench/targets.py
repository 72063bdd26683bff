"""The benchmark's targets, computed from one run's figures (ratios to the bare endpoint, limits)."""
from __future__ import annotations

from bench.http_load import Stored
from bench.report import Figure, Target, threshold

HEART = "heart-disease"  # the use case with the tightest targets
CONNECTIONS = 16
BATCH = 1000
HISTORY_ROWS, HISTORY_BASE = 1_000_000, 10_000


def judge(figures: list[Figure], stored: list[Stored], usecases: list[str]) -> list[Target]:
    """Every target, PASS or MISS on this run's medians, or "not measured"."""
    by_key = {f.key: f for f in figures if f.key}

    def median(key: str) -> float | None:
        return by_key[key].median if key in by_key else None

    def ratio(key: str) -> float | None:
        return by_key[key].ratio if key in by_key else None

    single = f"http:{HEART}:{CONNECTIONS}"
    targets = [
        threshold(f"{HEART}, {CONNECTIONS} conn: throughput vs bare",
                  ">= 0.50x the bare endpoint's", ratio(f"{single}:throughput"), 0.5,
                  higher_is_better=True, unit="x"),
        threshold(f"{HEART}, {CONNECTIONS} conn: p99 latency vs bare",
                  "<= 3x the bare endpoint's", ratio(f"{single}:p99"), 3.0,
                  higher_is_better=False, unit="x"),
        _all_stored(stored, HEART),
    ]
    for name in usecases:
        if name != HEART:
            targets.append(threshold(
                f"{name}, {CONNECTIONS} conn: throughput vs bare", ">= 0.25x the bare endpoint's",
                ratio(f"http:{name}:{CONNECTIONS}:throughput"), 0.25, higher_is_better=True,
                unit="x"))
    targets.append(threshold(f"{HEART}: {BATCH:,}-row batches", ">= 20,000 rows/s",
                             median(f"batch:{HEART}:{BATCH}"), 20_000, higher_is_better=True,
                             unit="rows/s"))
    history = f"history:{HISTORY_ROWS}"
    targets += [
        threshold(f"history of {HISTORY_ROWS:,}: first page", "< 100 ms",
                  median(f"{history}:first_page"), 100, higher_is_better=False, unit="ms"),
        threshold(f"history of {HISTORY_ROWS:,}: filtered page", "< 100 ms",
                  median(f"{history}:filtered_page"), 100, higher_is_better=False, unit="ms"),
        threshold(f"history of {HISTORY_ROWS:,}: chart aggregation", "< 500 ms",
                  median(f"{history}:charts"), 500, higher_is_better=False, unit="ms"),
        threshold(f"history of {HISTORY_ROWS:,}: CSV export", ">= 200,000 rows/s",
                  median(f"{history}:export"), 200_000, higher_is_better=True, unit="rows/s"),
        threshold(f"first page at {HISTORY_ROWS:,} vs at {HISTORY_BASE:,}", "<= 2x",
                  _growth(median(f"{history}:first_page"),
                          median(f"history:{HISTORY_BASE}:first_page")),
                  2.0, higher_is_better=False, unit="x"),
        threshold("bootstrap of all use cases", "< 90 s", median("training:total"), 90,
                  higher_is_better=False, unit="s"),
    ]
    # The same portal on PostgreSQL.
    pg_history = f"pg:history:{HISTORY_ROWS}"
    targets += [
        threshold(f"PostgreSQL: {HEART}, {CONNECTIONS} conn: throughput vs bare",
                  ">= 0.40x the bare endpoint's", ratio(f"pg:{single}:throughput"), 0.4,
                  higher_is_better=True, unit="x"),
        _all_stored(stored, f"PostgreSQL {HEART}"),
        threshold(f"PostgreSQL: history of {HISTORY_ROWS:,}: first page", "< 50 ms",
                  median(f"{pg_history}:first_page"), 50, higher_is_better=False, unit="ms"),
        threshold(f"PostgreSQL: history of {HISTORY_ROWS:,}: filtered page", "< 50 ms",
                  median(f"{pg_history}:filtered_page"), 50, higher_is_better=False,
                  unit="ms"),
    ]
    return targets


def _all_stored(stored: list[Stored], name: str) -> Target:
    checks = [s for s in stored if s.usecase == name]
    label = f"{name}: every prediction stored"
    if not checks:
        return Target(label, "stored rows = answers")
    answered = sum(s.answered for s in checks)
    rows = sum(s.stored for s in checks)
    passed = all(s.ok for s in checks)
    return Target(label, "stored rows = answers", f"{rows:,} rows for {answered:,} answers",
                  passed, "" if passed else "rows missing or extra")


def _growth(large: float | None, small: float | None) -> float | None:
    return large / small if large is not None and small else None


NOTES = [
    "Ratios are the use case's median over the median of the bare endpoint runs paired with "
    "it (same body and connections, run just before each); throughput counts successful "
    "answers only.",
    "\"Every prediction stored\" compares the rows the predictions table gained with the "
    "successful answers wrk counted, over the single-prediction runs at every concurrency and "
    "the batches; wrk stops without waiting for requests in flight, which the server still "
    "answers and stores, so up to one extra row per connection per run is expected.",
    "The bootstrap target is judged on the wall time of the whole `hub bootstrap` command. The "
    "quality floors are asserted by the tests (tests/usecases); the metric each use case "
    "reached in this run is in its training row.",
]
