"""History views: the filtered, paginated table with its charts, and the CSV export."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Response, render_template, request, stream_with_context

from portal.history import bp, charts, words
from registry import history, predictions, versions
from registry.database import utcnow
from registry.models import SOURCES
from usecases import all_usecases

INPUTS_CHARS = 160
OUTPUT_CHARS = 80


def read_filters(args: Mapping[str, str]) -> tuple[history.HistoryFilter, int | None]:
    """The filters and the page cursor (`before`); FilterError names every bad parameter."""
    errors: dict[str, str] = {}
    try:
        filters = history.HistoryFilter.from_args(args, set(all_usecases()))
    except history.FilterError as exc:
        errors, filters = exc.errors, history.HistoryFilter()
    before = (args.get("before") or "").strip()
    if before and (not (before.isascii() and before.isdigit()) or len(before) > 18):
        errors["before"] = "must be a whole number"
    if errors:
        raise history.FilterError(errors)
    return filters, int(before) if before else None


def render_history(errors: dict[str, str], status: int = 200, **context: Any):
    """The history page; with `errors` only the filter form is shown, each message by its field."""
    chosen = request.args.get("usecase")
    values = history.outcome_values(chosen if chosen in all_usecases() else None,
                                    set(all_usecases()))
    numbers = versions.version_numbers(chosen if chosen in all_usecases() else None)
    return render_template("history/index.html", usecases=all_usecases(), sources=SOURCES,
                           outcome_states=history.OUTCOME_STATES, outcome_values=values,
                           outcome_labels=words.outcome_labels(chosen),
                           version_numbers=numbers, args=request.args, errors=errors,
                           **context), status


@bp.get("/")
def index():
    """Newest predictions first, a page at a time, with charts of the whole filtered range:
    predictions per day, and for one use case what it predicted (in words)."""
    try:
        filters, before = read_filters(request.args)
    except history.FilterError as exc:
        return render_history(exc.errors, 400)
    found = history.charts(filters)
    page = history.page(filters, before=before)
    return render_history({}, page=page, filters=filters, charts=drawn(filters, found),
                          words=words.for_rows(page.rows), first_page=before is None,
                          anything_stored=not found.empty or predictions.any_stored(),
                          pick_args=pick_args(filters))


def drawn(filters: history.HistoryFilter, found: history.Charts) -> list[charts.BarChart]:
    """The charts to draw: none for an empty range; outputs only for one use case."""
    if found.empty:
        return []
    shown = [charts.per_day_chart(found.per_day)]
    if filters.usecase:
        said = words.for_labels(filters.usecase, [label for label, _ in found.label_shares])
        title, axis = said.chart(filters.usecase)
        if found.label_shares:
            shown.append(charts.label_chart(
                [(said.label(filters.usecase, label), n) for label, n in found.label_shares],
                title, axis))
        if found.histogram:
            shown.append(charts.histogram_chart(found.histogram, title, axis))
    return shown


def pick_args(filters: history.HistoryFilter) -> dict[str, str]:
    """The filters a link to one use case's charts keeps: the days, the source and whether an
    outcome is recorded (versions and outcome values belong to each use case)."""
    args = filters.to_args()
    kept = {key: args[key] for key in ("source", "since", "until") if key in args}
    if filters.outcome in history.OUTCOME_STATES:
        kept["outcome"] = filters.outcome
    return kept


@bp.get("/export.csv")
def export():
    """The filtered history as a CSV download, streamed a chunk of rows at a time."""
    try:
        filters, _ = read_filters(request.args)
    except history.FilterError as exc:
        return render_history(exc.errors, 400)
    name = f"predictions-{filters.usecase or 'all'}-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(stream_with_context(history.export_csv(filters)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.app_template_filter("key_values")
def key_values(values: Mapping[str, Any], limit: int = INPUTS_CHARS) -> str:
    """Inputs at a glance: "age: 54 · sex: male", cut at `limit` characters."""
    text = " · ".join(f"{key}: {brief(value, limit)}" for key, value in values.items())
    return cut(text, limit)


@bp.app_template_filter("brief")
def brief(value: Any, limit: int = OUTPUT_CHARS) -> str:
    """A value in a few characters: numbers to 4 significant digits, lists comma-separated."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return cut(", ".join(brief(item, limit) for item in value), limit)
    if isinstance(value, dict):
        return key_values(value, limit)
    return cut(str(value), limit)


def cut(text: str, limit: int) -> str:
    """At most `limit` characters; a cut is marked with an ellipsis."""
    return text if len(text) <= limit else text[:limit - 1] + "…"
