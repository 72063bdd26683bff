"""Admin pages: model versions, comparison, promotion, rollback, retraining, users."""
from flask import Blueprint, Flask

bp = Blueprint("admin", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/admin")
