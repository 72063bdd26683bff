"""Admin views of live evidence: a version's live metrics from recorded outcomes, and the
drift of live inputs from its training inputs."""
from __future__ import annotations

from flask import abort, render_template, request

from portal.admin import bp
from portal.admin.routes import usecase_or_404
from registry import history, versions
from portal.history.charts import paired_chart
from registry.monitoring import drift as drift_tests
from registry.monitoring import inputs, live


@bp.get("/models/<name>/versions/<int:version>/live")
def live_metrics(name: str, version: int):
    """A version's live metrics in total and per day, beside its held-out figures."""
    usecase = usecase_or_404(name)
    try:
        row = versions.get_version(name, version)
    except versions.NotFound:
        abort(404)
    errors: dict[str, str] = {}
    try:
        chosen = history.HistoryFilter.window(request.args)
    except history.FilterError as exc:
        errors, chosen = exc.errors, history.HistoryFilter()
    report = live.report(usecase, row, chosen.since, chosen.until)
    return render_template("admin/live.html", usecase=usecase, report=report,
                           errors=errors), 422 if errors else 200


@bp.get("/models/<name>/drift")
def drift(name: str):
    """The latest live inputs against the production version's (or ?version=) training
    inputs: each field's test, statistic and both distributions."""
    usecase = usecase_or_404(name)
    errors: dict[str, str] = {}
    try:
        chosen = history.HistoryFilter.window(request.args)
    except history.FilterError as exc:
        errors, chosen = exc.errors, history.HistoryFilter()
    last = _whole(request.args.get("last", ""), inputs.MAX_LAST, "last", errors)
    number = _whole(request.args.get("version", ""), 10 ** 9, "version", errors)
    rows = versions.list_versions(name)
    row = next((r for r in rows if r.version == number), None) if number is not None else \
        next((r for r in rows if r.stage == "production"), None)
    if number is not None and row is None:
        abort(404)
    report, problem = None, None
    if row is not None and not errors:
        try:
            report = inputs.report(usecase, row, last=last, since=chosen.since,
                                   until=chosen.until)
        except inputs.NoReference as exc:
            problem = str(exc)
    charts = {}
    for found in (report or {}).get("fields", []):
        what = found["label"] + (f" ({found['feature']})" if found["feature"] else "")
        charts[(found["field"], found["feature"])] = paired_chart(
            what, "Value" if found["kind"] != "choice" else "Choice", found["bins"])
    return render_template("admin/drift.html", usecase=usecase, report=report, charts=charts,
                           version=row, versions=rows, problem=problem, errors=errors,
                           last=last or inputs.DEFAULT_LAST, tests=drift_tests.TESTS
                           ), 422 if errors else 200


def _whole(raw: str, maximum: int, name: str, errors: dict[str, str]) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= maximum:
        return int(raw)
    errors[name] = f"must be a whole number from 1 to {maximum:,}"
    return None
