"""Labelled data: a use case's dataset versions and uploads, and the true outcomes of stored
predictions (admins bring data; analysts and admins record outcomes)."""
from __future__ import annotations

import csv
import io

from flask import current_app, g, jsonify, request, url_for

from portal.api import bp, parse
from portal.api.auth import ADMIN, ANALYST, token_required
from portal.api.errors import ApiError, registry_refusals
from registry import datasets, outcomes
from registry.datasets import uploads

VERSION = f"<int(min=1, max={parse.MAX_ID}):number>"
PREDICTION = f"<int(min=1, max={parse.MAX_ID}):prediction_id>"
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")


@bp.get("/usecases/<name>/datasets")
@token_required(ADMIN, ANALYST)
def dataset_versions(name: str):
    """Every dataset version of a use case, newest first."""
    parse.usecase_named(name)
    return jsonify({"usecase": name, "datasets": [row.to_dict() | _trained(row)
                                                  for row in datasets.list_versions(name)]})


@bp.get(f"/usecases/<name>/datasets/{VERSION}")
@token_required(ADMIN, ANALYST)
def dataset_version(name: str, number: int):
    parse.usecase_named(name)
    with registry_refusals():
        row = datasets.get(name, number)
    return jsonify(row.to_dict() | _trained(row))


@bp.post("/usecases/<name>/datasets")
@token_required(ADMIN)
def upload(name: str):
    """Labelled rows as CSV (text/csv or a multipart `file`) or JSON lines: the report, and
    unless `dry_run=true`, the new dataset version (201). Refused rows store nothing unless
    `skip_refused=true` says to keep the accepted ones."""
    usecase = parse.usecase_named(name)
    dry_run, skip_refused = _flag("dry_run"), _flag("skip_refused")
    data, kind, filename = _upload_body()
    with registry_refusals():
        try:
            report = uploads.read(usecase, data, kind=kind,
                                  current=uploads.current_data(usecase, g.api_user.username))
        except uploads.UploadError as exc:
            fields = {exc.column: exc.message} if exc.column else {"file": exc.message}
            raise ApiError(exc.status, "invalid_file", exc.message, fields) from None
        answer = {"usecase": name, "dry_run": dry_run, "report": report.to_dict()}
        if dry_run:
            return jsonify(answer)
        if report.accepted == 0:
            return _refused(answer, "no row was accepted: nothing was stored")
        if report.refused_rows and not skip_refused:
            return _refused(answer, f"{report.refused_rows:,} row(s) were refused: nothing was "
                                    "stored (fix them, or send skip_refused=true to keep the "
                                    "accepted rows)")
        row = uploads.store(usecase, report, g.api_user.username, filename)
    answer["dataset"] = row.to_dict() | _trained(row)
    return jsonify(answer), 201, {"Location": url_for("api.dataset_version", name=name,
                                                      number=row.version)}


@bp.post(f"/usecases/<name>/datasets/{VERSION}/archive")
@token_required(ADMIN)
def archive_dataset(name: str, number: int):
    """Archive a dataset version (kept, not offered for training); {"archived": false}
    restores it."""
    parse.usecase_named(name)
    body = parse.json_object(required=False)
    parse.refuse_unknown_keys(body, ("archived",))
    archived = body.get("archived", True)
    if not isinstance(archived, bool):
        raise ApiError(422, "invalid_body", "archived must be true or false",
                       {"archived": "must be true or false"})
    with registry_refusals():
        row = datasets.archive(datasets.get(name, number), archived)
    return jsonify(row.to_dict() | _trained(row))


@bp.delete(f"/usecases/<name>/datasets/{VERSION}")
@token_required(ADMIN)
def delete_dataset(name: str, number: int):
    """Delete a dataset version no model was trained on (409 otherwise: archive it)."""
    parse.usecase_named(name)
    with registry_refusals():
        datasets.delete(datasets.get(name, number))
    return "", 204


@bp.get(f"/predictions/{PREDICTION}/outcome")
@token_required(ADMIN, ANALYST)
def outcome(prediction_id: int):
    """A prediction's recorded outcome and every earlier value."""
    with registry_refusals():
        found = outcomes.history(prediction_id)
    return jsonify({"prediction_id": prediction_id,
                    "outcome": found[-1].value if found else None,
                    "history": [row.to_dict() for row in found]})


