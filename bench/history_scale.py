"""The prediction history at 10,000, 100,000 and 1,000,000 rows, through its service functions.

The rows are loaded straight into SQLite in one transaction (not through HTTP), and look like
real ones: each is a real prediction of a use case's production model on a valid input, spread
over the use cases, three versions each (rolled out one after the other), the three sources and
the last 90 days, ids rising with time as they do in use. The history's service functions are
then timed in this process, inside an app context, as the history page and the API call them.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import time
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
from flask import Flask

from bench import workload
from bench.report import Figure
from registry import history, serving
from registry.database import db
from registry.predictions import reduce_output
from usecases import all_usecases

SECTION = "4. History at scale (in-process)"
DAYS = 90
VERSIONS = 3
SOURCE_WEIGHTS = {"form": 0.25, "api": 0.6, "batch": 0.15}
COLUMNS = ("usecase", "model_version_id", "version", "created_at", "inputs", "output", "summary",
           "output_value", "output_label", "latency_ms", "source")
INSERT = (f"INSERT INTO predictions ({', '.join(COLUMNS)}) "
          f"VALUES ({', '.join('?' * len(COLUMNS))})")

Sample = tuple[str, str, str, float | None, str | None]  # inputs, output, summary, value, label


def samples(app: Flask, per_usecase: int = 200) -> dict[str, list[Sample]]:
    """Real predictions of each use case's production model on varied valid inputs."""
    out: dict[str, list[Sample]] = {}
    with app.app_context():
        for name, usecase in all_usecases().items():
            _, model = serving.production_model(name)
            rows = workload.clean(usecase, workload.varied(usecase, model, per_usecase, seed=1))
            results = usecase.predict(model, rows)
            out[name] = []
            for values, result in zip(rows, results):
                value, label = reduce_output(result["output"])
                out[name].append((json.dumps(values), json.dumps(result["output"]),
                                  str(result.get("summary", ""))[:300], value, label))
    return out


def prepare(source: Path, folder: Path) -> tuple[Path, dict[str, list[tuple[int, int]]]]:
    """A copy of the instance `source` with no predictions and three versions per use case.

    Returns the database's path and, per use case, its (version id, version) pairs in order.
    """
    shutil.copytree(source, folder)
    database = folder / "modelhub.db"
    with closing(sqlite3.connect(database)) as connection, connection:
        # What refers to predictions goes first (the challenger's, the outcomes).
        for table in ("challenger_predictions", "outcomes", "predictions"):
            connection.execute(f"DELETE FROM {table}")  # nosec B608  (constant names)
        names = [row[1] for row in connection.execute("PRAGMA table_info(model_versions)")]
        pairs = add_versions(connection, names)
    return database, pairs


def add_versions(connection: Any, names: list[str]) -> dict[str, list[tuple[int, int]]]:
    """Copies of each production version as archived ones (numbered after the use case's last
    version; VERSIONS - 1 of them), through a DB-API connection of either database; per use
    case, its (version id, version) pairs."""
    copied = [n for n in names if n not in ("id", "version", "stage")]
    for _ in range(1, VERSIONS):
        connection.execute(
            f"INSERT INTO model_versions (version, stage, {', '.join(copied)}) "  # nosec B608
            "SELECT (SELECT MAX(v.version) FROM model_versions v WHERE v.usecase = "
            f"model_versions.usecase) + 1, 'archived', {', '.join(copied)} "
            "FROM model_versions WHERE stage = 'production'")
    pairs: dict[str, list[tuple[int, int]]] = {}
    for usecase, version_id, version in connection.execute(
            "SELECT usecase, id, version FROM model_versions ORDER BY usecase, version"):
        pairs.setdefault(usecase, []).append((version_id, version))
    return pairs


