"""The pages every use case has: its form, and the result of a prediction.

The views are added to each use case's own blueprint (mounted at /usecases/<name>), so a use case
keeps its templates and any extra routes of its own, and the form comes from its declared fields.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, render_template, request

from registry import serving, versions
from usecases import all_usecases
from usecases.base import UseCase
from usecases.fields import ItemList


def form_values(usecase: UseCase) -> dict[str, Any]:
    """The submitted form as a mapping of field name to raw string (lists joined for pickers)."""
    values: dict[str, Any] = {}
    for field in usecase.fields:
        if isinstance(field, ItemList):
            picked = request.form.getlist(field.name)
            values[field.name] = " ".join(picked) if picked else None
        elif field.name in request.form:
            values[field.name] = request.form[field.name]
    unknown = set(request.form) - {f.name for f in usecase.fields} - {"csrf_token"}
    values.update({name: request.form[name] for name in unknown})
    return values


def make_views(usecase: UseCase, bp: Blueprint) -> None:
    """Add the form (GET) and predict (POST) views to a use case's blueprint."""

    def render_form(values: dict[str, Any], errors: dict[str, str], status: int = 200):
        production = versions.production_version(usecase.name)
        return render_template("usecase/form.html", usecase=usecase, values=values,
                               errors=errors, production=production), status

    @bp.get("/", endpoint="form")
    def show_form():
        example = request.args.get("example")
        if example is not None and example not in usecase.examples:
            abort(404)
        return render_form(dict(usecase.examples[example]) if example else {}, {})

    @bp.post("/", endpoint="predict")
    def predict():
        values = form_values(usecase)
        try:
            scored = serving.predict(usecase.name, [values], source="form", from_form=True)
        except serving.InvalidInput as exc:
            return render_form(values, exc.errors[0], 400)
        except serving.ModelUnavailable as exc:
            return render_template("usecase/unavailable.html", usecase=usecase,
                                   message=str(exc)), 503
        return render_template("usecase/result.html", usecase=usecase,
                               result=scored.results[0], inputs=scored.inputs[0],
                               version=scored.version, prediction_id=scored.prediction_ids[0])


def init_app(app: Flask) -> None:
    for name, usecase in app.extensions["modelhub.usecases"].items():
        bp = usecase.blueprint()
        make_views(usecase, bp)
        app.register_blueprint(bp, url_prefix=f"/usecases/{name}")
