"""Analyst pages: the prediction history, its charts, its CSV export and recorded outcomes."""
from flask import Blueprint, Flask

from portal.auth import role_required

bp = Blueprint("history", __name__)


@bp.before_request
@role_required("analyst")
def require_analyst() -> None:
    """The history is for analysts (and admins); checked here so that no view can forget it."""


def init_app(app: Flask) -> None:
    from portal.history import outcomes, routes  # noqa: F401  (registers the views on bp)

    app.register_blueprint(bp, url_prefix="/history")
