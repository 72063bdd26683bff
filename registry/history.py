"""Reading the prediction history: filters, pages, charts and export.

The history page and the API both call these, with the same filters, so they cannot disagree.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields as dc_fields
from datetime import date, datetime, timedelta
from typing import Any, Iterator, Mapping

import sqlalchemy as sa

from registry.database import db
from registry.models import SOURCES, Prediction

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
HISTOGRAM_BINS = 20


class FilterError(ValueError):
    """Filters that cannot be read; `errors` maps each parameter to what is wrong."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid filters")
        self.errors = errors


@dataclass(frozen=True)
class HistoryFilter:
    """Which predictions to show. Dates are whole UTC days, `until` included."""

    usecase: str | None = None
    version: int | None = None
    source: str | None = None
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str], usecases: set[str]) -> "HistoryFilter":
        """Read filters from query parameters; blank ones mean "any"."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name in ("usecase", "version", "source", "since", "until"):
            raw = (args.get(name) or "").strip()
            if not raw:
                continue
            try:
                values[name] = _parse(name, raw, usecases)
            except ValueError as exc:
                errors[name] = str(exc)
        if not errors and values.get("since") and values.get("until") \
                and values["since"] > values["until"]:
            errors["until"] = "must not be before since"
        if errors:
            raise FilterError(errors)
        return cls(**values)

    def to_args(self) -> dict[str, str]:
        """The filters as query parameters (for links to the next page, the CSV, the chart)."""
        return {f.name: str(getattr(self, f.name)) for f in dc_fields(self)
                if getattr(self, f.name) is not None}

    def where(self, query: sa.Select) -> sa.Select:
        if self.usecase:
            query = query.where(Prediction.usecase == self.usecase)
        if self.version is not None:
            query = query.where(Prediction.version == self.version)
        if self.source:
            query = query.where(Prediction.source == self.source)
        if self.since:
            query = query.where(Prediction.created_at >= datetime.combine(self.since,
                                                                          datetime.min.time()))
        if self.until:
            query = query.where(Prediction.created_at < datetime.combine(
                self.until + timedelta(days=1), datetime.min.time()))
        return query


def _parse(name: str, raw: str, usecases: set[str]) -> Any:
    if name == "usecase":
        if raw not in usecases:
            raise ValueError("is not a known use case")
        return raw
    if name == "version":
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
            raise ValueError("must be a whole number")
        return int(raw)
    if name == "source":
        if raw not in SOURCES:
            raise ValueError("must be one of: " + ", ".join(SOURCES))
        return raw
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError("must be a date like 2026-01-31") from None


@dataclass
class Page:
    rows: list[Prediction]
    next_cursor: int | None  # pass as `before` to get the next (older) page


def page(filters: HistoryFilter, *, before: int | None = None,
         limit: int = PAGE_SIZE) -> Page:
    """Newest first, by keyset on (time, id): the cost of a page does not grow with its depth.

    Ordering by time lets each filter walk an index that ends in created_at and stop after one
    page; `before` names the last row of the previous page by its id.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = (filters.where(sa.select(Prediction))
             .order_by(Prediction.created_at.desc(), Prediction.id.desc()).limit(limit + 1))
    if before is not None:
        moment = db.session.scalar(sa.select(Prediction.created_at)
                                   .where(Prediction.id == before))
        query = query.where(Prediction.id < before if moment is None else
                            sa.tuple_(Prediction.created_at, Prediction.id) < (moment, before))
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def per_day(filters: HistoryFilter) -> list[tuple[str, int]]:
    """Number of predictions on each day that has any, oldest first."""
    day = sa.func.date(Prediction.created_at)
    query = filters.where(sa.select(day, sa.func.count())).group_by(day).order_by(day)
    return [(str(d), n) for d, n in db.session.execute(query)]


