"""True outcomes of stored predictions: recorded, corrected (the earlier value kept), and read
back as labelled rows to train on."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd
import sqlalchemy as sa

from registry.database import db, utcnow
from registry.models import Outcome, Prediction
from registry.versions import NotFound, RegistryError
from usecases import all_usecases
from usecases.fields import FieldError, validate

BULK_LIMIT = 10_000  # outcomes in one bulk request


class OutcomeError(RegistryError):
    """An outcome that cannot be recorded; `errors` maps a place ("outcome", "2.outcome") to
    the reason."""

    def __init__(self, message: str, errors: dict[str, str], status: int = 422) -> None:
        super().__init__(message)
        self.errors, self.status = errors, status


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome
    replaced: Any  # the value it replaced, or None
    changed: bool  # False: the same value was already the current one


def parse(prediction: Prediction, raw: Any, *, from_text: bool = False) -> Any:
    """The outcome's value as the use case's target parses it; FieldError when it cannot."""
    usecase = all_usecases().get(prediction.usecase)
    if usecase is None:
        raise FieldError(f"use case {prediction.usecase!r} is not installed here")
    field = usecase.outcome_field
    if field is None:
        raise FieldError(f"{prediction.usecase} takes no outcomes")
    if raw is None or (from_text and isinstance(raw, str) and not raw.strip()):
        raise FieldError("is required")
    return field.parse(raw.strip() if from_text and isinstance(raw, str) else raw,
                       from_form=from_text)


def record(prediction_id: int, raw: Any, actor: str, *, from_text: bool = False) -> Recorded:
    """Record (or correct) the outcome of one prediction."""
    return record_many([(prediction_id, raw)], actor, from_text=from_text, single=True)[0]


def record_many(items: Iterable[tuple[Any, Any]], actor: str, *, from_text: bool = False,
                single: bool = False) -> list[Recorded]:
    """Record outcomes for (prediction id, value) pairs: all of them, or none when any is
    refused (OutcomeError lists each refusal by its position; `single`: one outcome whose
    refusals are named without a position, an unknown prediction being 404)."""
    items = list(items)
    if len(items) > BULK_LIMIT:
        raise OutcomeError(f"at most {BULK_LIMIT:,} outcomes at once",
                           {"outcomes": f"has {len(items):,} items; the limit is "
                                        f"{BULK_LIMIT:,}"}, status=413)
    single = single and len(items) == 1
    ids = []
    errors: dict[str, str] = {}
    for position, (prediction_id, _) in enumerate(items):
        place = "prediction_id" if single else f"{position}.prediction_id"
        number = _id(prediction_id)
        if number is None:
            errors[place] = "must be a whole number, the id of a stored prediction"
        ids.append(number)
    found = {p.id: p for p in db.session.scalars(
        sa.select(Prediction).where(Prediction.id.in_([i for i in ids if i is not None])))}
    values = []
    for position, ((_, raw), number) in enumerate(zip(items, ids)):
        prefix = "" if single else f"{position}."
        prediction = found.get(number) if number is not None else None
        if number is not None and prediction is None:
            errors[prefix + "prediction_id"] = f"there is no stored prediction {number}"
        if prediction is None:
            values.append(None)
            continue
        try:
            values.append(parse(prediction, raw, from_text=from_text))
        except FieldError as exc:
            errors[prefix + "outcome"] = str(exc)
            values.append(None)
    if errors:
        missing = single and set(errors) == {"prediction_id"} and ids[0] is not None
        raise OutcomeError("no outcome was recorded", errors, status=404 if missing else 422)
    now = utcnow()
    current = {o.prediction_id: o for o in db.session.scalars(sa.select(Outcome).where(
        Outcome.prediction_id.in_(ids), Outcome.replaced_at.is_(None)))}
    done = []
    for number, value in zip(ids, values):
        before = current.get(number)
        if before is not None and before.value == value:
            done.append(Recorded(before, None, False))
            continue
        if before is not None:
            before.replaced_at = now
            db.session.flush()  # the partial unique index allows one current row per prediction
        row = Outcome(prediction_id=number, usecase=found[number].usecase, value=value,
                      recorded_by=actor, recorded_at=now)
        db.session.add(row)
        current[number] = row
        done.append(Recorded(row, before.value if before is not None else None, True))
    db.session.commit()
    return done


def history(prediction_id: int) -> list[Outcome]:
    """Every value recorded for a prediction, the current one last."""
    if db.session.get(Prediction, prediction_id) is None:
        raise NotFound(f"there is no stored prediction {prediction_id}")
    return list(db.session.scalars(sa.select(Outcome).where(
        Outcome.prediction_id == prediction_id).order_by(Outcome.recorded_at, Outcome.id)))


def current_values(prediction_ids: Iterable[int]) -> dict[int, Any]:
    ids = list(prediction_ids)
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Outcome.prediction_id, Outcome.value).where(
        Outcome.prediction_id.in_(ids), Outcome.replaced_at.is_(None))).all())


def count(usecase: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Outcome).where(
        Outcome.usecase == usecase, Outcome.replaced_at.is_(None))) or 0


def labelled(usecase_name: str) -> tuple[pd.DataFrame, pd.Series]:
    """Current outcomes of a use case as training rows (by default the stored inputs plus the
    outcome; see UseCase.outcome_rows), and each row's prediction id. Inputs that no longer
    pass the use case's fields (a field changed since) are left out."""
    usecase = all_usecases()[usecase_name]
    pairs = db.session.execute(
        sa.select(Prediction.id, Prediction.inputs, Outcome.value)
        .join(Outcome, Outcome.prediction_id == Prediction.id)
        .where(Outcome.usecase == usecase_name, Outcome.replaced_at.is_(None))
        .order_by(Prediction.id)).all()
    rows, targets, ids = [], [], []
    for prediction_id, inputs, value in pairs:
        checked = validate(usecase.fields, inputs)
        if checked.ok:
            made, their_targets = usecase.outcome_rows(prediction_id, checked.values, value)
            rows += made
            targets += their_targets
            ids += [prediction_id] * len(made)
    frame = usecase.labelled_frame(rows, targets) if rows else pd.DataFrame()
    return frame, pd.Series(ids, dtype="int64")


def held_out(prediction_ids: pd.Series, share: float) -> pd.Series:
    """A stable choice of rows to hold out: the same prediction is held out in every
    retraining, so versions trained on outcomes are measured on the same ones."""
    def bucket(prediction_id: int) -> float:
        digest = hashlib.sha256(f"outcome:{prediction_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2 ** 64
    return prediction_ids.map(bucket) < share


def _id(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int) and 0 < raw < 2 ** 63:
        return raw
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{1,18}", raw.strip()) and int(raw):
        return int(raw.strip())
    if isinstance(raw, float) and raw.is_integer() and 0 < raw < 2 ** 53:
        return int(raw)
    return None
