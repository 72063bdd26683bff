"""Admin views of live evidence: a version's live metrics from recorded outcomes, the drift of
live inputs from its training inputs, and a challenger on live traffic."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from portal.admin import bp
from portal.admin.forms import ChallengerForm, PolicyForm
from portal.admin.routes import usecase_or_404
from registry import history, versions
from portal.history.charts import paired_chart
from registry.monitoring import drift as drift_tests
from registry.monitoring import challenger, gate, inputs, live


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


def challenger_form(name: str, rows: list, **kwargs) -> ChallengerForm:
    form = ChallengerForm(**kwargs)
    form.version.choices = [SelectChoice(r.version, f"v{r.version} ({r.stage})")
                            for r in rows if r.stage != "production"]
    return form


def render_challenger(usecase, form: ChallengerForm, refusal: str | None = None,
                      status: int = 200, policy_form: PolicyForm | None = None):
    rows = versions.list_versions(usecase.name)
    row = challenger.get(usecase.name)
    production = next((r for r in rows if r.stage == "production"), None)
    compared = (challenger.comparison(usecase, row.model_version, production)
                if row is not None and production is not None else None)
    chart = (paired_chart("Scores", "Score", compared["scores"],
                          series=(f"Production v{production.version}",
                                  f"Challenger v{row.model_version.version}"))
             if compared and compared["scores"] else None)
    rule = gate.policy(usecase.name)
    if policy_form is None:
        policy_form = PolicyForm(formdata=None, obj=rule)
    return render_template("admin/challenger.html", usecase=usecase, challenger=row,
                           production=production, compared=compared, chart=chart, form=form,
                           refusal=refusal, policy=rule, policy_form=policy_form), status


@bp.route("/models/<name>/challenger", methods=["GET", "POST"])
def challenger_page(name: str):
    """Name a challenger on a share of live traffic, and see how it compares with production:
    agreement, the largest disagreements, both score distributions, live metrics on the same
    labelled predictions."""
    usecase = usecase_or_404(name)
    rows = versions.list_versions(name)
    form = challenger_form(name, rows, formdata=request.form if request.method == "POST"
                           else None)
    refusal = None
    if request.method == "POST":
        if form.validate():
            try:
                challenger.name(name, form.version.data, form.share.data,
                                current_user.username)
            except versions.RegistryError as exc:
                refusal = str(exc)
            else:
                flash(f"v{form.version.data} now also scores {form.share.data:.0%} of live "
                      "predictions.")
                return redirect(url_for("admin.challenger_page", name=name))
        return render_challenger(usecase, form, refusal, 409 if refusal else 400)
    return render_challenger(usecase, form)


@bp.post("/models/<name>/challenger/end")
def end_challenger(name: str):
    usecase = usecase_or_404(name)
    if challenger.end(name):
        flash(f"{usecase.title}: the challenger was stopped.")
    return redirect(url_for("admin.challenger_page", name=name))


@bp.post("/models/<name>/policy")
def set_policy(name: str):
    """Set (or, with `clear`, remove) what a candidate must show before it is promoted."""
    usecase = usecase_or_404(name)
    if request.form.get("clear"):  # (the CSRF token is checked for every POST, app-wide)
        gate.clear_policy(name)
        flash(f"{usecase.title}: promotions no longer need live evidence.")
        return redirect(url_for("admin.challenger_page", name=name))
    form = PolicyForm()
    if not form.validate_on_submit():
        return render_challenger(usecase, challenger_form(name, versions.list_versions(name),
                                                          formdata=None),
                                 status=400, policy_form=form)
    gate.set_policy(name, min_labelled=form.min_labelled.data, not_worse=form.not_worse.data,
                    actor=current_user.username)
    flash(f"{usecase.title}: the promotion policy is saved.")
    return redirect(url_for("admin.challenger_page", name=name))