def label_shares(filters: HistoryFilter, top: int = 12) -> list[tuple[str, int]]:
    """How often each label (class, or top-ranked item) was predicted, most frequent first."""
    query = (filters.where(sa.select(Prediction.output_label, sa.func.count()))
             .where(Prediction.output_label.is_not(None)).group_by(Prediction.output_label)
             .order_by(sa.func.count().desc()).limit(top))
    return [(label, n) for label, n in db.session.execute(query)]


def histogram(filters: HistoryFilter, bins: int = HISTOGRAM_BINS) -> list[tuple[float, float, int]]:
    """Counts of numeric outputs in equal-width bins: (low, high, count)."""
    value = Prediction.output_value
    low, high = db.session.execute(filters.where(
        sa.select(sa.func.min(value), sa.func.max(value))).where(value.is_not(None))).one()
    if low is None:
        return []
    width = (high - low) / bins or 1.0
    index = sa.func.min(sa.cast((value - low) / width, sa.Integer), bins - 1)
    query = (filters.where(sa.select(index, sa.func.count())).where(value.is_not(None))
             .group_by(index).order_by(index))
    counts = dict(db.session.execute(query).all())
    return [(low + i * width, low + (i + 1) * width, counts.get(i, 0)) for i in range(bins)]


CSV_COLUMNS = ("id", "created_at", "usecase", "version", "source", "summary", "output",
               "inputs", "latency_ms")

# Bytes that valid UTF-8 never holds. SQLite writes each structural quote as _QUOTE, so that
# Python can double the data's own quotes in one pass over a whole chunk, then put the real
# quotes in; a summary holding a NUL comes as hex between two _HEX marks (see _nul_safe).
_QUOTE, _HEX = b"\xff", b"\xfe"


def export_csv(filters: HistoryFilter, chunk_rows: int = 1000) -> Iterator[str]:
    """The filtered history as CSV text, produced in chunks so it never sits whole in memory.

    RFC 4180: text fields quoted, quotes doubled, formula-like cells neutralised, CRLF line
    ends. SQLite writes each line with one printf rather than a chain of || and replace()
    (each of which copies the text so far), and Python doubles the quotes of a whole chunk
    at once: together about 40% less time per row.
    """
    query = (filters.where(sa.select(_line()))
             .order_by(Prediction.created_at.desc(), Prediction.id.desc()))
    yield ",".join(CSV_COLUMNS) + "\r\n"
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
              # round() gives a REAL, which %!.15g writes as CAST(... AS TEXT) does.
              (b"%!.15g", [sa.func.round(Prediction.latency_ms, 3)])]
    form = b",".join(spec for spec, _ in fields)
    values = [value for _, parts in fields for value in parts]
    return sa.cast(sa.func.printf(sa.literal(form), *values), sa.LargeBinary)


def _quoted(*parts: Any) -> tuple[bytes, list[Any]]:
    """A CSV text field of the parts' texts one after another: its printf spec and values."""
    return _QUOTE + b"%s" * len(parts) + _QUOTE, list(parts)


def _nul_safe(column: Any) -> Any:
    """The column, or its hex between _HEX marks where it holds a NUL, at which SQLite's
    printf would end it. Only the summary is free text: JSON never holds a bare NUL."""
    as_hex = sa.literal(_HEX).concat(sa.func.hex(column)).concat(sa.literal(_HEX))
    return sa.case((sa.func.instr(column, sa.func.char(0)) > 0, as_hex), else_=column)


# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutral(column: Any) -> Any:
    """A quote to put before the column's text where a spreadsheet would see a formula."""
    return sa.case({ord(c): "'" for c in FORMULA_STARTS}, value=sa.func.unicode(column),
                   else_="")


@dataclass
class Charts:
    """What the history's charts show for one set of filters."""

    per_day: list[tuple[str, int]]
    histogram: list[tuple[float, float, int]]  # numeric outputs; empty when there are none
    label_shares: list[tuple[str, int]]  # labels and top items; empty when there are none

    @property
    def empty(self) -> bool:
        return not self.per_day


def charts(filters: HistoryFilter) -> Charts:
    """Predictions per day and the distribution of their outputs, for the filtered range."""
    return Charts(per_day(filters), histogram(filters), label_shares(filters))
