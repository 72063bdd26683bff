"""Probes and metrics for the people and machines running the service, outside /api/v1.

/healthz: the process answers. /readyz: it can serve (database reachable, every use case's
production model loads). /metrics: Prometheus's text format, for the scraper's token only.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from portal.api import metrics
from portal.api.auth import ADMIN
from portal.api.errors import ApiError, answer_api_error
from registry import health

bp = Blueprint("ops", __name__)
bp.register_error_handler(ApiError, answer_api_error)


@bp.get("/healthz")
def healthz():
    """Liveness: answers without touching the database, so a slow disk restarts nothing."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when every use case can serve, else 503 naming which cannot and why."""
    readiness = health.readiness()
    metrics.observe_readiness(readiness)
    return jsonify(readiness.to_dict()), 200 if readiness.ready else 503


@bp.get("/metrics")
def prometheus_metrics():
    """Prometheus's text format, for the holder of METRICS_TOKEN or an admin's API token."""
    metrics.check_scraper()
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


prometheus_metrics.roles = (ADMIN,)  # type: ignore[attr-defined]  # (and the scrape token)
