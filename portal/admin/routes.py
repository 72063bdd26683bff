"""Admin views of model versions: the overview, one use case, comparison, promotion, rollback."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from portal.admin import bp
from portal.admin.forms import BUILT_IN, CompareForm, PromoteForm, ReasonForm, TrainForm
from portal.admin.lineage import data_comparison
from registry import datasets, jobs, outcomes, table_usecases, versions
from registry.models import DatasetVersion, ModelVersion
from registry.monitoring import gate, live
from usecases import UnknownUseCase, all_usecases, get_usecase
from usecases.base import UseCase


def usecase_or_404(name: str) -> UseCase:
    """The enabled use case of that name; a page about any other is not found."""
    try:
        return get_usecase(name)
    except UnknownUseCase:
        abort(404, description=f"There is no use case named {name!r}.")


@bp.get("/")
def index():
    """Every use case with its production version and how many versions it has."""
    return render_template("admin/index.html", usecases=all_usecases(),
                           production=versions.production_versions(),
                           counts=versions.version_counts(), made=table_usecases.list_all())


def render_usecase(usecase: UseCase, rollback_form: ReasonForm | None = None,
                   refusal: str | None = None, status: int = 200,
                   train_form: TrainForm | None = None):
    """One use case's versions, audit trail and recent jobs (also re-shown after a bad rollback
    or a refused training)."""
    rows = versions.list_versions(usecase.name)
    return render_template("admin/usecase.html", usecase=usecase, versions=rows,
                           live_figures=live.summaries(usecase, rows),
                           promotions=versions.promotions(usecase.name),
                           jobs=jobs.recent_jobs(usecase.name, limit=5),
                           rollback_form=rollback_form or ReasonForm(formdata=None),
                           rollback_to=versions.rollback_target(usecase.name),
                           train_form=train_form or training_form(usecase, formdata=None),
                           refusal=refusal), status


def training_form(usecase: UseCase, **kwargs) -> TrainForm:
    """The train form offering every dataset version not archived, the built-in data ticked
    (as a choice of its own until it is registered), and the recorded outcomes."""
    form = TrainForm(**kwargs)
    form.outcomes = 0
    if usecase.target is None:
        form.datasets.choices = []
        return form
    rows = datasets.list_versions(usecase.name)
    form.datasets.choices = [SelectChoice(row.id, dataset_label(row))
                             for row in rows if not row.archived]
    built_in = [row for row in rows if row.sources == [datasets.BUILT_IN]]
    if not built_in:
        form.datasets.choices.append(SelectChoice(BUILT_IN, "the built-in data (registered as "
                                                            "a dataset version when first "
                                                            "trained on)"))
    if kwargs.get("formdata", True) is None:  # shown, not submitted: tick the built-in data
        offered = [row.id for row in built_in if not row.archived][:1]
        form.datasets.data = offered if built_in else [BUILT_IN]
    form.outcomes = outcomes.count(usecase.name)
    form.include_outcomes.label.text = f"Include the {form.outcomes:,} recorded outcomes"
    return form


def dataset_label(row: DatasetVersion) -> str:
    name = row.details.get("filename") if isinstance(row.details, dict) else None
    return (f"v{row.version} · {' + '.join(row.sources)} · {row.rows:,} training rows"
            + (f" · {name}" if name else ""))


@bp.get("/models/<name>")
def usecase(name: str):
    """Every version of one use case, in full, with the actions an admin can take on them."""
    return render_usecase(usecase_or_404(name))


@bp.get("/models/<name>/compare")
def compare(name: str):
    """Two versions side by side; by default production against the newest other version."""
    usecase = usecase_or_404(name)
    rows = versions.list_versions(name)
    form = CompareForm(formdata=request.args if request.args else None,
                       **default_pair(rows))
    form.a.choices = form.b.choices = [SelectChoice(v.version, f"v{v.version} · {v.stage}")
                                       for v in rows]
    comparison, data, status = None, None, 200
    if len(rows) >= 2:
        if form.validate():
            comparison = versions.compare(name, form.a.data, form.b.data)
            data = data_comparison(comparison.a, comparison.b)
        else:
            status = 400
    return render_template("admin/compare.html", usecase=usecase, form=form,
                           comparison=comparison, data=data), status


def default_pair(rows: list[ModelVersion]) -> dict[str, int]:
    """Production as A (else the second newest) and the newest other version as B."""
    if len(rows) < 2:
        return {}
    live = next((v for v in rows if v.stage == "production"), rows[1])
    other = next(v for v in rows if v is not live)
    return {"a": live.version, "b": other.version}


@bp.route("/models/<name>/versions/<int:version>/promote", methods=["GET", "POST"])
def promote(name: str, version: int):
    """The evidence and the policy's verdict; then, with a reason, make the version the
    production one (against the policy only when asked, which the audit trail marks)."""
    usecase = usecase_or_404(name)
    form = PromoteForm()
    refusal = None
    if form.validate_on_submit():
        try:
            gate.promote(usecase, version, actor=current_user.username,
                         reason=form.reason.data, override=form.override.data)
        except versions.NotFound:
            abort(404)
        except gate.GateClosed as exc:
            refusal = (f"{exc} Tick \"{form.override.label.text}\" to promote anyway; the "
                       "audit trail will say so.")
        except versions.RegistryError as exc:
            refusal = str(exc)
        else:
            flash(f"{usecase.title}: version {version} is now in production.")
            return redirect(url_for("admin.usecase", name=name))
    try:
        comparison = versions.compare_with_production(name, version)
        target = versions.get_version(name, version)
    except versions.NotFound:
        abort(404)
    status = 409 if refusal else 400 if form.errors else 200
    production = versions.production_version(name)
    same_model = (production is not None and production.id != target.id
                  and production.artifact_sha256 == target.artifact_sha256)
    return render_template("admin/promote.html", usecase=usecase, target=target, form=form,
                           comparison=comparison, refusal=refusal, production=production,
                           same_model=same_model, verdict=gate.verdict(usecase, target)), status


@bp.post("/models/<name>/rollback")
def rollback(name: str):
    """Put the previous production version back, with a reason for the audit trail."""
    usecase = usecase_or_404(name)
    form = ReasonForm()
    if not form.validate_on_submit():
        return render_usecase(usecase, form, status=400)
    try:
        record = versions.rollback(name, actor=current_user.username, reason=form.reason.data)
    except versions.RegistryError as exc:
        return render_usecase(usecase, form, refusal=str(exc), status=409)
    flash(f"{usecase.title}: rolled back to version {record.to_version.version}.")
    return redirect(url_for("admin.usecase", name=name))
