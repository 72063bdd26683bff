"""Admin views of training: start a retraining, follow its job, list recent jobs."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ReasonForm
from portal.admin.routes import usecase_or_404
from registry import jobs, versions


@bp.post("/models/<name>/retrain")
def retrain(name: str):
    """Start training a new candidate in its own process and follow it on the job page."""
    usecase_or_404(name)
    try:
        job = jobs.start(name, requested_by=current_user.username)
    except jobs.JobConflict as exc:
        flash(f"{exc}. Wait for it to finish.", "error")
        return redirect(url_for("admin.usecase", name=name))
    return redirect(url_for("admin.job", job_id=job.id))


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
