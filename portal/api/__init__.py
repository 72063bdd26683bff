"""JSON API v1, and the health, readiness and metrics endpoints."""
from flask import Blueprint, Flask

bp = Blueprint("api", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/api/v1")
