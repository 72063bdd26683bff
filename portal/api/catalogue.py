"""The use cases on offer: the list, and one use case with its input schema and examples."""
from __future__ import annotations

from flask import jsonify

from portal.api import bp, parse, shapes
from registry import versions
from usecases import all_usecases


@bp.get("/usecases")
def usecases():
    """Every use case, with its production version and headline metric (one query)."""
    production = versions.production_versions()
    return jsonify({"usecases": [shapes.usecase_summary(usecase, production.get(name))
                                 for name, usecase in all_usecases().items()]})


@bp.get("/usecases/<name>")
def usecase(name: str):
    """One use case: the list's entry plus its input schema, examples and metrics."""
    found = parse.usecase_named(name)
    return jsonify(shapes.usecase_detail(found, versions.production_version(name)))
