"""Prometheus metrics of the whole app (pages, API and probes), in a registry of its own.

Each app gets its own CollectorRegistry, so several apps in one process (as in the tests) do not
clash. Under gunicorn every worker is a process with its own counters: when the standard
PROMETHEUS_MULTIPROC_DIR variable is set (before the workers start), prometheus_client writes them
to files there and a scrape adds up all workers.

A scrape is cheap and writes nothing: stored predictions are counted in memory as they are
stored (a counter per host, which Prometheus adds up across hosts and restarts), training jobs
are one GROUP BY over the small jobs table, and drift is re-measured at most every
DRIFT_METRICS_SECONDS. Only the holder of METRICS_TOKEN or an admin's API token may scrape.
"""
from __future__ import annotations

import hmac
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from flask import Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, \
    Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

from portal.api.auth import ADMIN, require_role
from registry import health, predictions, serving, versions
from registry.database import db
from registry.monitoring import inputs
from usecases import all_usecases

# Label values must stay few: any other method a client invents is counted as "other".
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


# Where the WSGI middleware leaves the time a request came in.
STARTED = "modelhub.started"


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    requests: Histogram
    model_load: Gauge
    stored: Counter
    # The production version whose load time this process last recorded, by use case.
    production_seen: dict[str, int] = field(default_factory=dict)
    # The histogram's child per (endpoint, method, status): labels() checks and locks each time.
    children: dict[tuple[str, str, int], Any] = field(default_factory=dict)
    # The stored-predictions counter's child per (use case, version, source).
    stored_children: dict[tuple[str, int, str], Any] = field(default_factory=dict)
    # The latest drift report of each use case and when it was measured (monotonic seconds).
    drift: dict[str, tuple[float, dict[str, Any] | None]] = field(default_factory=dict)

    def observe_request(self, response: Response) -> Response:
        """Record the time since the request came in (an after_request hook)."""
        started = request.environ.get(STARTED)
        if started is not None:
            method = request.method if request.method in METHODS else "other"
            # The endpoint name, never the path: paths are unbounded (ids, typos, scans).
            key = (request.endpoint or "unmatched", method, response.status_code)
            child = self.children.get(key)
            if child is None:
                child = self.children[key] = self.requests.labels(key[0], method,
                                                                  str(key[2]))
            child.observe(time.perf_counter() - started)
        return response


    def count_stored(self, usecase: str, version: int, source: str, count: int) -> None:
        key = (usecase, version, source)
        child = self.stored_children.get(key)
        if child is None:
            child = self.stored_children[key] = self.stored.labels(usecase, str(version), source)
        child.inc(count)


def _count_stored(usecase: str, *, version: int, source: str, count: int) -> None:
    """predictions.stored's receiver: counted by the app that stored them."""
    metrics = current_app.extensions.get("modelhub.metrics")
    if metrics is not None:
        metrics.count_stored(usecase, version, source, count)


predictions.stored.connect(_count_stored)


