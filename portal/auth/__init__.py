"""Signing in and out, and the role checks pages use."""
from flask import Blueprint, Flask

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/auth")
