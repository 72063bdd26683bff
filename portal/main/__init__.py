"""The visitor's home: a menu of the installed use cases."""
from flask import Blueprint, Flask

bp = Blueprint("main", __name__)


def init_app(app: Flask) -> None:
    from portal.main import routes  # noqa: F401  (registers the views on bp)

    app.register_blueprint(bp)
