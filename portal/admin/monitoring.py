"""Admin views of live evidence: a version's live metrics from recorded outcomes."""
from __future__ import annotations

from flask import abort, render_template, request

from portal.admin import bp
from portal.admin.routes import usecase_or_404
from registry import history, versions
from registry.monitoring import live


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