@bp.post(f"/predictions/{PREDICTION}/outcome")
@token_required(ADMIN, ANALYST)
def record_outcome(prediction_id: int):
    """Record (or correct) what really happened: {"outcome": value}, a value of the use
    case's target. 201 when recorded, 200 when it was already the current value."""
    body = parse.json_object()
    parse.refuse_unknown_keys(body, ("outcome",))
    if "outcome" not in body:
        raise ApiError(422, "invalid_body", "outcome is required", {"outcome": "is required"})
    done = _record([(prediction_id, body["outcome"])], from_text=False, single=True)[0]
    answer = done.outcome.to_dict() | {"replaced": done.replaced}
    return jsonify(answer), 201 if done.changed else 200


@bp.post("/outcomes")
@token_required(ADMIN, ANALYST)
def record_outcomes():
    """Many outcomes at once, all or none: JSON {"outcomes": [{"prediction_id", "outcome"}]}
    or CSV with the columns prediction_id and outcome."""
    if request.mimetype == "text/csv":
        items = _outcome_rows(request.get_data())
        done = _record(items, from_text=True)
    else:
        body = parse.json_object()
        parse.refuse_unknown_keys(body, ("outcomes",))
        listed = body.get("outcomes")
        if not isinstance(listed, list) or not listed:
            raise ApiError(422, "invalid_body", "outcomes must be a non-empty list",
                           {"outcomes": "must be a list of {prediction_id, outcome}"})
        items = []
        for position, item in enumerate(listed):
            if not isinstance(item, dict) or set(item) != {"prediction_id", "outcome"}:
                raise ApiError(422, "invalid_body", "each outcome is an object with "
                               "prediction_id and outcome",
                               {f"outcomes.{position}": "must have exactly the keys "
                                                        "prediction_id and outcome"})
            items.append((item["prediction_id"], item["outcome"]))
        done = _record(items, from_text=False)
    return jsonify({"recorded": sum(d.changed for d in done),
                    "unchanged": sum(not d.changed for d in done),
                    "outcomes": [d.outcome.to_dict() for d in done]}), 201


def _record(items, *, from_text: bool, single: bool = False):
    try:
        return outcomes.record_many(items, g.api_user.username, from_text=from_text,
                                    single=single)
    except outcomes.OutcomeError as exc:
        code = "not_found" if exc.status == 404 else "invalid_outcome"
        raise ApiError(exc.status, code, str(exc) + ": " + "; ".join(
            f"{k} {v}" for k, v in list(exc.errors.items())[:5]), exc.errors) from None


def _outcome_rows(data: bytes) -> list[tuple[str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_file", "the CSV is not UTF-8 text",
                       {"file": "is not UTF-8 text"}) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader)]
        if header != ["prediction_id", "outcome"]:
            raise ApiError(400, "invalid_file", "the CSV's columns must be prediction_id,outcome",
                           {"file": f"has the columns {', '.join(header)[:200]}"})
        return [(row[0], row[1]) if len(row) == 2 else ("", "") for row in reader if row]
    except StopIteration:
        raise ApiError(400, "invalid_file", "the CSV is empty", {"file": "is empty"}) from None
    except csv.Error as exc:
        raise ApiError(400, "invalid_file", f"the CSV cannot be read: {exc}",
                       {"file": str(exc)}) from None


def _upload_body() -> tuple[bytes, str, str]:
    """The uploaded bytes, their format and file name; the upload limit applies here."""
    request.max_content_length = current_app.config["DATASET_MAX_BYTES"]
    if request.mimetype == "multipart/form-data":
        sent = request.files.get("file")
        if sent is None:
            raise ApiError(422, "invalid_body", "send the rows as a multipart field named file",
                           {"file": "is required"})
        filename = sent.filename or ""
        kind = uploads.JSONL if filename.lower().endswith((".jsonl", ".ndjson")) or \
            sent.mimetype in JSONL_TYPES else uploads.CSV
        return sent.read(), kind, filename
    if request.mimetype == "text/csv":
        return request.get_data(), uploads.CSV, ""
    if request.mimetype in JSONL_TYPES:
        return request.get_data(), uploads.JSONL, ""
    raise ApiError(415, "unsupported_media_type", "send the rows as text/csv, as JSON lines "
                   "(application/x-ndjson) or as a multipart/form-data field named file")


def _flag(name: str) -> bool:
    raw = request.args.get(name, "false").strip().lower()
    if raw not in ("true", "false", "1", "0"):
        raise ApiError(422, "invalid_query", f"{name} must be true or false",
                       {name: "must be true or false"})
    return raw in ("true", "1")


def _refused(answer: dict, message: str):
    answer["error"] = {"code": "rows_refused", "message": message, "fields": {}}
    return jsonify(answer), 422


def _trained(row) -> dict:
    return {"trained_versions": datasets.trained_on(row)}
