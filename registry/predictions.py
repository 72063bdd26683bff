"""Stored predictions: writing them and reading the history back."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from blinker import Namespace

from registry.database import db, postgresql_fast_paths, sqlite_fast_paths, utcnow
from registry.models import Prediction

SUMMARY_CHARS = 300  # the columns' sizes (PostgreSQL enforces them; SQLite would not)
LABEL_CHARS = 100

# Sent once predictions are stored (committed): the sender is the use case's name, with the
# model `version`, the `source` and how many (`count`). /metrics counts them in memory from it.
stored = Namespace().signal("predictions-stored")


def record(usecase: str, version_id: int, version: int, inputs: list[dict[str, Any]],
           results: list[dict[str, Any]], *, latency_ms: float, source: str) -> list[int]:
    """Store one row per prediction in a single transaction; return their ids in order."""
    rows = []
    for values, result in zip(inputs, results):
        output = result["output"]
        value, label = reduce_output(output)
        rows.append((values, output, _text(str(result.get("summary", "")), SUMMARY_CHARS),
                     value, label, answer_probability(result)))
    # Kept to the microsecond, so every database and export writes the same figure.
    fixed = (usecase, version_id, version, utcnow(), round(latency_ms, 3), source)
    ids = _store(fixed, rows)
    stored.send(usecase, version=version, source=source, count=len(ids))
    return ids


def _store(fixed: tuple[str, int, int, Any, float, str],
           rows: list[tuple[Any, Any, str, float | None, str | None, float | None]]
           ) -> list[int]:
    engine = db.engine
    if sqlite_fast_paths(engine):
        from registry.sqlite import inserts

        return inserts.insert(engine, fixed, rows)
    if len(rows) == 1 and postgresql_fast_paths(engine):
        from registry.postgresql import inserts as postgresql_inserts

        return postgresql_inserts.insert(engine, fixed, rows[0])
    return insert(fixed, rows)


def insert(fixed: tuple[str, int, int, Any, float, str],
           rows: list[tuple[Any, Any, str, float | None, str | None, float | None]]
           ) -> list[int]:
    """The portable insert: one Core statement with RETURNING, on any database."""
    usecase, version_id, version, now, latency_ms, source = fixed
    params = [{"usecase": usecase, "model_version_id": version_id, "version": version,
               "created_at": now, "inputs": inputs, "output": output, "summary": summary,
               "latency_ms": latency_ms, "source": source, "output_value": value,
               "output_label": label, "probability": probability}
              for inputs, output, summary, value, label, probability in rows]
    # A Core insert on the table: the ORM's bulk path costs more than the write itself.
    table = Prediction.__table__
    ids = list(db.session.execute(
        table.insert().returning(table.c.id, sort_by_parameter_order=True), params).scalars())
    db.session.commit()
    return ids


def _text(text: str, limit: int) -> str:
    """Text as a column keeps it: cut to size, without NUL characters (PostgreSQL's text
    refuses them; SQLite would keep them), so both databases store the same."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text[:limit]


def reduce_output(output: Any) -> tuple[float | None, str | None]:
    """(output value, output label): one number (regression) or one label (a class, or the
    top item of a ranked list), for the history's charts."""
    if isinstance(output, bool):
        return None, str(output).lower()
    if isinstance(output, (int, float)):
        return float(output), None
    if isinstance(output, list):
        return None, _text(str(output[0]), LABEL_CHARS) if output else None
    return None, _text(str(output), LABEL_CHARS)


def answer_probability(result: dict[str, Any]) -> float | None:
    """The probability a classifier gave the answer it chose (its `probabilities` by class),
    or None when the result has none (a number, a list of movies)."""
    chances, output = result.get("probabilities"), result.get("output")
    if isinstance(chances, dict) and isinstance(output, str) and output in chances:
        return float(chances[output])
    return None


def any_stored() -> bool:
    """Whether any prediction is stored at all (one row read, whatever the history's size)."""
    return db.session.scalar(sa.select(Prediction.id).limit(1)) is not None


def count(usecase: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(Prediction)
    if usecase:
        query = query.where(Prediction.usecase == usecase)
    return db.session.scalar(query) or 0


def recent(usecase: str | None = None, limit: int = 50) -> list[Prediction]:
    """The newest predictions first."""
    query = sa.select(Prediction).order_by(Prediction.id.desc()).limit(limit)
    if usecase:
        query = query.where(Prediction.usecase == usecase)
    return list(db.session.scalars(query))