def load(database: Path, count: int, pool: dict[str, list[Sample]],
         versions: dict[str, list[tuple[int, int]]], seed: int = 0) -> float:
    """Replace the stored predictions with `count` made-up ones; returns rows per second."""
    began = time.perf_counter()
    with closing(sqlite3.connect(database)) as connection:
        with connection:  # one transaction: commits at the end of the block
            connection.execute("DELETE FROM predictions")
            connection.executemany(INSERT, rows(count, pool, versions, seed))
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return count / (time.perf_counter() - began)


def rows(count: int, pool: dict[str, list[Sample]], versions: dict[str, list[tuple[int, int]]],
          seed: int) -> Iterator[tuple]:
    """`count` rows, oldest first; the random draws are made in bulk with numpy for speed."""
    rng = np.random.default_rng(seed)
    names = [name for name in sorted(pool) if name in versions]
    span = DAYS * 86400.0
    elapsed = np.minimum(np.cumsum(rng.exponential(span / count, count)), span)
    end = np.datetime64(datetime.now(UTC).replace(tzinfo=None), "us")
    before_end = ((span - elapsed) * 1e6).astype(np.int64).astype("timedelta64[us]")
    stamps = np.datetime_as_string(end - before_end, unit="us")
    which = rng.integers(len(names), size=count)
    picks = rng.random(count)
    rollout = np.minimum((elapsed / span * VERSIONS).astype(int), VERSIONS - 1)
    sources = rng.choice(list(SOURCE_WEIGHTS), size=count, p=list(SOURCE_WEIGHTS.values()))
    latencies = rng.uniform(0.5, 20.0, count)
    for i in range(count):
        name = names[which[i]]
        samples_of = pool[name]
        inputs, output, summary, value, label = samples_of[int(picks[i] * len(samples_of))]
        version_id, version = versions[name][min(int(rollout[i]), len(versions[name]) - 1)]
        yield (name, version_id, version, stamps[i].replace("T", " "), inputs, output, summary,
               value, label, float(latencies[i]), str(sources[i]))


def _timed(call: Callable[[], object], runs: int, budget: float = 30.0,
           warm: bool = True) -> list[float]:
    """Seconds of up to `runs` calls; fewer when they have taken `budget` seconds already.

    A first untimed call (`warm`) keeps one-off costs (compiling the SQL statement, SQLite
    reading its schema) out of the figures, as they are out of a long-running server's.
    """
    times: list[float] = []
    if warm:
        call()
    for _ in range(runs):
        if times and sum(times) > budget:
            break
        db.session.remove()  # each run starts with a fresh session, as each request does
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    db.session.remove()
    return times


def measure(app: Flask, count: int, usecase: str, *, runs: int, export_runs: int
            ) -> list[Figure]:
    """The history page's first page, a filtered page, the charts and the CSV export."""
    today = date.today()
    everything = history.HistoryFilter()
    filtered = history.HistoryFilter(usecase=usecase, source="api",
                                     since=today - timedelta(days=60),
                                     until=today - timedelta(days=30))
    charted = history.HistoryFilter(usecase=usecase)
    size = f"{count:,} rows"
    with app.app_context():
        first = _timed(lambda: history.page(everything), runs)
        page = _timed(lambda: history.page(filtered), runs)
        charts = _timed(lambda: history.charts(charted), runs)
        export = _timed(lambda: sum(1 for _ in history.export_csv(everything)), export_runs,
                        warm=False)  # at a million rows a warm-up would cost a minute
    return [
        Figure(SECTION, f"{size}: first page, no filter", "ms", [t * 1000 for t in first],
               key=f"history:{count}:first_page"),
        Figure(SECTION, f"{size}: page filtered by use case, source and dates", "ms",
               [t * 1000 for t in page], note=f"{usecase}, api, 60 to 30 days ago",
               key=f"history:{count}:filtered_page"),
        Figure(SECTION, f"{size}: chart aggregation (per day, histogram, labels)", "ms",
               [t * 1000 for t in charts], note=usecase, key=f"history:{count}:charts"),
        Figure(SECTION, f"{size}: CSV export", "rows/s", [count / t for t in export],
               key=f"history:{count}:export"),
    ]
