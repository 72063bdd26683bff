"""Home page views."""
from flask import render_template

from portal.main import bp
from registry import versions
from usecases import all_usecases


@bp.get("/")
def index():
    """The menu of use cases, each with its production version and headline metric."""
    return render_template("main/index.html", usecases=all_usecases(),
                           production=versions.production_versions())
