"""The pages every use case has: its form, and the result of a prediction.

The views are added to each use case's own blueprint (mounted at /usecases/<name>), so a use case
keeps its templates and any extra routes of its own, and the form comes from its declared fields.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (Blueprint, Flask, abort, current_app, redirect, render_template, request,
                   url_for)
from itsdangerous import BadData, URLSafeSerializer

from portal import quotas
from registry import serving, versions
from registry.database import db
from registry.models import Prediction
from usecases import UnknownUseCase, get_usecase, tabular
from usecases.base import UseCase
from usecases.fields import ItemList
from usecases.tabular.usecase import TabularUseCase


RESULT_SALT = "modelhub.prediction-result"


def form_values(usecase: UseCase) -> dict[str, Any]:
    """The submitted form as a mapping of field name to raw string (lists joined for pickers)."""
    values: dict[str, Any] = {}
    for field in usecase.fields:
        if isinstance(field, ItemList):
            picked = request.form.getlist(field.name)
            values[field.name] = " ".join(picked) if picked else None
        elif field.name in request.form:
            values[field.name] = request.form[field.name]
    known = {f.name for f in usecase.fields} | {"csrf_token"}
    # In the order sent, so that the first few are the ones named in the errors.
    values.update({name: request.form[name] for name in request.form if name not in known})
    return values


def served(usecase: UseCase) -> tuple[UseCase, Any]:
    """The use case as its production version serves it, and that version (or None)."""
    production = versions.production_version(usecase.name)
    return serving.production_view(usecase, production), production


def render_form(usecase: UseCase, values: dict[str, Any], errors: dict[str, str],
                status: int = 200, refused: str | None = None):
    view, production = served(usecase)
    return render_template("usecase/form.html", usecase=view, values=values, errors=errors,
                           production=production, refused=refused), status


def show_form(usecase: UseCase):
    example = request.args.get("example")
    view, _ = served(usecase)
    if example is not None and example not in view.examples:
        abort(404)
    return render_form(usecase, dict(view.examples[example]) if example else {}, {})


def predict(usecase: UseCase):
    values = form_values(served(usecase)[0])
    try:
        quotas.charge(1)
    except quotas.QuotaExceeded as exc:
        return render_form(usecase, values, {}, exc.status, refused=exc.message) + (exc.headers,)
    try:
        scored = serving.predict(usecase.name, [values], source="form", from_form=True)
    except serving.TooMuchText as exc:
        return render_form(usecase, values, {name: str(exc) for name, value in values.items()
                                             if isinstance(value, str) and value}, 413)
    except serving.InvalidInput as exc:
        return render_form(usecase, values, exc.errors[0], 400)
    except serving.ModelUnavailable as exc:
        return render_template("usecase/unavailable.html", usecase=usecase,
                               message=str(exc)), 503
    # The result has a page of its own (post, redirect, get): a reload shows it again rather
    # than scoring and storing the same inputs twice, and the address can be kept.
    return redirect(usecase_url(usecase, "result", token=result_token(scored.prediction_ids[0])),
                    303)


def result_token(prediction_id: int) -> str:
    """The id of a stored prediction, signed: whoever made it gets its address, and nobody can
    walk through other people's predictions by counting."""
    return _results().dumps(prediction_id)


def _results() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=RESULT_SALT)


def show_result(usecase: UseCase, token: str):
    """A stored prediction's result, scored again by the version that made it (nothing is
    stored), beside the inputs used and a form filled with them to change one and predict."""
    try:
        prediction_id = _results().loads(token)
    except BadData:
        abort(404)
    row = db.session.get(Prediction, prediction_id) if isinstance(prediction_id, int) else None
    if row is None or row.usecase != usecase.name:
        abort(404)
    try:
        result, view = serving.rescored(row)
    except serving.ModelUnavailable as exc:
        return render_template("usecase/unavailable.html", usecase=usecase,
                               message=str(exc)), 503
    return render_template("usecase/result.html", usecase=view, result=result,
                           inputs=row.inputs, values=row.inputs, errors={},
                           version=row.version, prediction_id=row.id)


def make_views(usecase: UseCase, bp: Blueprint) -> None:
    """Add the form (GET), predict (POST) and result (GET) views to a use case's blueprint."""
    bp.add_url_rule("/", "form", lambda: show_form(usecase), methods=["GET"])
    bp.add_url_rule("/", "predict", lambda: predict(usecase), methods=["POST"])
    bp.add_url_rule("/results/<token>", "result", lambda token: show_result(usecase, token),
                    methods=["GET"])


# The same pages for use cases made from tables: they come and go while the portal runs, so one
# blueprint serves them all, below the plug-ins' own (whose fixed paths match first).
tables = Blueprint("tables", __name__,
                   template_folder=str(Path(tabular.__file__).parent / "templates"))


def made_from_table(usecase_name: str) -> UseCase:
    try:
        usecase = get_usecase(usecase_name)
    except UnknownUseCase:
        abort(404)
    if not isinstance(usecase, TabularUseCase):
        abort(404)
    return usecase


@tables.get("/")
def table_form(usecase_name: str):
    return show_form(made_from_table(usecase_name))


@tables.post("/")
def table_predict(usecase_name: str):
    return predict(made_from_table(usecase_name))


@tables.get("/results/<token>")
def table_result(usecase_name: str, token: str):
    return show_result(made_from_table(usecase_name), token)


def usecase_url(usecase: UseCase, endpoint: str, **values: Any) -> str:
    """The URL of a use case's own page ("form" or "predict"), wherever it is served."""
    if usecase.name in current_app.blueprints:
        return url_for(f"{usecase.name}.{endpoint}", **values)
    return url_for(f"tables.table_{endpoint}", usecase_name=usecase.name, **values)


def init_app(app: Flask) -> None:
    for name, usecase in app.extensions["modelhub.usecases"].items():
        bp = usecase.blueprint()
        make_views(usecase, bp)
        app.register_blueprint(bp, url_prefix=f"/usecases/{name}")
    app.register_blueprint(tables, url_prefix="/usecases/<usecase_name>")
    app.jinja_env.globals["usecase_url"] = usecase_url
