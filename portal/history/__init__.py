"""Analyst pages: the prediction history, its charts and its CSV export."""
from flask import Blueprint, Flask

bp = Blueprint("history", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/history")