class StartTimes:
    """WSGI middleware: notes when each request came in, before Flask sees it."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ[STARTED] = time.perf_counter()
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    registry = CollectorRegistry()
    metrics = Metrics(
        registry,
        Histogram("modelhub_http_request_duration_seconds",
                  "Time to answer a request, by endpoint (the route's name), method and status.",
                  ("endpoint", "method", "status"), registry=registry),
        Gauge("modelhub_model_load_seconds", "Time taken to load a served model from its "
              "artifact.", ("usecase", "version"), registry=registry,
              multiprocess_mode="mostrecent"),
        Counter("modelhub_predictions", "Predictions stored, by use case, model version and "
                "source, since the process started (add them up over hosts; rate() over time).",
                ("usecase", "version", "source"), registry=registry))
    registry.register(RegistryCollector())
    registry.register(DriftCollector())
    app.extensions["modelhub.metrics"] = metrics
    app.wsgi_app = StartTimes(app.wsgi_app)  # type: ignore[method-assign]
    app.after_request(metrics.observe_request)


def current() -> Metrics:
    return current_app.extensions["modelhub.metrics"]


def observe_production_model(usecase: str, version: int) -> None:
    """Record how long the production model that just served took to load (cached: no reload).

    Set once per served version and process: on the prediction path the gauge's shared-memory
    write cost more than the model itself.
    """
    seen = current().production_seen
    if seen.get(usecase) == version:
        return
    try:
        served = serving.cache().production(usecase)
    except (serving.ModelUnavailable, versions.RegistryError):
        return  # changed since it served; the next prediction or readiness probe records it
    if served.version == version:
        current().model_load.labels(usecase, str(version)).set(served.load_seconds)
        seen[usecase] = version


def observe_readiness(readiness: health.Readiness) -> None:
    for usecase in readiness.usecases:
        if usecase.ready and usecase.load_seconds is not None:
            current().model_load.labels(usecase.name, str(usecase.version)).set(
                usecase.load_seconds)


def check_scraper() -> None:
    """Let the scrape through for `Authorization: Bearer <METRICS_TOKEN>` or an admin's API
    token; anyone else gets 401 or 403 (the figures name use cases, versions and traffic)."""
    expected = current_app.config.get("METRICS_TOKEN") or ""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if expected and scheme.lower() == "bearer" and \
            hmac.compare_digest(token.strip().encode(), expected.encode()):
        return
    require_role(ADMIN)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker's counters come from the shared files; the database ones are added once.
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(RegistryCollector())
        registry.register(DriftCollector())
    else:
        registry = current().registry
    return generate_latest(registry), CONTENT_TYPE_LATEST


class RegistryCollector:
    """Training jobs by status, read at scrape time (a small table), and whether the database
    answered."""

    def describe(self) -> list[Metric]:
        return list(self._families())

    def collect(self) -> Iterator[Metric]:
        jobs, up = self._families()
        try:
            for status, count in health.job_counts().items():
                jobs.add_metric([status], count)
            up.add_metric([], 1)
        except SQLAlchemyError:
            db.session.rollback()
            up.add_metric([], 0)
            yield up  # the counts are unknown, not zero
            return
        yield from (jobs, up)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (GaugeMetricFamily("modelhub_training_jobs", "Training jobs by status.",
                                  labels=["status"]),
                GaugeMetricFamily("modelhub_database_up",
                                  "1 when the registry database answered this scrape."))


class DriftCollector:
    """Each use case's input drift on its latest predictions, per field, against the
    production version's training inputs: measured at most every DRIFT_METRICS_SECONDS per
    process, so a scrape costs a read of memory in between."""

    def describe(self) -> list[Metric]:
        return list(self._families())

    def collect(self) -> Iterator[Metric]:
        statistic, drifting, usecase_drifting = self._families()
        for name, found in self.reports().items():
            if found is None:
                continue
            for row in found["fields"]:
                if row["test"] is None:
                    continue
                labels = [name, row["field"], row["feature"] or "", row["test"]]
                statistic.add_metric(labels, row["statistic"])
                drifting.add_metric(labels, float(row["drifting"]))
            usecase_drifting.add_metric([name], float(found["drifting"]))
        yield from (statistic, drifting, usecase_drifting)

    @staticmethod
    def reports() -> dict[str, dict[str, Any] | None]:
        cached = current().drift
        ttl = float(current_app.config["DRIFT_METRICS_SECONDS"])
        now = time.monotonic()
        out = {}
        for name, usecase in all_usecases().items():
            measured = cached.get(name)
            if measured is None or now - measured[0] >= ttl:
                measured = cached[name] = (now, _measure(usecase))
            out[name] = measured[1]
        return out

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        labels = ["usecase", "field", "feature", "test"]
        return (GaugeMetricFamily("modelhub_input_drift_statistic",
                                  "Each input field's drift test statistic on the latest "
                                  "predictions (p-value tests: the statistic; distances: the "
                                  "distance).", labels=labels),
                GaugeMetricFamily("modelhub_input_drifting",
                                  "1 when an input field's latest values drift from the "
                                  "training inputs.", labels=labels),
                GaugeMetricFamily("modelhub_usecase_drifting",
                                  "1 when half a use case's input fields or more drift.",
                                  labels=["usecase"]))


def _measure(usecase: Any) -> dict[str, Any] | None:
    """The drift report of a use case's latest predictions; None when it cannot be measured
    (nothing in production, no reference, the database away)."""
    try:
        row = versions.production_version(usecase.name)
        if row is None:
            return None
        found = inputs.report(usecase, row)
        inputs.note_state(usecase.name, found)
        return found
    except (inputs.NoReference, SQLAlchemyError, versions.RegistryError):
        db.session.rollback()
        return None
