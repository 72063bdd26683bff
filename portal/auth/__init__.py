"""Signing in and out, and the role checks pages use."""
from flask import Blueprint, Flask

from portal.auth.roles import role_required  # noqa: F401  (the decorator other blueprints use)

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    from portal.auth import routes  # noqa: F401  (registers the views on bp)

    app.register_blueprint(bp, url_prefix="/auth")
