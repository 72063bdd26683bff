"""The limit of each use case: its served model called directly, in this process.

`usecase.predict(model, rows)` with the production model as the registry loads it for serving,
and rows the use case's own validation produced: no HTTP, no JSON, no database. What a request
costs beyond this is the portal's own overhead.
"""
from __future__ import annotations

import time
from typing import Callable

from flask import Flask

from bench import workload
from bench.report import Figure
from registry import serving
from usecases import all_usecases

SECTION = "1. Limit (in-process)"
BATCH = 1000


def sample(call: Callable[[], object], *, seconds: float, at_least: int,
           at_most: int = 100_000) -> list[float]:
    """Times of single calls of `call`, repeated for about `seconds` (at least `at_least`)."""
    times: list[float] = []
    stop = time.perf_counter() + seconds
    while len(times) < at_most and (len(times) < at_least or time.perf_counter() < stop):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def measure(app: Flask, names: list[str], *, quick: bool) -> list[Figure]:
    """One-row and 1,000-row predictions for each use case named."""
    figures: list[Figure] = []
    with app.app_context():
        for name in names:
            usecase = all_usecases()[name]
            _, model = serving.production_model(name)
            one = workload.clean(usecase, [workload.first_example(usecase)])
            batch = workload.clean(usecase, workload.varied(usecase, model, BATCH))
            usecase.predict(model, one)  # first call: lazy imports and caches are not the limit
            singles = sample(lambda: usecase.predict(model, one),
                             seconds=0.2 if quick else 1.0, at_least=3 if quick else 20)
            batches = sample(lambda: usecase.predict(model, batch),
                             seconds=0.0 if quick else 3.0, at_least=1 if quick else 3,
                             at_most=1 if quick else 15)
            figures.append(Figure(SECTION, f"{name}: one row", "ms",
                                  [t * 1000 for t in singles]))
            figures.append(Figure(SECTION, f"{name}: {BATCH:,}-row batch", "rows/s",
                                  [BATCH / t for t in batches]))
    return figures
