"""Reading the prediction history: filters, pages, charts and export.

The history page and the API both call these, with the same filters, so they cannot disagree.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields as dc_fields
from datetime import date, datetime, timedelta
from typing import Any, Iterator, Mapping

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from registry.database import db, json_text, sqlite_fast_paths
from registry.models import SOURCES, Outcome, Prediction
from usecases import all_usecases
from usecases.fields import Choice

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
HISTOGRAM_BINS = 20
# The outcome filter's states; any other value is a value of a use case's (Choice) target.
OUTCOME_STATES = ("recorded", "missing")


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
    outcome: str | None = None  # "recorded", "missing", or a value of the target

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
        raw = (args.get("outcome") or "").strip()
        if raw and "usecase" not in errors:
            try:
                values["outcome"] = _outcome(raw, values.get("usecase"), usecases)
            except ValueError as exc:
                errors["outcome"] = str(exc)
        if errors:
            raise FilterError(errors)
        return cls(**values)

    @classmethod
    def window(cls, args: Mapping[str, str]) -> "HistoryFilter":
        """Only the days (`since`, `until`): the window of a live figure."""
        return cls.from_args({key: args.get(key, "") for key in ("since", "until")}, set())

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
        if self.until and self.until < date.max:  # the last day there is: no bound at all
            query = query.where(Prediction.created_at < datetime.combine(
                self.until + timedelta(days=1), datetime.min.time()))
        if self.outcome:
            # A probe of the partial unique index on current outcomes for each row walked. Its
            # own alias, for queries that also join the outcomes (the export).
            found = aliased(Outcome)
            current = sa.select(found.id).where(current_outcome(found)).correlate_except(found)
            if self.outcome == "missing":
                query = query.where(~current.exists())
            elif self.outcome == "recorded":
                query = query.where(current.exists())
            else:
                query = query.where(current.where(
                    sa.cast(found.value, sa.Text) == json_text(self.outcome)).exists())
        return query


def current_outcome(outcome: Any = Outcome) -> sa.ColumnElement[bool]:
    """Joins a prediction to its current outcome: the one no correction has replaced."""
    return sa.and_(outcome.prediction_id == Prediction.id, outcome.replaced_at.is_(None))


def outcome_values(usecase: str | None, usecases: set[str]) -> list[str]:
    """The values the outcome filter takes besides its states: those of the use case's outcome
    field (of every installed use case's when none is chosen) when it is a choice."""
    names = [usecase] if usecase else [n for n in all_usecases() if n in usecases]
    values: list[str] = []
    for name in names:
        found = all_usecases().get(name)
        target = found.outcome_field if found is not None else None
        if isinstance(target, Choice):
            values += [v for v, _ in target.choices if v not in values]
    return values


def _outcome(raw: str, usecase: str | None, usecases: set[str]) -> str:
    known = list(OUTCOME_STATES) + outcome_values(usecase, usecases)
    if raw not in known:
        raise ValueError("must be one of: " + ", ".join(known))
    return raw


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
    outcomes: dict[int, Any] = field(default_factory=dict)  # current outcome by prediction id


def page(filters: HistoryFilter, *, before: int | None = None,
         limit: int = PAGE_SIZE) -> Page:
    """Newest first, by keyset on (time, id): the cost of a page does not grow with its depth.

    Ordering by time lets each filter walk an index that ends in created_at and stop after one
    page; `before` names the last row of the previous page by its id.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    # Each row's current outcome comes along: one probe of the outcomes' index per row read.
    query = (filters.where(sa.select(Prediction, Outcome.value)
                           .select_from(with_current_outcome()))
             .order_by(Prediction.created_at.desc(), Prediction.id.desc()).limit(limit + 1))
    if before is not None:
        moment = db.session.scalar(sa.select(Prediction.created_at)
                                   .where(Prediction.id == before))
        query = query.where(Prediction.id < before if moment is None else
                            sa.tuple_(Prediction.created_at, Prediction.id) < (moment, before))
    found = db.session.execute(query).all()[:limit + 1]
    more = len(found) > limit
    found = found[:limit]
    return Page([row for row, _ in found], found[-1][0].id if more and found else None,
                {row.id: value for row, value in found if value is not None})


def get_prediction(prediction_id: int) -> Prediction | None:
    """One stored prediction, for its own page; None when there is no such id."""
    return db.session.get(Prediction, prediction_id)


def per_day(filters: HistoryFilter) -> list[tuple[str, int]]:
    """Number of predictions on each day that has any, oldest first."""
    day = sa.func.date(Prediction.created_at)
    query = filters.where(sa.select(day, sa.func.count())).group_by(day).order_by(day)
    return [(str(d), n) for d, n in db.session.execute(query)]


def label_shares(filters: HistoryFilter, top: int = 12) -> list[tuple[str, int]]:
    """How often each label (class, or top-ranked item) was predicted, most frequent first."""
    query = (filters.where(sa.select(Prediction.output_label, sa.func.count()))
             .where(Prediction.output_label.is_not(None)).group_by(Prediction.output_label)
             .order_by(sa.func.count().desc(), Prediction.output_label).limit(top))
    return [(label, n) for label, n in db.session.execute(query)]


def histogram(filters: HistoryFilter, bins: int = HISTOGRAM_BINS) -> list[tuple[float, float, int]]:
    """Counts of numeric outputs in equal-width bins: (low, high, count)."""
    value = Prediction.output_value
    low, high = db.session.execute(filters.where(
        sa.select(sa.func.min(value), sa.func.max(value))).where(value.is_not(None))).one()
    if low is None:
        return []
    width = (high - low) / bins or 1.0
    # floor(), not a cast: casting to an integer truncates on SQLite and rounds on PostgreSQL.
    index = sa.cast(sa.func.floor((value - low) / width), sa.Integer)
    binned = (filters.where(sa.select(sa.case((index >= bins - 1, bins - 1), else_=index)
                                      .label("bin"))).where(value.is_not(None)).subquery())
    query = sa.select(binned.c.bin, sa.func.count()).group_by(binned.c.bin)
    counts = dict(db.session.execute(query).all())
    return [(low + i * width, low + (i + 1) * width, counts.get(i, 0)) for i in range(bins)]


# Then "inputs" (JSON) or, for one use case, one column per input.
CSV_COLUMNS = ("id", "created_at", "usecase", "version", "source", "summary", "output",
               "latency_ms", "outcome")
# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def input_names(filters: HistoryFilter) -> list[str]:
    """The inputs the export gives a column each: the chosen use case's fields, in the form's
    order. None chosen: none, and the inputs stay one JSON column, since use cases name
    different things alike (and a union of every field would be a sparse, ambiguous sheet)."""
    found = all_usecases().get(filters.usecase) if filters.usecase else None
    return [f.name for f in found.fields] if found is not None else []


def csv_columns(names: list[str]) -> list[str]:
    """The header: the inputs last, each after the columns every export has (an input named
    like one of them prefixed with "input_"), or the inputs' JSON when none is named."""
    return list(CSV_COLUMNS) + ([f"input_{n}" if n in CSV_COLUMNS else n for n in names]
                                or ["inputs"])


def export_csv(filters: HistoryFilter, chunk_rows: int = 1000) -> Iterator[str]:
    """The filtered history as CSV text, produced in chunks so it never sits whole in memory.

    RFC 4180: text fields quoted, quotes doubled, CRLF line ends; times as the JSON API writes
    them; latency in milliseconds with three decimals. The output, each input (one column per
    field of the chosen use case, else the inputs' JSON) and the current outcome as plain
    values (see `plain`). Newest first, like the pages.
    """
    names = input_names(filters)
    yield ",".join(csv_columns(names)) + "\r\n"
    if sqlite_fast_paths():
        from registry.sqlite import export

        yield from export.csv_chunks(filters, names, chunk_rows)
        return
    query = (filters.where(sa.select(
        Prediction.id, Prediction.created_at, Prediction.usecase, Prediction.version,
        Prediction.source, Prediction.summary, sa.cast(Prediction.output, sa.Text),
        sa.cast(Prediction.inputs, sa.Text), Prediction.latency_ms,
        sa.cast(Outcome.value, sa.Text)).select_from(with_current_outcome()))
        .order_by(Prediction.created_at.desc(), Prediction.id.desc()))
    # Streamed from the server (a named cursor on PostgreSQL), a chunk at a time.
    connection = db.session.connection().execution_options(stream_results=True,
                                                           yield_per=chunk_rows)
    result = connection.execute(query)
    try:
        for rows in result.partitions():
            yield "".join([csv_line(row, names) for row in rows])
    finally:
        result.close()


def csv_line(row: Any, names: list[str]) -> str:
    """One prediction as a CSV line: text fields quoted with their quotes doubled, and a quote
    before any text a spreadsheet would take for a formula."""
    ident, created, usecase, version, source, summary, output, inputs, latency, outcome = row
    return (f"{ident},{_quote(api_time(created))},{_quote(usecase)},{version},{_quote(source)},"
            f"{_quote(_neutral(summary))},{_quote(plain_json(output))},{latency:.3f},"
            f"{_quote(plain_json(outcome))}{input_cells(inputs, names)}\r\n")


def input_cells(inputs: str, names: list[str]) -> str:
    """The line's end from the inputs' JSON text: a cell per name, or the JSON itself."""
    if not names:
        return "," + _quote(_neutral(inputs))
    given = _parsed(inputs)
    found = given.get if isinstance(given, dict) else {}.get
    cells = []
    for name in names:  # the usual values first: this runs for every input of every row
        value = found(name)
        kind = type(value)
        if kind is str and not value.startswith(FORMULA_STARTS) and '"' not in value \
                and "\x00" not in value:
            cells.append(value)
        elif value is None:
            cells.append("")
        elif kind is int:
            cells.append(str(value))
        elif kind is float:
            cells.append(json_text(value))
        elif kind is bool:
            cells.append("true" if value else "false")
        elif kind is list and value and all(type(v) is int for v in value):  # picked items
            cells.append(("'" if value[0] < 0 else "") + " ".join(map(str, value)))
        else:
            cells.append(plain(value).replace('"', '""'))
    return ',"' + '","'.join(cells) + '"'


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def api_time(moment: datetime) -> str:
    """A time as the JSON API writes a prediction's (ISO 8601 in UTC with a Z; microseconds
    when any): the API's history and this export call it, so the two read alike."""
    return moment.isoformat() + "Z"


def plain(value: Any) -> str:
    """A stored value as a spreadsheet cell: text as it is, a number as its JSON, true or
    false, nothing for none, a list of numbers (movie ids) separated by spaces, anything else
    (and text holding a NUL, which no field accepts) as its JSON. Text gets a quote before it
    where a spreadsheet would see a formula; a JSON number never is one."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _neutral(value if "\x00" not in value else json_text(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json_text(value)
    if isinstance(value, list) and value and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return _neutral(" ".join(json_text(v) for v in value))
    return _neutral(json_text(value))


def plain_json(stored: str | None) -> str:
    """`plain` of a value kept as JSON text (NULL for none)."""
    return "" if stored is None else plain(_parsed(stored))


def _parsed(stored: str) -> Any:
    try:
        return orjson.loads(stored)
    except orjson.JSONDecodeError:  # e.g. a whole number beyond 64 bits
        return json.loads(stored)


def with_current_outcome() -> sa.Join:
    """Predictions, each with its current outcome's columns (NULL when it has none)."""
    return sa.outerjoin(Prediction, Outcome, current_outcome())


def _neutral(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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
    """Predictions per day for the filtered range and, for one use case, the distribution of
    its outputs: use cases predict different things (a diagnosis, a score, movie ids), so their
    outputs are never counted or binned together."""
    if not filters.usecase:
        return Charts(per_day(filters), [], [])
    return Charts(per_day(filters), histogram(filters), label_shares(filters))
