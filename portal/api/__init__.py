"""JSON API v1 (/api/v1) and its documentation page (/api/docs); and outside the versioned API,
the health, readiness and metrics endpoints (/healthz, /readyz, /metrics)."""
from flask import Blueprint, Flask

bp = Blueprint("api", __name__)


def init_app(app: Flask) -> None:
    # The modules add their views to bp when first imported.
    from portal.api import (cards, catalogue, data, docs, errors, history,  # noqa: F401
                            lifecycle, metrics, mlflow, monitoring, openapi, ops, scoring,
                            tables, webhooks)
    from portal.extensions import csrf

    csrf.exempt(bp)  # token auth, no cookies: nothing for a forged cross-site form to ride on
    app.register_blueprint(bp, url_prefix="/api/v1")
    app.register_blueprint(docs.bp, url_prefix="/api")
    app.register_blueprint(ops.bp)
    # Flask answers OPTIONS by itself with an empty page; these answer only JSON.
    app.json_blueprints |= {bp.name, ops.bp.name}  # type: ignore[attr-defined]
    metrics.init_app(app)
