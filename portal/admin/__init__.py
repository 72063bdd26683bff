"""Admin pages: model versions, comparison, promotion, rollback, retraining, training data,
users."""
from flask import Blueprint, Flask

from portal.auth import role_required

bp = Blueprint("admin", __name__)


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every admin page is for admins only; checked here so that no view can forget it."""


def init_app(app: Flask) -> None:
    # Importing the modules registers their views on bp.
    from portal.admin import (cards, datasets, monitoring, routes, tables,  # noqa: F401
                              training, uploads, users, webhooks)

    app.register_blueprint(bp, url_prefix="/admin")
