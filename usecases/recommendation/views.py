"""The movie search the form's picker calls: GET /usecases/recommendation/movies?q=alien."""
from __future__ import annotations

from flask import jsonify, request

from usecases.recommendation.form import MAX_PICKS

MAX_RESULTS = 20
MAX_QUERY = 100   # bounds one request's work; people type a few words of a title


def search_movies():
    """Up to 20 movies of the production model's catalogue whose title contains q, as JSON
    [{id, title, year}]; with ids=1,2,3 instead, those movies, up to as many as a form may pick
    (the picker shows the titles of movies already chosen). 503 with {"error": ...} while no
    model is trained."""
    from registry.serving import ModelUnavailable, production_model  # the registry needs an app

    query = request.args.get("q", "")[:MAX_QUERY]
    try:
        _, model = production_model("recommendation")
    except ModelUnavailable as exc:
        return jsonify({"error": str(exc)}), 503
    ids = [int(part) for part in request.args.get("ids", "").split(",")[:MAX_PICKS]
           if part.isascii() and part.isdigit() and len(part) < 10]
    if ids:
        return jsonify(model.describe(ids))
    return jsonify(model.search(query, MAX_RESULTS))
