"""Uploaded labelled rows: read a CSV or JSON-lines file, check every row, report, store.

Every row goes through the use case's declared fields, as a prediction's inputs do, and its
target through the target's own check. The report says what was accepted, what was refused
(line, column and reason), what repeats, and how the new rows differ from the current data;
nothing is stored until `store` is called with it.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Collection

import numpy as np
import orjson
import pandas as pd

from registry.datasets import register, rows
from registry.datasets.combine import split_new
from registry.models import DatasetVersion
from usecases.base import UseCase
from usecases.csvrows import records
from usecases.fields import Boolean, FieldError, validate, yes_no_cell

MAX_ROWS = 200_000
LISTED = 100  # refusals listed in a report (all are counted)
DELIMITERS = (",", ";", "\t")
CSV, JSONL = "csv", "jsonl"
TOP_VALUES = 12  # categories shown per column in the differences


class UploadError(Exception):
    """A file that cannot be read as rows at all; nothing of it is kept."""

    def __init__(self, message: str, status: int = 400, column: str | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.column = message, status, column


@dataclass
class Report:
    """What an upload holds, row by row; `frame` is the accepted rows in the trainer's columns."""

    format: str
    columns: list[str]
    rows: int = 0
    accepted: int = 0
    refused_rows: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)
    refusals_total: int = 0
    duplicates_in_file: int = 0
    duplicates_of_current: int = 0
    delimiter: str | None = None
    differences: dict[str, Any] = field(default_factory=dict)
    frame: pd.DataFrame | None = None

    def refuse(self, line: int, column: str | None, reason: str) -> None:
        self.refusals_total += 1
        if len(self.refusals) < LISTED:
            self.refusals.append({"line": line, "column": column, "reason": reason})

    @property
    def new_rows(self) -> int:
        return self.accepted - self.duplicates_in_file

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "delimiter": self.delimiter, "columns": self.columns,
                "rows": self.rows, "accepted": self.accepted, "refused": self.refused_rows,
                "refusals": self.refusals, "refusals_total": self.refusals_total,
                "refusals_listed": len(self.refusals),
                "duplicates_in_file": self.duplicates_in_file,
                "duplicates_of_current": self.duplicates_of_current,
                "differences": self.differences}


def read(usecase: UseCase, data: bytes, *, kind: str = CSV,
         current: DatasetVersion | None = None, ignore: Collection[str] = ()) -> Report:
    """Check an upload; UploadError when it is not a file of rows for this use case.

    `ignore` names CSV columns to pass over (a table's columns its use case does not use)."""
    if usecase.target is None:
        raise UploadError(f"{usecase.name} takes no uploaded data", status=409)
    if not data.strip():
        raise UploadError("the file is empty")
    if b"\x00" in data[:65536]:
        raise UploadError("the file holds binary data, not text: send a CSV or JSON-lines file",
                          status=415)
    text = _decoded(data)
    report = (_read_jsonl(usecase, text) if kind == JSONL
              else _read_csv(usecase, text, frozenset(ignore)))
    _finish(usecase, report, current)
    return report


def store(usecase: UseCase, report: Report, actor: str, filename: str = "") -> DatasetVersion:
    """Keep an upload's accepted rows (repeats within the file once) as a new dataset version."""
    if report.frame is None or report.frame.empty:
        raise UploadError("no row was accepted: nothing to store", status=422)
    unique = report.frame.drop_duplicates().reset_index(drop=True)
    summary = {key: value for key, value in report.to_dict().items()
               if key not in ("refusals", "differences")}
    return register(usecase.name, split_new(unique), sources=["upload"], created_by=actor,
                    details={"filename": filename[:200], "report": summary})


def columns_of(usecase: UseCase) -> tuple[list[str], list[str]]:
    """The columns an upload may have, and those it must have."""
    target, fields = usecase.target, usecase.data_fields
    known = [f.name for f in fields] + [target.name]
    needed = [f.name for f in fields if f.required and f.default is None]
    return known, needed + [target.name]


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UploadError(f"the file is not UTF-8 text (line {line}, byte {exc.start + 1}): "
                          "save it as UTF-8 and send it again") from None


def _header(usecase: UseCase, names: list[str], ignore: frozenset[str]) -> list[str | None]:
    """The header's field names (None for an ignored column), checked."""
    aliases = usecase.column_aliases
    given = [None if name.strip() in ignore else aliases.get(name.strip(), name.strip())
             for name in names]
    names = [name for name in given if name is not None]
    known, needed = columns_of(usecase)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise UploadError(f"column {name!r} appears twice in the header", column=name)
        seen.add(name)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UploadError(f"unknown column(s): {', '.join(map(repr, unknown[:20]))}; the "
                          f"columns are: {', '.join(known)}", column=unknown[0])
    missing = [n for n in needed if n not in seen]
    if missing:
        raise UploadError(f"missing column(s): {', '.join(missing)} (required: "
                          f"{', '.join(needed)})", column=missing[0])
    return given


