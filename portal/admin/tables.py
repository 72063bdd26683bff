"""Admin pages that make a use case from a table: send a CSV, pick the column to predict, review
and edit the proposal (task, inputs, labels, help, units), create it and follow its training;
and disable, enable or delete one.

The table waits in the artifact store under its sha256 between the pages, like a pending upload,
so every step may reach any host that shares the store.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from portal.admin import bp
from registry import table_usecases
from registry.artifacts import ArtifactError
from registry.versions import artifact_store

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TableForm(FlaskForm):
    file = FileField("Table (CSV)", validators=[FileRequired("Choose a CSV file.")],
                     render_kw={"accept": ".csv,.tsv,.txt"})


class ProposalForm(FlaskForm):
    """Only the CSRF token: the proposal's fields depend on the table's columns."""


def pending_key(sha256: str) -> str:
    return f"tables/pending/{sha256}.csv"


@bp.url_value_preprocessor
def table_limit(endpoint: str | None, values: dict | None) -> None:
    """A table may be as large as TABLE_MAX_BYTES (see uploads.upload_limit for why here)."""
    if endpoint == "admin.new_usecase" and current_user.is_authenticated \
            and current_user.is_admin:
        request.max_content_length = int(current_app.config["TABLE_MAX_BYTES"]) + 64 * 1024


@bp.route("/usecases/new", methods=["GET", "POST"])
def new_usecase():
    """Step one: the CSV. It is read once to refuse what is not a table, then kept pending."""
    form = TableForm()
    limit = int(current_app.config["TABLE_MAX_BYTES"])
    if not form.validate_on_submit():
        return render_template("admin/new_usecase.html", form=form, limit=limit), \
            400 if request.method == "POST" else 200
    data = form.file.data.read()
    try:
        columns = table_usecases.columns_of(data)
    except table_usecases.CreateError as exc:
        form.file.errors.append(exc.message)
        return render_template("admin/new_usecase.html", form=form, limit=limit), exc.status
    digest = hashlib.sha256(data).hexdigest()
    artifact_store().write(pending_key(digest), data)
    filename = (form.file.data.filename or "table.csv")[:200]
    return redirect(url_for("admin.review_usecase", sha256=digest, filename=filename,
                            target=columns[-1]))


@bp.route("/usecases/new/<sha256>", methods=["GET", "POST"])
def review_usecase(sha256: str):
    """Step two: the column to predict and the proposal, edited and proposed again until the
    admin creates the use case (POST with action=create)."""
    if not SHA256.match(sha256):
        abort(404)
    try:
        data = artifact_store().read(pending_key(sha256))
    except ArtifactError:
        flash("That table is no longer waiting: send it again.")
        return redirect(url_for("admin.new_usecase"))
    values = request.form if request.method == "POST" else request.args
    form = ProposalForm()
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)
    columns = table_usecases.columns_of(data)
    chosen = _choices(values, columns)
    refusal, status, proposal = None, 200, None
    try:
        proposal = table_usecases.propose(data, chosen["target"], task=chosen["task"],
                                          exclude=chosen["exclude"], include=chosen["include"])
    except table_usecases.CreateError as exc:
        refusal, status = exc.message, exc.status
    if proposal is not None and request.method == "POST" and values.get("action") == "create":
        try:
            spec = table_usecases.spec_from(proposal, _edits(values, proposal))
            _, job = table_usecases.create(chosen["name"], chosen["title"], spec, data,
                                           actor=current_user.username,
                                           filename=chosen["filename"])
        except table_usecases.CreateError as exc:
            refusal, status = exc.message, exc.status
        else:
            artifact_store().remove(pending_key(sha256))
            flash(f"Use case {chosen['name']} created: its first version is training.")
            return redirect(url_for("admin.job", job_id=job.id))
    return render_template("admin/review_usecase.html", form=form, sha256=sha256,
                           columns=columns, chosen=chosen, proposal=proposal,
                           edits=_edits(values, proposal) if proposal else {},
                           refusal=refusal), status


@bp.post("/usecases/<name>/enabled")
def set_usecase_enabled(name: str):
    form = ProposalForm()
    if not form.validate_on_submit():
        abort(400)
    enabled = request.form.get("enabled") == "true"
    try:
        table_usecases.set_enabled(name, enabled)
    except table_usecases.NotFound:
        abort(404)
    flash(f"{name} is {'served again' if enabled else 'disabled: it is no longer served'}.")
    return redirect(url_for("admin.index"))


@bp.post("/usecases/<name>/delete")
def delete_usecase(name: str):
    form = ProposalForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        table_usecases.delete(name)
    except table_usecases.NotFound:
        abort(404)
    except table_usecases.InUse as exc:
        flash(f"{name} was not deleted: {exc}")
        return redirect(url_for("admin.index"))
    flash(f"{name} is deleted, with its versions and data.")
    return redirect(url_for("admin.index"))


def _choices(values: Any, columns: list[str]) -> dict[str, Any]:
    """What the admin chose so far: target, task, name, title, and which columns to use."""
    target = values.get("target") or columns[-1]
    task = values.get("task") or None
    # Only a column that had a box on the page and was unticked is left out as asked (the last
    # proposal's target had no box: changing the target must not drop it unasked).
    offered = set(values.getlist("offered")) - {target}
    used = set(values.getlist("use"))
    exclude = [c for c in columns if c in offered and c not in used]
    include = [c for c in columns if c in offered and c in used]
    filename = (values.get("filename") or "table.csv")[:200]
    default_name = re.sub(r"[^a-z0-9]+", "-", filename.rsplit(".", 1)[0].lower()).strip("-")
    return {"target": target, "task": task, "exclude": exclude, "include": include,
            "name": (values.get("name") or default_name or "my-table")[:64],
            "title": (values.get("title") or "")[:120], "filename": filename}


def _edits(values: Any, proposal: Any) -> dict[str, dict[str, str]]:
    """The labels, help texts and units the admin typed, by input name (the proposal's own
    where nothing was typed)."""
    edits: dict[str, dict[str, str]] = {}
    for field in proposal.inputs:
        edits[field["name"]] = {key: (values.get(f"{key}-{field['name']}") or
                                      str(field.get(key) or ""))
                                for key in table_usecases.EDITABLE}
    return edits
