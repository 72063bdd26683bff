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


def export_csv(filters: HistoryFilter, chunk_rows: int = 5000) -> Iterator[str]:
    """The filtered history as CSV text, produced in chunks so it never sits whole in memory.

    Each line is built by the database (text fields quoted, quotes doubled, formula-like cells
    neutralised; RFC 4180), so Python only joins lines: the csv module and per-row objects cost
    several times what SQLite does, and an export of a million rows should take seconds.
    """
    fields = [sa.cast(Prediction.id, sa.Text),
              _quoted(sa.func.replace(sa.cast(Prediction.created_at, sa.Text), " ", "T")),
              _quoted(Prediction.usecase), sa.cast(Prediction.version, sa.Text),
              _quoted(Prediction.source), _quoted(_neutral(Prediction.summary)),
              _quoted(_neutral(sa.cast(Prediction.output, sa.Text))),
              _quoted(_neutral(sa.cast(Prediction.inputs, sa.Text))),
              sa.cast(sa.func.round(Prediction.latency_ms, 3), sa.Text)]
    line = fields[0]
    for field in fields[1:]:
        line = line.concat(",").concat(field)
    query = (filters.where(sa.select(line))
             .order_by(Prediction.created_at.desc(), Prediction.id.desc()))
    yield ",".join(CSV_COLUMNS) + "\r\n"
    # The single text column needs no result processing, so the lines are read from the
    # driver's cursor as they come: SQLAlchemy's row objects tripled the cost per row.
    result = db.session.connection().execute(query)
    cursor = result.cursor
    try:
        while rows := cursor.fetchmany(chunk_rows):
            yield "\r\n".join([row[0] for row in rows]) + "\r\n"
    finally:
        result.close()


def _quoted(column: Any) -> Any:
    """A CSV text field: in double quotes, with quotes inside doubled."""
    return sa.literal('"').concat(sa.func.replace(column, '"', '""')).concat('"')


# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutral(column: Any) -> Any:
    """The column's text, with a leading quote where a spreadsheet would see a formula."""
    return sa.case((sa.func.substr(column, 1, 1).in_(FORMULA_STARTS),
                    sa.literal("'").concat(column)), else_=column)


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
