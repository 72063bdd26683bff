"""Predictions over HTTP against the running portal (and the bare endpoint), as clients send them.

Every prediction the portal answers must also be stored. The predictions table is counted before
and after each run and compared with the responses wrk counted: wrk stops at its deadline without
waiting for requests still in flight, and the server finishes (and stores) those anyway, so a run
stores at least as many rows as it got successful answers, and at most one more per connection.
"""
from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bench import load
from bench.report import Figure
from bench.server import request

SINGLE = "2. Single predictions (HTTP)"
BATCH = "3. Batch scoring (HTTP)"
LIMIT = "1. Limit (bare endpoint, HTTP)"
BATCH_BUDGET = 15.0  # seconds: slow batches are repeated three times, not `runs` times


@dataclass(frozen=True)
class Plan:
    """How long and how often each HTTP figure is measured."""

    connections: tuple[int, ...]
    runs: int
    seconds: float
    batch_runs: int


@dataclass
class Stored:
    """Whether a use case's answered predictions were all stored, at one concurrency."""

    usecase: str
    connections: int
    answered: int
    stored: int
    slack: int  # requests that may still have been in flight when wrk stopped

    @property
    def ok(self) -> bool:
        return self.answered <= self.stored <= self.answered + self.slack


def predict_url(base: str, name: str) -> str:
    return f"{base}/api/v1/usecases/{name}/predict"


def body(inputs: Any) -> bytes:
    return json.dumps({"inputs": inputs}).encode()


Counter = Callable[[], int]  # the number of stored predictions, read behind the portal's back


def sqlite_counter(database: Path) -> Counter:
    def count() -> int:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True,
                                     timeout=30)) as connection:
            return connection.execute("SELECT count(*) FROM predictions").fetchone()[0]
    return count


def postgres_counter(dsn: str) -> Counter:
    def count() -> int:
        import psycopg

        with psycopg.connect(dsn) as connection:
            return connection.execute("SELECT count(*) FROM predictions").fetchone()[0]
    return count


def settled_count(count: Counter, timeout: float = 15.0) -> int:
    """The row count once requests still in flight have finished (it stops moving)."""
    deadline = time.monotonic() + timeout
    last = count()
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = count()
        if now == last:
            return now
        last = now
    return last


def warm_up(url: str, payload: bytes, requests: int = 20, parallel: int = 4) -> None:
    """Send requests over several connections so each worker has loaded the model."""
    def send(_: int) -> None:
        status, answer, _ = request(url, payload)
        if status != 200:
            raise RuntimeError(f"POST {url} answered {status}: {answer[:500]!r}")

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(send, range(requests)))


def _figures(section: str, label: str, runs: list[load.LoadRun], key: str,
             bare: dict[str, Figure] | None, note: str = "") -> list[Figure]:
    bare = bare or {}
    failed = sum(r.failed for r in runs)
    note = note + (f"; {failed} failed" if failed else "")
    return [Figure(section, f"{label}: throughput", "req/s", [r.throughput for r in runs],
                   bare.get("throughput"), note.strip("; "), key=f"{key}:throughput"),
            Figure(section, f"{label}: p50 latency", "ms", [r.p50_ms for r in runs],
                   bare.get("p50"), key=f"{key}:p50"),
            Figure(section, f"{label}: p99 latency", "ms", [r.p99_ms for r in runs],
                   bare.get("p99"), key=f"{key}:p99")]


def singles(portal: str, bare: str, name: str, payload: bytes, plan: Plan, folder: Path,
            database: Counter, variant: str = ""
            ) -> tuple[list[Figure], list[Stored], dict[int, list[load.LoadRun]]]:
    """Single predictions of one use case at each concurrency, with the storage check.

    Each run is paired with a run of the bare endpoint (`bare`) just before it, with the same
    body and connections: a machine whose other load drifts during the benchmark shifts both
    alike, so their ratio holds. Returns the bare runs too, by concurrency. A `variant` (e.g.
    "challenger") names a second measurement of the same use case in another set-up.
    """
    url, bare_url = predict_url(portal, name), predict_url(bare, name)
    warm_up(url, payload)
    warm_up(bare_url, payload)
    lua = load.script(payload, folder)
    figures: list[Figure] = []
    checks: list[Stored] = []
    bare_runs: dict[int, list[load.LoadRun]] = {}
    for connections in plan.connections:
        runs: list[load.LoadRun] = []
        paired: list[load.LoadRun] = []
        stored = 0
        for _ in range(plan.runs):
            paired.append(load.run(bare_url, lua, connections, plan.seconds))
            before = settled_count(database)
            runs.append(load.run(url, lua, connections, plan.seconds))
            stored += settled_count(database) - before
        check = Stored(name, connections, sum(r.succeeded for r in runs), stored,
                       connections * plan.runs)
        checks.append(check)
        note = (f"stored {check.stored:,} for {check.answered:,} answers"
                + ("" if check.ok else " (MISMATCH)"))
        baseline = {f.key.rsplit(":", 1)[1]: f
                    for f in _figures(LIMIT, "paired bare", paired, "bare", None)}
        label = f"{name}, {connections} conn" + (f", {variant}" if variant else "")
        key = f"http:{name}:{connections}" + (f":{variant.split()[0]}" if variant else "")
        figures += _figures(SINGLE, label, runs, key, baseline, note)
        bare_runs[connections] = paired
    return figures, checks, bare_runs


def bare_endpoint(runs: dict[int, list[load.LoadRun]]) -> list[Figure]:
    """The bare endpoint's rows: every bare run at each concurrency, all use cases' bodies."""
    figures: list[Figure] = []
    for connections, made in runs.items():
        busiest = f"wrk used at most {max(r.wrk_cpu for r in made):.0%} of a core"
        figures += _figures(LIMIT, f"bare endpoint, {connections} conn", made,
                            f"bare:{connections}", None, busiest)
    return figures


def batches(base: str, name: str, inputs: list[dict[str, Any]], sizes: tuple[int, ...],
            runs: int, database: Counter) -> tuple[list[Figure], list[Stored]]:
    """Batches of each size, one at a time: rows per second end to end, every row stored."""
    url = predict_url(base, name)
    figures: list[Figure] = []
    checks: list[Stored] = []
    for size in sizes:
        payload = body((inputs * (size // len(inputs) + 1))[:size])
        _post(url, payload)  # warm-up
        before = settled_count(database)
        times: list[float] = []
        while len(times) < runs and (len(times) < min(runs, 3) or sum(times) < BATCH_BUDGET):
            times.append(_post(url, payload))
        rates = [size / t for t in times]
        check = Stored(name, size, size * len(times), settled_count(database) - before, 0)
        checks.append(check)
        figures.append(Figure(BATCH, f"{name}: batches of {size:,}", "rows/s", rates,
                              note=f"stored {check.stored:,} of {check.answered:,} rows"
                              + ("" if check.ok else " (MISMATCH)"),
                              key=f"batch:{name}:{size}"))
    return figures, checks


def _post(url: str, payload: bytes) -> float:
    status, answer, seconds = request(url, payload)
    if status != 200:
        raise RuntimeError(f"POST {url} answered {status}: {answer[:500]!r}")
    return seconds
