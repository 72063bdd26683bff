"""The stored prediction history for analysts: filtered pages in JSON, or everything in CSV."""
from __future__ import annotations

from flask import Response, jsonify, request, stream_with_context

from portal.api import bp, parse, shapes
from portal.api.auth import ADMIN, ANALYST, token_required
from portal.api.errors import ApiError
from registry import history
from usecases import all_usecases


def filters() -> history.HistoryFilter:
    """The same filters as the history page (usecase, version, source, since, until, outcome)."""
    try:
        return history.HistoryFilter.from_args(request.args, set(all_usecases()))
    except history.FilterError as exc:
        raise ApiError(422, "invalid_query", "some filters are not valid; see fields",
                       exc.errors) from None


@bp.get("/predictions")
@token_required(ANALYST, ADMIN)
def predictions():
    """Newest first; pass `next` back as `before` for the following page."""
    chosen = filters()
    limit = parse.int_arg("limit", default=history.PAGE_SIZE, maximum=history.MAX_PAGE_SIZE)
    found = history.page(chosen, before=parse.int_arg("before", default=None), limit=limit)
    return jsonify({"predictions": [shapes.prediction(row, found.outcomes.get(row.id))
                                     for row in found.rows],
                    "next": found.next_cursor})


@bp.get("/predictions.csv")
@token_required(ANALYST, ADMIN)
def predictions_csv():
    """The whole filtered history, streamed: it never sits whole in memory."""
    rows = history.export_csv(filters())
    return Response(stream_with_context(rows), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="predictions.csv"'})