def _read_csv(usecase: UseCase, text: str, ignore: frozenset[str] = frozenset()) -> Report:
    first = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = _header(usecase, next(reader), ignore)
    except StopIteration:
        raise UploadError("the file is empty") from None
    except csv.Error as exc:
        raise UploadError(f"line 1 is not valid CSV: {exc}") from None
    report = Report(CSV, [name for name in header if name is not None], delimiter=delimiter)
    accepted: list[tuple[dict[str, Any], Any]] = []
    for start, record in records(reader, UploadError):
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise UploadError(f"more than {MAX_ROWS:,} rows: split the file", status=413)
        if len(record) != len(header):
            report.refused_rows += 1
            report.refuse(start, None, f"has {len(record)} values; the header has "
                                       f"{len(header)} columns")
            continue
        _check_row(usecase, report, start,
                   {name: value for name, value in zip(header, record) if name is not None},
                   True, accepted)
    report.frame = _frame(usecase, accepted)
    return report


def _read_jsonl(usecase: UseCase, text: str) -> Report:
    known, needed = columns_of(usecase)
    report = Report(JSONL, known)
    accepted: list[tuple[dict[str, Any], Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise UploadError(f"more than {MAX_ROWS:,} rows: split the file", status=413)
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            report.refused_rows += 1
            report.refuse(number, None, f"is not JSON: {exc}")
            continue
        if not isinstance(value, dict):
            report.refused_rows += 1
            report.refuse(number, None, "must be a JSON object with one key per column")
            continue
        _check_row(usecase, report, number, value, False, accepted)
    report.frame = _frame(usecase, accepted)
    return report


def _check_row(usecase: UseCase, report: Report, line: int, values: dict[str, Any],
               from_text: bool, accepted: list[tuple[dict[str, Any], Any]]) -> None:
    target = usecase.target
    if from_text:  # a spreadsheet's TRUE, Yes or 1 in a yes/no column
        for field in usecase.data_fields:
            if isinstance(field, Boolean) and isinstance(values.get(field.name), str):
                values[field.name] = yes_no_cell(values[field.name])
    raw_target = values.pop(target.name, None)
    checked = validate(usecase.data_fields, values, from_form=from_text)
    errors = dict(checked.errors)
    value = None
    if raw_target is None or (from_text and not str(raw_target).strip()):
        errors[target.name] = "is required (the true value to learn from)"
    else:
        try:
            value = target.parse(raw_target.strip() if from_text else raw_target,
                                 from_form=from_text)
        except FieldError as exc:
            errors[target.name] = str(exc)
    if not errors:
        errors = usecase.check_labelled(checked.values, value)
    if errors:
        report.refused_rows += 1
        for column, reason in errors.items():
            report.refuse(line, column, reason)
        return
    report.accepted += 1
    accepted.append((checked.values, value))


def _frame(usecase: UseCase, accepted: list[tuple[dict[str, Any], Any]]) -> pd.DataFrame | None:
    if not accepted:
        return None
    return usecase.labelled_frame([row for row, _ in accepted], [value for _, value in accepted])


def _finish(usecase: UseCase, report: Report, current: DatasetVersion | None) -> None:
    frame = report.frame
    if frame is None:
        return
    report.duplicates_in_file = int(frame.duplicated().sum())
    if current is None:
        return
    parts = rows(current)
    every = pd.concat([part for part in parts.values() if len(part)], ignore_index=True)
    mine = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    theirs = pd.util.hash_pandas_object(every.reindex(columns=frame.columns),
                                        index=False).to_numpy()
    report.duplicates_of_current = int(np.isin(mine, theirs).sum())
    report.differences = {"current": {"version": current.version,
                                      "sources": current.sources, "rows": len(every)},
                          "columns": {name: _difference(frame[name], every[name])
                                      for name in frame.columns if name in every.columns}}


def _difference(new: pd.Series, old: pd.Series) -> dict[str, Any]:
    if pd.api.types.is_numeric_dtype(new) and pd.api.types.is_numeric_dtype(old):
        return {"kind": "number", "new": _range(new), "current": _range(old)}
    top = old.astype(str).where(old.notna(), "(blank)").value_counts().head(TOP_VALUES)
    fresh = new.astype(str).where(new.notna(), "(blank)").value_counts()
    names = list(dict.fromkeys(list(fresh.index[:TOP_VALUES]) + list(top.index)))[:TOP_VALUES]
    if new.astype(str).str.len().mean() > 40:  # free text: lengths say more than values
        return {"kind": "text", "new": _range(new.astype(str).str.len()),
                "current": _range(old.astype(str).str.len())}
    return {"kind": "category",
            "counts": [{"value": name, "new": int(fresh.get(name, 0)),
                        "current": int(top.get(name, 0) if name in top.index else
                                       (old.astype(str) == name).sum())} for name in names],
            "unseen": sorted(set(fresh.index) - set(old.astype(str).where(
                old.notna(), "(blank)").unique()))[:TOP_VALUES]}


def _range(values: pd.Series) -> dict[str, Any]:
    known = values.dropna()
    if known.empty:
        return {"count": 0, "blank": int(values.isna().sum())}
    return {"count": int(len(known)), "blank": int(values.isna().sum()),
            "min": float(known.min()), "max": float(known.max()),
            "mean": round(float(known.mean()), 4)}


def current_data(usecase: UseCase, actor: str) -> DatasetVersion:
    """The data an upload is compared with: what production was trained on, else the built-in
    data."""
    from registry import versions
    from registry.datasets import built_in

    production = versions.production_version(usecase.name)
    if production is not None and production.dataset is not None:
        return production.dataset
    return built_in(usecase, actor)

