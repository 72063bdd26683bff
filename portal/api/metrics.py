"""Prometheus metrics of the whole app (pages, API and probes), in a registry of its own.

Each app gets its own CollectorRegistry, so several apps in one process (as in the tests) do not
clash. Under gunicorn every worker is a process with its own counters: when the standard
PROMETHEUS_MULTIPROC_DIR variable is set (before the workers start), prometheus_client writes them
to files there and a scrape adds up all workers. Training jobs and predictions are counted from
the database at scrape time, so they are the same whichever worker answers.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from flask import Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, \
    generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

from registry import health, serving, versions
from registry.database import db

# Label values must stay few: any other method a client invents is counted as "other".
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


# Where the WSGI middleware leaves the time a request came in.
STARTED = "modelhub.started"


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    requests: Histogram
    model_load: Gauge
    # The production version whose load time this process last recorded, by use case.
    production_seen: dict[str, int] = field(default_factory=dict)
    # The histogram's child per (endpoint, method, status): labels() checks and locks each time.
    children: dict[tuple[str, str, int], Any] = field(default_factory=dict)

    def observe_request(self, response: Response) -> Response:
        """Record the time since the request came in (an after_request hook)."""
        current = request._get_current_object()  # type: ignore[attr-defined]  # one lookup
        started = current.environ.get(STARTED)
        if started is not None:
            method = current.method if current.method in METHODS else "other"
            # The endpoint name, never the path: paths are unbounded (ids, typos, scans).
            key = (current.endpoint or "unmatched", method, response.status_code)
            child = self.children.get(key)
            if child is None:
                child = self.children[key] = self.requests.labels(key[0], method,
                                                                  str(key[2]))
            child.observe(time.perf_counter() - started)
        return response


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
              multiprocess_mode="mostrecent"))
    registry.register(RegistryCollector())
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


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker's counters come from the shared files; the database ones are added once.
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(RegistryCollector())
    else:
        registry = current().registry
    return generate_latest(registry), CONTENT_TYPE_LATEST


class RegistryCollector:
    """Training jobs by status and predictions by use case and version, read at scrape time."""

    def describe(self) -> list[Metric]:
        return list(self._families())

    def collect(self) -> Iterator[Metric]:
        jobs, predictions, up = self._families()
        try:
            for status, count in health.job_counts().items():
                jobs.add_metric([status], count)
            for usecase, version, source, count in health.prediction_counts():
                predictions.add_metric([usecase, str(version), source], count)
            up.add_metric([], 1)
        except SQLAlchemyError:
            db.session.rollback()
            up.add_metric([], 0)
            yield up  # the counts are unknown, not zero
            return
        yield from (jobs, predictions, up)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, CounterMetricFamily, GaugeMetricFamily]:
        return (GaugeMetricFamily("modelhub_training_jobs", "Training jobs by status.",
                                  labels=["status"]),
                CounterMetricFamily("modelhub_predictions", "Predictions stored, by use case, "
                                    "model version and source.",
                                    labels=["usecase", "version", "source"]),
                GaugeMetricFamily("modelhub_database_up",
                                  "1 when the registry database answered this scrape."))
