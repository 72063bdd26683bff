"""Live evidence about model versions for the people who promote them: live metrics from
recorded outcomes, and drift of the live inputs from the training inputs."""
from __future__ import annotations

from flask import jsonify, request

from portal.api import bp, parse
from portal.api.auth import ADMIN, ANALYST, token_required
from portal.api.errors import ApiError, registry_refusals
from portal.api.lifecycle import VERSION
from registry import history, versions
from registry.monitoring import inputs, live


def window() -> history.HistoryFilter:
    """?since= and ?until= (whole UTC days, until included), read as the history reads them."""
    try:
        return history.HistoryFilter.window(request.args)
    except history.FilterError as exc:
        raise ApiError(422, "invalid_query", "some parameters are not valid; see fields",
                       exc.errors) from None


@bp.get(f"/usecases/<name>/versions/{VERSION}/live")
@token_required(ANALYST, ADMIN)
def live_metrics(name: str, number: int):
    """A version's live metrics, in total and per day, beside its held-out ones."""
    usecase = parse.usecase_named(name)
    chosen = window()
    with registry_refusals():
        row = versions.get_version(name, number)
    return jsonify(live.report(usecase, row, chosen.since, chosen.until))


@bp.get("/usecases/<name>/drift")
@token_required(ANALYST, ADMIN)
def input_drift(name: str):
    """The latest live inputs (?last=N, or the days ?since/?until) against the training inputs
    of the production version (or ?version=), field by field."""
    usecase = parse.usecase_named(name)
    chosen = window()
    last = parse.int_arg("last", default=None, maximum=inputs.MAX_LAST)
    number = parse.int_arg("version", default=None)
    with registry_refusals():
        row = (versions.get_version(name, number) if number is not None
               else versions.production_version(name))
    if row is None:
        raise ApiError(409, "conflict", f"{name} has no production version to compare with; "
                       "name one with ?version=", {"version": "no production version"})
    try:
        found = inputs.report(usecase, row, last=last, since=chosen.since, until=chosen.until)
    except inputs.NoReference as exc:
        raise ApiError(409, "conflict", str(exc), {"version": str(exc)}) from None
    return jsonify(found)
