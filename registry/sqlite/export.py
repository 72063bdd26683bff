"""SQLite only: the history's CSV lines written by SQLite's printf.

The same lines as `registry.history.csv_line` writes from portable rows, about 40% sooner per
row: SQLite writes each line with one printf rather than Python formatting row objects (or a
chain of || and replace(), each of which copies the text so far), and Python doubles the quotes
of a whole chunk at once.
"""
from __future__ import annotations

from typing import Any, Iterator

import sqlalchemy as sa

from registry.database import db
from registry.history import FORMULA_STARTS, HistoryFilter, with_current_outcome
from registry.models import Outcome, Prediction

# Bytes that valid UTF-8 never holds. SQLite writes each structural quote as _QUOTE, so that
# Python can double the data's own quotes in one pass over a whole chunk, then put the real
# quotes in; a summary holding a NUL comes as hex between two _HEX marks (see _nul_safe).
_QUOTE, _HEX = b"\xff", b"\xfe"


def csv_chunks(filters: HistoryFilter, chunk_rows: int) -> Iterator[str]:
    """The filtered history's CSV lines (no header), newest first, a chunk of lines at a time."""
    query = (filters.where(sa.select(_line()).select_from(with_current_outcome()))
             .order_by(Prediction.created_at.desc(), Prediction.id.desc()))
    # The lines are read from the driver's cursor as they come: SQLAlchemy's row objects
    # tripled the cost per row.
    result = db.session.connection().execute(query)
    cursor = result.cursor
    try:
        while rows := cursor.fetchmany(chunk_rows):
            lines = [row[0] for row in rows]
            lines.append(b"")  # the last line's CRLF, without copying the chunk once more
            yield _text(b"\r\n".join(lines))
    finally:
        result.close()


def _text(lines: bytes) -> str:
    """The lines from SQLite, with the data's quotes doubled and the real quotes put in."""
    if _HEX in lines:
        parts = lines.split(_HEX)  # the odd ones are hex
        lines = b"".join(bytes.fromhex(p.decode()) if i % 2 else p for i, p in enumerate(parts))
    return lines.replace(b'"', b'""').replace(_QUOTE, b'"').decode()


def _line() -> Any:
    """One row as a CSV line, in bytes (see _QUOTE), written by SQLite's printf."""
    fields = [(b"%d", [Prediction.id]),
              _quoted(sa.func.replace(Prediction.created_at, " ", "T")),
              _quoted(Prediction.usecase), (b"%d", [Prediction.version]),
              _quoted(Prediction.source),
              _quoted(_neutral(Prediction.summary), _nul_safe(Prediction.summary)),
              _quoted(_neutral(Prediction.output), Prediction.output),
              _quoted(_neutral(Prediction.inputs), Prediction.inputs),
              (b"%.3f", [Prediction.latency_ms]),
              _quoted(_neutral(_outcome_text()), _outcome_text())]
    form = b",".join(spec for spec, _ in fields)
    values = [value for _, parts in fields for value in parts]
    return sa.cast(sa.func.printf(sa.literal(form), *values), sa.LargeBinary)


def _outcome_text() -> Any:
    """The current outcome as registry.history.outcome_text writes it: a label without its JSON
    quotes, a number as its JSON text, '' for none."""
    value = Outcome.value
    return sa.func.coalesce(sa.case((sa.func.json_type(value) == "text",
                                     sa.func.json_extract(value, "$")), else_=value), "")


def _quoted(*parts: Any) -> tuple[bytes, list[Any]]:
    """A CSV text field of the parts' texts one after another: its printf spec and values."""
    return _QUOTE + b"%s" * len(parts) + _QUOTE, list(parts)


def _nul_safe(column: Any) -> Any:
    """The column, or its hex between _HEX marks where it holds a NUL, at which SQLite's
    printf would end it (rows stored before summaries were kept free of NULs)."""
    as_hex = sa.literal(_HEX).concat(sa.func.hex(column)).concat(sa.literal(_HEX))
    return sa.case((sa.func.instr(column, sa.func.char(0)) > 0, as_hex), else_=column)


def _neutral(column: Any) -> Any:
    """A quote to put before the column's text where a spreadsheet would see a formula."""
    return sa.case({ord(c): "'" for c in FORMULA_STARTS}, value=sa.func.unicode(column),
                   else_="")
