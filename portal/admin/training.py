"""Admin views of training: start a retraining, follow its job, list recent jobs."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from portal.admin import bp
from portal.admin.forms import BUILT_IN, ReasonForm
from portal.admin.routes import render_usecase, training_form, usecase_or_404
from registry import datasets, jobs, versions


@bp.post("/models/<name>/retrain")
def retrain(name: str):
    """Start training a new candidate on the chosen data, in its own process, and follow it on
    the job page. Nothing ticked means the built-in data."""
    usecase = usecase_or_404(name)
    form = training_form(usecase)
    if not form.validate_on_submit():
        flash("Choose the data to train on from the list.", "error")
        return render_usecase(usecase, train_form=form, status=400)
    try:
        job = jobs.start(name, requested_by=current_user.username,
                         options=training_options(usecase, form.datasets.data or [],
                                                  form.include_outcomes.data))
    except jobs.JobConflict as exc:
        if exc.job_id is None:
            flash(f"{exc}. Wait for it to finish.", "error")
        else:
            flash(Markup('{} is already training: <a href="{}">follow job {}</a>, and start '
                         'another once it has finished.')
                  .format(usecase.title, url_for("admin.job", job_id=exc.job_id), exc.job_id),
                  "error")
        return redirect(url_for("admin.usecase", name=name))
    except versions.RegistryError as exc:  # an archived or unknown dataset version
        flash(f"Not started: {exc}.", "error")
        status = 404 if isinstance(exc, versions.NotFound) else 409
        return render_usecase(usecase, train_form=form, status=status)
    return redirect(url_for("admin.job", job_id=job.id))


def training_options(usecase, chosen: list, include_outcomes: bool) -> dict:
    """The job's options from the form: dataset ids (the built-in data registered first when
    it is ticked beside others before its first training) and the outcomes."""
    ids = [value for value in chosen if value != BUILT_IN]
    if BUILT_IN in chosen and ids:
        ids.insert(0, datasets.built_in(usecase, current_user.username).id)
    if not ids and not chosen and usecase.target is not None:
        refuse_archived_built_in(usecase)
    options: dict = {"datasets": ids} if ids else {}
    if include_outcomes:
        options["include_outcomes"] = True
    return options


def refuse_archived_built_in(usecase) -> None:
    """Nothing ticked trains on the built-in data, which must not be archived."""
    built_in = [row for row in datasets.list_versions(usecase.name)
                if row.sources == [datasets.BUILT_IN]]
    if built_in and all(row.archived for row in built_in):
        raise versions.RegistryError("the built-in data is archived: restore it or tick "
                                     "other data to train on")


@bp.get("/jobs")
def job_list():
    """The most recent training jobs of every use case."""
    return render_template("admin/jobs.html", jobs=jobs.recent_jobs(limit=50))


@bp.get("/jobs/<int:job_id>")
def job(job_id: int):
    """A job's progress; once it succeeded, how its version compares with production."""
    found = jobs.get_job(job_id) or abort(404)
    comparison = None
    if found.status == "succeeded" and found.model_version is not None:
        comparison = versions.compare_with_production(found.usecase, found.model_version.version)
    return render_template("admin/job.html", job=found, comparison=comparison,
                           usecase=usecase_or_404(found.usecase), form=ReasonForm(formdata=None))


@bp.get("/jobs/<int:job_id>.json")
def job_status(job_id: int):
    """The job as JSON, for admin.js to move the progress bar without reloading the page."""
    found = jobs.get_job(job_id)
    if found is None:
        return jsonify(error=f"no job {job_id}"), 404
    return jsonify(found.to_dict())
