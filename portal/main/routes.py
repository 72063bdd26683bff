"""Home page views, and each version's model card (public)."""
from flask import abort, render_template

from portal.main import bp
from registry import cards, serving, versions
from usecases import UnknownUseCase, all_usecases, get_usecase


@bp.get("/")
def index():
    """The menu of use cases, each with its production version and headline metric."""
    return render_template("main/index.html", usecases=all_usecases(),
                           production=versions.production_versions())


@bp.get("/usecases/<name>/versions/<int:version>/card")
def model_card(name: str, version: int):
    """A version's model card, as anyone may read it (no admin is named)."""
    try:
        usecase, row = get_usecase(name), versions.get_version(name, version)
    except (UnknownUseCase, versions.NotFound):
        abort(404, description=f"There is no version {version} of {name!r}.")
    try:
        card = cards.card(usecase, row)
    except serving.ModelUnavailable:
        abort(503, description=f"The model of {name} v{version} cannot be loaded right now.")
    return render_template("main/card.html", card=card, sections=cards.SECTIONS)
