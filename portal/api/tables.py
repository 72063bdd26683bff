"""Use cases made from a table: the proposal for a CSV, creating one (202 and its first
training job), and disabling, enabling or deleting it (admins only)."""
from __future__ import annotations

import json

from flask import current_app, g, jsonify, request, url_for

from portal.api import bp, parse
from portal.api.auth import ADMIN, token_required
from portal.api.errors import ApiError
from registry import table_usecases

FIELDS = ("name", "title", "target", "task", "exclude", "include", "labels", "promote",
          "dry_run")


@bp.post("/usecases")
@token_required(ADMIN)
def create_usecase():
    """A CSV (multipart `file`, or a text/csv body) and the column to predict: the proposal
    (with `dry_run=true`), or the new use case and its first training job (202)."""
    data, filename = _table()
    given = _parameters()
    target = given.get("target", "").strip()
    if not target:
        raise ApiError(422, "invalid_body", "name the column to predict",
                       {"target": "is required"})
    dry_run = _flag(given, "dry_run")
    name = given.get("name", "").strip()
    try:
        if not dry_run:
            table_usecases.check_name(name)
        proposal = table_usecases.propose(data, target, task=given.get("task") or None,
                                          exclude=_columns(given.get("exclude", "")),
                                          include=_columns(given.get("include", "")))
    except table_usecases.CreateError as exc:
        raise _refusal(exc) from None
    answer = {"name": name or None, "dry_run": dry_run, "proposal": proposal.to_json()}
    if dry_run:
        return jsonify(answer)
    try:
        spec = table_usecases.spec_from(proposal, _labels(given.get("labels")))
        row, job = table_usecases.create(name, given.get("title", ""), spec, data,
                                         actor=g.api_user.username, filename=filename,
                                         promote=_flag(given, "promote"))
    except table_usecases.CreateError as exc:
        raise _refusal(exc) from None
    answer |= {"usecase": row.to_dict(), "job": job.to_dict()}
    return jsonify(answer), 202, {"Location": url_for("api.job", job_id=job.id)}


@bp.post("/usecases/<name>/disable")
@token_required(ADMIN)
def disable_usecase(name: str):
    return _set_enabled(name, False)


@bp.post("/usecases/<name>/enable")
@token_required(ADMIN)
def enable_usecase(name: str):
    return _set_enabled(name, True)


@bp.delete("/usecases/<name>")
@token_required(ADMIN)
def delete_usecase(name: str):
    """Delete a use case made from a table, unless stored predictions refer to it (409)."""
    try:
        table_usecases.delete(name)
    except table_usecases.NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except table_usecases.InUse as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return "", 204


def _set_enabled(name: str, enabled: bool):
    try:
        row = table_usecases.set_enabled(name, enabled)
    except table_usecases.NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    return jsonify(row.to_dict())


def _table() -> tuple[bytes, str]:
    request.max_content_length = int(current_app.config["TABLE_MAX_BYTES"]) + 64 * 1024
    if request.mimetype == "multipart/form-data":
        sent = request.files.get("file")
        if sent is None:
            raise ApiError(422, "invalid_body", "send the table as a multipart field named file",
                           {"file": "is required"})
        return sent.read(), sent.filename or ""
    if request.mimetype == "text/csv":
        return request.get_data(), ""
    raise ApiError(415, "unsupported_media_type", "send the table as text/csv, or as a "
                   "multipart/form-data field named file with the other parameters beside it")


def _parameters() -> dict[str, str]:
    """The parameters, from the multipart fields or the query string (not both)."""
    source = request.form if request.mimetype == "multipart/form-data" else request.args
    unknown = sorted(set(source) - set(FIELDS))
    if unknown:
        raise ApiError(422, "invalid_body", f"unknown parameter(s): {', '.join(unknown)}",
                       {key: "is not a parameter of this call" for key in unknown[:20]})
    if request.mimetype == "multipart/form-data" and request.args:
        source = {**request.args, **source}  # dry_run may come in the query, as elsewhere
    return {key: str(source[key]) for key in source if key in FIELDS}


def _flag(given: dict[str, str], name: str) -> bool:
    raw = given.get(name, "false").strip().lower()
    if raw not in ("true", "false", "1", "0"):
        raise ApiError(422, "invalid_body", f"{name} must be true or false",
                       {name: "must be true or false"})
    return raw in ("true", "1")


def _columns(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _labels(raw: str | None) -> dict[str, dict[str, str]]:
    """`labels`: a JSON object of input name -> {"label", "help", "unit"} edits."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
            isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
            for v in value.values()):
        raise ApiError(422, "invalid_body", "labels must be a JSON object of input name -> "
                       '{"label": ..., "help": ..., "unit": ...}', {"labels": "is not valid"})
    return value


def _refusal(exc: table_usecases.CreateError) -> ApiError:
    return ApiError(exc.status, "invalid_table" if exc.field == "file" else "invalid_body",
                    exc.message, {exc.field or "file": exc.message})
