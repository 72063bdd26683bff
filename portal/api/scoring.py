"""Scoring: one input or a batch, with the production model or (admins) a chosen version."""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from portal import quotas
from portal.api import bp, metrics, parse, shapes
from portal.api.auth import ADMIN, require_role
from portal.api.errors import ApiError
from registry import serving, versions


QUOTA_CODES = {401: "token_required", 429: "rate_limited"}


@bp.post("/usecases/<name>/predict")
def predict(name: str):
    """Body {"inputs": {...}} for one prediction, {"inputs": [{...}, ...]} for a batch."""
    parse.usecase_named(name)
    body = parse.json_object()
    parse.refuse_unknown_keys(body, ("inputs", "version"))
    rows, batch = inputs(body)
    version = None
    if "version" in body:
        version = parse.whole_number(body["version"], "version")
        require_role(ADMIN)  # scoring with a model that is not in production is for admins
    try:
        quotas.charge(len(rows))
    except quotas.QuotaExceeded as exc:
        raise ApiError(exc.status, QUOTA_CODES[exc.status], exc.message, {"inputs": exc.message},
                       exc.headers) from None
    try:
        result = serving.predict(name, rows, source="batch" if batch else "api", version=version)
    except serving.TooMuchText as exc:
        raise ApiError(413, "text_too_large", str(exc),
                       {"inputs": f"must hold at most {exc.limit:,} characters of text"}) \
            from None
    except serving.InvalidInput as exc:
        raise ApiError(422, "invalid_input", "some inputs are not valid; see fields",
                       shapes.input_errors(exc.errors, batch=batch)) from None
    except serving.ModelUnavailable as exc:
        raise ApiError(503, "model_unavailable", f"the model cannot serve right now: {exc}") \
            from None
    except versions.NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    if version is None:
        metrics.observe_production_model(name, result.version)
    return jsonify(shapes.scored(name, result, batch=batch))


def inputs(body: dict[str, Any]) -> tuple[list[Any], bool]:
    """The rows to score and whether they came as a batch (a list)."""
    raw = body.get("inputs")
    if isinstance(raw, dict):
        return [raw], False
    if not isinstance(raw, list):
        problem = "is required" if raw is None else "must be an object, or a list of objects"
        raise ApiError(422, "invalid_body", f"inputs {problem}", {"inputs": problem})
    limit = int(current_app.config["MAX_BATCH"])
    if not raw:
        raise ApiError(422, "invalid_body", "inputs is an empty list",
                       {"inputs": "must hold at least one input"})
    if len(raw) > limit:
        raise ApiError(413, "batch_too_large",
                       f"a batch may hold at most {limit} inputs; split these {len(raw)}",
                       {"inputs": f"must hold at most {limit} inputs"})
    return raw, True
