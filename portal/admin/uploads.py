"""Admin views of uploads: a file of labelled rows is read into a report and kept pending in
the artifact store; only the admin's confirmation stores its accepted rows as a dataset version.

A pending upload is named by its content (`<usecase>/pending/<sha256>.<csv|jsonl>`), so the
confirmation may reach any host that shares the artifact store, and a confirmation can only
store bytes that were uploaded and checked.
"""
from __future__ import annotations

import hashlib

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from portal.admin import bp
from portal.admin.forms import PendingUploadForm, UploadForm
from portal.admin.routes import usecase_or_404
from registry.artifacts import ArtifactError
from registry.datasets import uploads
from registry.versions import artifact_store
from usecases import UnknownUseCase, get_usecase
from usecases.base import UseCase

JSONL_NAMES = (".jsonl", ".ndjson")
GONE = ("This upload is no longer waiting for confirmation (it was stored or cancelled "
        "already): upload the file again.")


def pending_key(usecase: str, sha256: str, kind: str) -> str:
    return f"{usecase}/pending/{sha256}.{kind}"


@bp.url_value_preprocessor
def upload_limit(endpoint: str | None, values: dict | None) -> None:
    """An admin's upload may be as large as DATASET_MAX_BYTES. Set here because this runs before
    every before_request hook, and the CSRF check reads the form (under the app's far smaller
    limit) before any view does."""
    if endpoint == "admin.upload" and current_user.is_authenticated and current_user.is_admin:
        request.max_content_length = current_app.config["DATASET_MAX_BYTES"]


def render_upload(usecase: UseCase, form: UploadForm, refusal: str | None = None,
                  status: int = 200):
    """The upload form, with what was wrong with the last attempt."""
    return render_template("admin/upload.html", usecase=usecase, form=form, refusal=refusal,
                           limit=current_app.config["DATASET_MAX_BYTES"]), status


@bp.route("/models/<name>/datasets/upload", methods=["GET", "POST"])
def upload(name: str):
    """The form; once a file is sent, its report (nothing is stored until it is confirmed)."""
    usecase = usecase_or_404(name)
    form = UploadForm()
    if usecase.target is None:
        return render_upload(usecase, form, status=409 if request.method == "POST" else 200)
    if not form.validate_on_submit():
        return render_upload(usecase, form, status=400 if request.method == "POST" else 200)
    sent = form.file.data
    data, filename = sent.read(), (sent.filename or "")[:200]
    kind = uploads.JSONL if filename.lower().endswith(JSONL_NAMES) else uploads.CSV
    try:
        report = uploads.read(usecase, data, kind=kind,
                              current=uploads.current_data(usecase, current_user.username))
    except uploads.UploadError as exc:
        form.file.errors.append(exc.message)
        return render_upload(usecase, form, status=exc.status)
    digest = hashlib.sha256(data).hexdigest()
    artifact_store().write(pending_key(name, digest, kind), data)
    pending = PendingUploadForm(formdata=None, sha256=digest, format=kind, filename=filename)
    return render_template("admin/upload_report.html", usecase=usecase, form=pending,
                           filename=filename, report=report.to_dict())


@bp.post("/models/<name>/datasets/upload/confirm")
def confirm_upload(name: str):
    """Store the accepted rows of a pending upload, read and checked again from its bytes."""
    usecase = usecase_or_404(name)
    form = PendingUploadForm()
    if usecase.target is None or not form.validate_on_submit():
        return render_upload(usecase, UploadForm(formdata=None), "This confirmation names no "
                             "upload of this use case: upload the file again.", 400)
    key = pending_key(name, form.sha256.data, form.format.data)
    store = artifact_store()
    try:
        data = store.read(key)
    except ArtifactError:
        return render_upload(usecase, UploadForm(formdata=None), GONE, 409)
    # Taken out of the store at once, before the slow re-check: a second confirmation (a double
    # click, another tab) then finds nothing pending instead of storing the rows twice.
    store.remove(key)
    if hashlib.sha256(data).hexdigest() != form.sha256.data:
        return render_upload(usecase, UploadForm(formdata=None), "The pending upload does not "
                             "match its checksum, so it was discarded: upload the file again.",
                             409)
    try:
        report = uploads.read(usecase, data, kind=form.format.data,
                              current=uploads.current_data(usecase, current_user.username))
        if report.accepted == 0:
            raise uploads.UploadError("no row was accepted: nothing to store", status=422)
        row = uploads.store(usecase, report, current_user.username, form.filename.data)
    except uploads.UploadError as exc:
        return render_upload(usecase, UploadForm(formdata=None), exc.message, exc.status)
    except Exception:
        store.write(key, data)  # nothing was stored (the database failed?): confirm again later
        raise
    left_out = f"; {report.refused_rows:,} refused rows left out" if report.refused_rows else ""
    flash(f"{usecase.title}: stored dataset version {row.version} ({row.rows:,} training rows, "
          f"{row.held_out_rows:,} held out{left_out}).")
    return redirect(url_for("admin.datasets", name=name))


@bp.post("/models/<name>/datasets/upload/cancel")
def cancel_upload(name: str):
    """Throw a pending upload away."""
    usecase = usecase_or_404(name)
    form = PendingUploadForm()
    if not form.validate_on_submit():
        return render_upload(usecase, UploadForm(formdata=None), "This cancellation names no "
                             "upload: nothing was changed.", 400)
    artifact_store().remove(pending_key(name, form.sha256.data, form.format.data))
    flash(f"{usecase.title}: upload cancelled, nothing was stored.")
    return redirect(url_for("admin.datasets", name=name))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """An upload over the limit: the form again, saying so (any other page: the error page)."""
    if request.endpoint == "admin.upload" and current_user.is_authenticated and \
            current_user.is_admin:
        try:
            usecase = get_usecase((request.view_args or {}).get("name", ""))
        except UnknownUseCase:
            pass
        else:
            return render_upload(usecase, UploadForm(formdata=None), "The file is larger "
                                 "than the upload limit: split it into smaller files.", 413)
    return render_template("errors/error.html", error=error), 413
