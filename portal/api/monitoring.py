"""Live evidence about model versions for the people who promote them: live metrics from
recorded outcomes, drift of the live inputs from the training inputs, and a challenger on live
traffic."""
from __future__ import annotations

from flask import g, jsonify, request

from portal.api import bp, parse
from portal.api.auth import ADMIN, ANALYST, token_required
from portal.api.errors import ApiError, registry_refusals
from portal.api.lifecycle import VERSION
from registry import history, versions
from registry.monitoring import challenger, gate, inputs, live


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
    if row.stage == "production" and last in (None, inputs.DEFAULT_LAST) and \
            not (chosen.since or chosen.until):
        inputs.note_state(name, found)  # the default window of production: the use case's state
    return jsonify(found)


@bp.get("/usecases/<name>/challenger")
@token_required(ANALYST, ADMIN)
def challenger_state(name: str):
    """The use case's challenger and how it compares with production on live traffic."""
    usecase = parse.usecase_named(name)
    row = challenger.get(name)
    if row is None:
        raise ApiError(404, "not_found", f"{name} has no challenger")
    production = versions.production_version(name)
    return jsonify(challenger.describe(row) | {"comparison": challenger.comparison(
        usecase, row.model_version, production) if production is not None else None})


@bp.put("/usecases/<name>/challenger")
@token_required(ADMIN)
def name_challenger(name: str):
    """Make a version the challenger on a share of live traffic: {"version": 3, "share": 0.25}."""
    parse.usecase_named(name)
    body = parse.json_object()
    parse.refuse_unknown_keys(body, ("version", "share"))
    if "version" not in body:
        raise ApiError(422, "invalid_body", "version is required",
                       {"version": "is required"})
    number = parse.whole_number(body["version"], "version")
    share = body.get("share")
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise ApiError(422, "invalid_body", "share must be a number from 0 to 1",
                       {"share": "must be a number from 0 to 1 (the fraction of live "
                                 "predictions the challenger also scores)"})
    with registry_refusals():
        row = challenger.name(name, number, float(share), g.api_user.username)
    return jsonify(challenger.describe(row))


@bp.delete("/usecases/<name>/challenger")
@token_required(ADMIN)
def end_challenger(name: str):
    """Stop the use case's challenger (what it scored is kept)."""
    parse.usecase_named(name)
    if not challenger.end(name):
        raise ApiError(404, "not_found", f"{name} has no challenger")
    return "", 204


@bp.get(f"/usecases/<name>/versions/{VERSION}/gate")
@token_required(ANALYST, ADMIN)
def gate_verdict(name: str, number: int):
    """The evidence for promoting this version and the use case's policy applied to it."""
    usecase = parse.usecase_named(name)
    with registry_refusals():
        row = versions.get_version(name, number)
    return jsonify(gate.verdict(usecase, row))


@bp.get("/usecases/<name>/policy")
@token_required(ANALYST, ADMIN)
def promotion_policy(name: str):
    parse.usecase_named(name)
    row = gate.policy(name)
    if row is None:
        raise ApiError(404, "not_found", f"{name} has no promotion policy")
    return jsonify(row.to_dict())


@bp.put("/usecases/<name>/policy")
@token_required(ADMIN)
def set_promotion_policy(name: str):
    """{"min_labelled": 200, "not_worse": true}: what a candidate must show on live traffic."""
    parse.usecase_named(name)
    body = parse.json_object()
    parse.refuse_unknown_keys(body, ("min_labelled", "not_worse"))
    least = parse.whole_number(body.get("min_labelled", 200), "min_labelled", minimum=0,
                               maximum=1_000_000)
    not_worse = body.get("not_worse", True)
    if not isinstance(not_worse, bool):
        raise ApiError(422, "invalid_body", "not_worse must be true or false",
                       {"not_worse": "must be true or false"})
    row = gate.set_policy(name, min_labelled=least, not_worse=not_worse,
                          actor=g.api_user.username)
    return jsonify(row.to_dict())


@bp.delete("/usecases/<name>/policy")
@token_required(ADMIN)
def clear_promotion_policy(name: str):
    parse.usecase_named(name)
    if not gate.clear_policy(name):
        raise ApiError(404, "not_found", f"{name} has no promotion policy")
    return "", 204
