"""Recording outcomes from the history: one prediction's page with its explanation, outcome and
audit trail, and a page that takes many outcomes at once as CSV (all recorded, or none)."""
from __future__ import annotations

import csv
import io
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.api.parse import MAX_ID
from portal.history import bp, words
from registry import history, outcomes, serving
from usecases import UnknownUseCase, all_usecases

PREDICTION = f"<int(min=1, max={MAX_ID}):prediction_id>"
HEADER = ["prediction_id", "outcome"]


@bp.get(f"/predictions/{PREDICTION}")
def prediction(prediction_id: int):
    """A prediction's inputs and output in words, its explanation, its current outcome, every
    earlier value, and a form to record or correct it."""
    return render_prediction(found(prediction_id))


@bp.post(f"/predictions/{PREDICTION}")
def record_outcome(prediction_id: int):
    """Record (or correct) the prediction's outcome from the form; the target names the field."""
    stored = found(prediction_id)
    target = target_of(stored.usecase)
    raw = request.form.get(target.name if target is not None else "outcome", "")
    try:
        done = outcomes.record(prediction_id, raw, current_user.username, from_text=True)
    except outcomes.OutcomeError as exc:
        if exc.status == 404:
            abort(404)
        return render_prediction(stored, exc.errors.get("outcome") or str(exc), raw, exc.status)
    if not done.changed:
        flash("That is already the current outcome; nothing changed.")
    elif done.replaced is not None:
        flash(f"Outcome corrected: {done.replaced} → {done.outcome.value}.")
    else:
        flash(f"Outcome recorded: {done.outcome.value}.")
    return redirect(url_for("history.prediction", prediction_id=prediction_id))


def found(prediction_id: int) -> Any:
    stored = history.get_prediction(prediction_id)
    if stored is None:
        abort(404)
    return stored


def target_of(usecase: str) -> Any:
    """The field an outcome of the use case gives, or None when it takes no outcomes (or is not
    installed)."""
    installed = all_usecases().get(usecase)
    return installed.outcome_field if installed is not None else None


def render_prediction(stored: Any, error: str | None = None, value: Any = None,
                      status: int = 200):
    trail = outcomes.history(stored.id)
    current = trail[-1] if trail and trail[-1].replaced_at is None else None
    return render_template("history/prediction.html", prediction=stored,
                           usecase=all_usecases().get(stored.usecase),
                           target=target_of(stored.usecase), current=current,
                           trail=list(reversed(trail)), error=error,
                           value=value if value is not None else
                           (current.value if current else None),
                           words=words.for_rows([stored]), **explained(stored)), status


def explained(stored: Any) -> dict[str, Any]:
    """The prediction scored again from its stored inputs by the version that made it (which
    stores nothing), for its explanation: `result` and the use case as that version serves it
    (`view`), or `unexplained`, why not."""
    try:
        result, view = serving.rescored(stored)
    except serving.ModelUnavailable as exc:
        return {"unexplained": f"The explanation cannot be shown: {exc}."}
    except UnknownUseCase:
        return {"unexplained": f"The explanation cannot be shown: the use case "
                               f"{stored.usecase} is not installed here."}
    return {"result": result, "view": view}


@bp.get("/outcomes")
def bulk():
    """The form: paste or upload prediction_id,outcome rows."""
    return render_bulk()


@bp.post("/outcomes")
def record_bulk():
    """Record every pasted or uploaded outcome, or none when any row is refused."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None and upload.filename else None
    text = request.form.get("rows", "")
    if data is not None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return render_bulk(problem="The file is not UTF-8 text.", status=400)
    try:
        lines, items = read_rows(text)
    except ValueError as exc:
        return render_bulk(str(exc), text if data is None else "", status=400)
    try:
        done = outcomes.record_many(items, current_user.username, from_text=True)
    except outcomes.OutcomeError as exc:
        refused = refusals(exc.errors, lines, items)
        why = (f"{exc} ({exc.errors['outcomes']})" if "outcomes" in exc.errors else
               f"{len(refused)} row(s) are refused")
        return render_bulk(f"Nothing was recorded: {why}.", text if data is None else "",
                           refused, exc.status)
    changed = sum(d.changed for d in done)
    flash(f"Recorded {changed} outcome(s); {len(done) - changed} already had that value.")
    return redirect(url_for("history.bulk"))


def read_rows(text: str) -> tuple[list[int], list[tuple[str, str]]]:
    """(line numbers, (prediction id, outcome) pairs) of CSV text; a header row is optional.
    ValueError names the first line that is not two cells."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines, items = [], []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if not items and not lines and [c.strip() for c in row] == HEADER:
                continue
            if len(row) != 2:
                raise ValueError(f"Line {reader.line_num} has {len(row)} cell(s); each row is "
                                 "prediction_id,outcome.")
            lines.append(reader.line_num)
            items.append((row[0], row[1]))
    except csv.Error as exc:
        raise ValueError(f"Line {reader.line_num} is not valid CSV ({exc}).") from None
    if not items:
        raise ValueError("There are no rows: give one prediction_id,outcome per line.")
    return lines, items


def refusals(errors: dict[str, str], lines: list[int], items: list[tuple[str, str]]
             ) -> list[tuple[int, int, str, str]]:
    """Each refusal as (row, line, prediction id as given, reason), rows counted from 1."""
    found = []
    for place, reason in errors.items():
        position, _, name = place.rpartition(".")
        if position.isdigit() or (not position and len(items) == 1 and name in HEADER):
            index = int(position or 0)
            found.append((index + 1, lines[index], items[index][0],
                          f"{name.replace('_', ' ')} {reason}"))
    return sorted(found)


def render_bulk(problem: str | None = None, text: str = "",
                refused: list[tuple[int, int, str, str]] | None = None, status: int = 200):
    return render_template("history/outcomes.html", problem=problem, text=text,
                           refused=refused or [], limit=outcomes.BULK_LIMIT), status
