"""Live evidence about model versions for the people who promote them: live metrics from
recorded outcomes."""
from __future__ import annotations

from flask import jsonify, request

from portal.api import bp, parse
from portal.api.auth import ADMIN, ANALYST, token_required
from portal.api.errors import ApiError, registry_refusals
from portal.api.lifecycle import VERSION
from registry import history, versions
from registry.monitoring import live


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
