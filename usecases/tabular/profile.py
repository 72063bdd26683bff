"""A proposal for modelling a table: the task, the target's field and one field per usable column.

`propose` reads a frame of strings (as `table.read_table` gives) and never guesses silently:
every column it leaves out is listed with its reason, and everything an admin should check is a
warning naming the column (and an example value where one helps). Errors say the table cannot
become a use case as proposed. Nothing here needs Flask or the database.

Choices made where a rule could go either way:
- Cells are looked at as written, stripped of surrounding spaces only to read numbers (as the
  fields' own checks do); a choice's values are kept exactly as written, the target's stripped.
- Numbers stay numbers even with few distinct values (e.g. a count 0 to 3); only 0/1 is yes/no.
- A column of whole numbers, every one different, is an identifier only when its header says so
  (id, index, key, row...) or the numbers run without gaps (row numbers); other columns whose
  values are all different are identifiers unless they are free text.
- Numbers written with thousands separators or decimal commas, and columns of numbers mixed with
  words, are left out with a warning rather than parsed: "1,234" may be 1234 or 1.234.
- `include` keeps a leaking column, or a whole-number column taken for an identifier (as a
  number); it cannot bring back a column that has no field to be (dates, names, constants).
- Yes/no needs exactly two values of one pair (true/false, yes/no, y/n, t/f, 0/1, any case). A
  choice has at most MAX_CHOICES values and at most one per two rows, ordered by frequency.
  Free text averages TEXT_WORDS words or TEXT_LENGTH characters and is not such a choice; its
  maximum length is the field's default or the longest value seen, whichever is longer.
- A leak is a column whose own cross-validated score reaches LEAK_SCORE with a tree of depth
  LEAK_DEPTH (LEAK_FOLDS folds, at most LEAK_ROWS rows); free text is not checked. It runs only
  when the target raised no error.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from usecases.fields import DEFAULT_MAX_TEXT, Boolean, Choice, Field, Number, Text
from usecases.tabular.table import MIN_ROWS, NUMBER, TableError

TASKS = ("regression", "classification")
MAX_CLASSES = 50         # more classes than this: regression, or not a target at all
REGRESSION_VALUES = 10   # a numeric target with more distinct values than this is regressed
MIN_CLASS_ROWS = 5       # fewer rows in a class cannot be cross-validated: an error
FEW_CLASS_ROWS = 20      # fewer than this: a warning
MAX_CHOICES = 50         # distinct values of a choice (and at most half the rows)
TEXT_WORDS, TEXT_LENGTH = 4, 30  # mean words or characters that make a column free text
DATE_SHARE = 0.9         # share of values that look like dates or times for a date column
MIXED_SHARE = 0.5        # share of numbers above which a column is "numbers with some words"
LEAK_SCORE = 0.98        # one column's own cross-validated R^2 or balanced accuracy
LEAK_ROWS, LEAK_FOLDS, LEAK_DEPTH = 3000, 3, 6
SCREEN_SCORE = 0.9       # a column scoring less in-sample cannot be a leak: its tree is skipped
MAX_SLUG = 60
MAX_LISTED = 5           # values or classes named in one message

BOOLEANS = ({"true", "false"}, {"yes", "no"}, {"y", "n"}, {"t", "f"}, {"0", "1"})
TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1"})
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
DATES = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?"
    r"|\d{1,2} [A-Za-z]{3,9},? \d{4}|[A-Za-z]{3,9} \d{1,2},? \d{4}"
    r"|\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[AaPp][Mm])?)$")
ID_HEADER = re.compile(r"(^|_)(id|ids|idx|index|key|uuid|guid|row|rownames|rowid|unnamed)($|_)")


@dataclass
class Issue:
    """Something about one column (or the whole table when `column` is None) to tell an admin."""

    column: str | None
    code: str
    message: str


@dataclass
class Proposal:
    """How a table could be modelled. `task` is "" and `target` {} when the target is unusable.

    Each input and the target is a field's `describe()` dict plus "column", the header as in the
    file; a yes/no input also has "written", each value as written in the file -> True/False
    (e.g. {"FALSE": False, "TRUE": True}), for whoever reads the file's rows into the field.
    `excluded` holds {"column", "code", "reason"} for every other column."""

    task: str
    target: dict[str, Any]
    inputs: list[dict[str, Any]] = field(default_factory=list)
    excluded: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    rows: int = 0
    classes: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        """All of the proposal as plain JSON values (issues as {"column", "code", "message"})."""
        return asdict(self)


@dataclass
class _Reading:
    """What one column is: a field to build (class and settings), or why it is left out."""

    kind: type[Field] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    code: str = ""
    reason: str = ""
    warn: bool = True  # tell the admin in a warning too
    numbers: dict[str, float] = field(default_factory=dict)  # each value as written -> number
    fix: str = ""  # what to change in the file to use the column
    extra: dict[str, Any] = field(default_factory=dict)  # keys beside the field's own


def slug(header: str) -> str:
    """A field name from a header: lower-case ASCII words joined by "_", starting with a letter
    ("race/ethnicity" -> "race_ethnicity", "userId" -> "user_id", "2nd try" -> "column_2nd_try")."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(header))
    text = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if not text:
        return "column"
    if not text[0].isalpha():
        text = "column_" + text
    return text[:MAX_SLUG].rstrip("_")


def label(header: str) -> str:
    """A header as a person reads it: "reading score" -> "Reading score"."""
    text = re.sub(r"[_\s]+", " ", str(header)).strip()
    return text[:1].upper() + text[1:] if text else "Column"


def propose(frame: pd.DataFrame, target: str, *, task: str | None = None,
            exclude: Iterable[str] = (), include: Iterable[str] = ()) -> Proposal:
    """Propose the task, the target's field and the inputs' fields for `frame` (cells as strings).

    Rows without a target value are left out (a warning counts them) and the other columns are
    read on the rest only. A given `task` wins unless the target cannot be read that way;
    otherwise a numeric target with more than REGRESSION_VALUES distinct values is regressed and
    any other is classified. `exclude` leaves columns out (it wins over `include`); names in
    either that are not input columns are warned about. Returns early, with an error and no
    inputs, when the frame repeats a column name, lacks the target, or no row has a target."""
    if not isinstance(frame, pd.DataFrame):
        raise TableError("a table (a pandas DataFrame of the file's cells) is needed")
    headers = [str(c).strip() for c in frame.columns]
    target = str(target).strip()
    proposal = Proposal(task="", target={})
    exclude, include = {str(c).strip() for c in exclude}, {str(c).strip() for c in include}
    repeated = sorted(h for h, n in Counter(headers).items() if n > 1)
    if repeated:
        proposal.errors.append(Issue(repeated[0], "duplicate-column", "the table names "
                                     f"{_listed(repeated)} more than once"))
        return proposal
    if target not in headers:
        proposal.errors.append(Issue(None, "target-not-found", f"there is no column {target!r}; "
                                     f"the columns are: {_listed(headers, 50)}"))
        return proposal
    if task is not None and task not in TASKS:
        proposal.errors.append(Issue(target, "task", f"the task must be regression or "
                                     f"classification, not {task!r}"))
        return proposal
    inputs = set(headers) - {target}
    for name in sorted((exclude | include) - inputs):
        proposal.warnings.append(Issue(name, "unknown-column", f"{name!r} is not one of the "
                                       "input columns: it was passed over"))
    cells = frame.iloc[:, headers.index(target)].map(_cell)
    keep = cells.notna().to_numpy()
    rows = frame.iloc[keep]
    proposal.rows = int(keep.sum())
    if 0 < proposal.rows < len(frame):
        proposal.warnings.append(Issue(target, "target-missing", f"{len(frame) - proposal.rows:,} "
                                       f"rows have no value of {target!r}: they are left out"))
    y = _target(proposal, target, cells[keep].map(lambda v: v.strip()), task)
    if not proposal.rows:
        return proposal  # no row to read the other columns on
    taken = {proposal.target["name"]} if proposal.target else set()
    readings: dict[str, _Reading] = {}
    for position, header in enumerate(headers):
        if header == target:
            continue
        if header in exclude:
            readings[header] = _Reading(code="excluded", reason="left out as asked", warn=False)
            continue
        counts, missing = _counts(rows.iloc[:, position])
        readings[header] = reading = _read(header, counts, missing)
        if reading.code == "identifier" and header in include and \
                reading.settings.get("kind") is Number:
            reading.kind, reading.code = Number, ""
            proposal.warnings.append(Issue(header, "identifier", f"{header!r} looks like an "
                                           "identifier; it is used as a number as asked"))
    if y is not None and not proposal.errors:
        _leaks(proposal, rows, headers, readings, y, include)
    for header, reading in readings.items():
        if reading.kind is None:
            proposal.excluded.append({"column": header, "code": reading.code,
                                      "reason": reading.reason})
            if reading.warn:
                proposal.warnings.append(Issue(header, reading.code,
                                               f"{header!r}: {reading.reason}"))
            if header in include:
                proposal.warnings.append(Issue(header, "include-ignored", f"{header!r} cannot "
                                               f"be included: {reading.reason}"))
            continue
        name = _unique(slug(header), taken)
        settings = {k: v for k, v in reading.settings.items() if k != "kind"}
        described = reading.kind(name=name, label=label(header), **settings).describe()
        proposal.inputs.append(described | reading.extra | {"column": header})
    if not proposal.inputs and not proposal.errors:
        proposal.errors.append(Issue(None, "no-inputs", "no column is left to predict from: "
                                     "every other column was left out (see why above)"))
    return proposal


# -- the target -------------------------------------------------------------------------------
def _target(proposal: Proposal, header: str, values: pd.Series, task: str | None
            ) -> np.ndarray | None:
    """Decide the task and the target's field; the target per kept row, or None on an error."""
    errors, total = proposal.errors, proposal.rows
    if total == 0:
        errors.append(Issue(header, "target-missing", f"{header!r} is blank in every row"))
        return None
    counts = values.value_counts()
    distinct = [str(v) for v in counts.index]
    if len(distinct) == 1:
        errors.append(Issue(header, "target-constant", f"{header!r} is {distinct[0]!r} in every "
                            "row: there is nothing to predict"))
        return None
    parsed = [_number(v) for v in distinct]
    numeric = all(x is not None for x in parsed)
    numbers = {x for x in parsed if x is not None}  # "1" and "1.0" are one number
    # Numbers written with commas are never classes; numbers mixed with words are an error
    # only when they would be regressed (a class such as "unknown" is fine).
    reading = _read(header, {str(k): int(c) for k, c in counts.items()}, 0)
    if reading.code in ("thousands-separator", "decimal-comma") or (
            reading.code == "mixed-types" and (task == "regression" or (
                task is None and len(numbers) > REGRESSION_VALUES))):
        errors.append(Issue(header, reading.code, f"{header!r}, the column to predict, is not "
                            f"read as it is: {reading.fix}"))
        return None
    if task is None:
        task = "regression" if numeric and len(numbers) > REGRESSION_VALUES else "classification"
    if task == "regression" and not numeric:
        example = next(v for v in distinct if _number(v) is None)
        errors.append(Issue(header, "target-not-numeric", f"{header!r} cannot be regressed: it "
                            f"holds values that are not numbers, such as {example!r}"))
        return None
    if task == "classification" and len(distinct) > MAX_CLASSES:
        errors.append(Issue(header, "too-many-classes", f"{header!r} has {len(distinct):,} "
                            f"distinct values: too many classes (at most {MAX_CLASSES})"
                            + ("; predict it by regression" if numeric else "")))
        return None
    proposal.task, name, text = task, slug(header), label(header)
    if total < MIN_ROWS:
        errors.append(Issue(None, "too-few-rows", f"only {total} rows have a value of {header!r}; "
                            f"at least {MIN_ROWS} are needed"))
    if task == "regression":
        whole = all(x.is_integer() for x in numbers)
        low, high = min(numbers), max(numbers)
        proposal.target = Number(name=name, label=text, integer=whole,
                                 minimum=int(low) if whole else low,
                                 maximum=int(high) if whole else high).describe()
        proposal.target["column"] = header
        return values.map(float).to_numpy(dtype=float)
    classes = sorted(distinct, key=lambda v: (float(v), v)) if numeric else \
        sorted(distinct, key=lambda v: (v.casefold(), v))
    proposal.classes = classes
    proposal.target = Choice(name=name, label=text,
                             choices=tuple((c, c) for c in classes)).describe() | {"column": header}
    rare = [c for c in classes if counts[c] < MIN_CLASS_ROWS]
    few = [c for c in classes if MIN_CLASS_ROWS <= counts[c] < FEW_CLASS_ROWS]
    if rare:
        errors.append(Issue(header, "few-rows-per-class", "cross-validation needs at least "
                            f"{MIN_CLASS_ROWS} rows per class; " + _class_counts(rare, counts)))
    if few:
        proposal.warnings.append(Issue(header, "few-rows-per-class", "classes with fewer than "
                                       f"{FEW_CLASS_ROWS} rows are hard to learn and to measure; "
                                       + _class_counts(few, counts)))
    return values.to_numpy(dtype=object)


def _class_counts(classes: list[str], counts: pd.Series) -> str:
    return ", ".join(f"class {c!r} has {counts[c]} row{'' if counts[c] == 1 else 's'}"
                     for c in classes[:MAX_LISTED]) + (" ..." if len(classes) > MAX_LISTED else "")


# -- one input column -------------------------------------------------------------------------
def _read(header: str, counts: dict[str, int], missing: int) -> _Reading:
    """What a column is, from its non-blank values (as written, with their row counts)."""
    present = sum(counts.values())
    if not present:
        return _Reading(code="all-missing", reason="every value is blank")
    if len(counts) == 1:
        value = next(iter(counts))
        return _Reading(code="constant", reason=f"every value is {value!r}"
                        + (f" (or blank in {missing:,} rows)" if missing else "")
                        + ": it cannot tell rows apart")
    optional = {"required": missing == 0}
    lowered = {v.strip().lower() for v in counts} if len(counts) <= 8 else set()
    if len(lowered) == 2 and any(lowered == pair for pair in BOOLEANS):
        written = {v: v.strip().lower() in TRUE_WORDS for v in sorted(counts)}
        return _Reading(Boolean, optional, extra={"written": written})
    numbers = _numbers(counts)
    numeric_rows = sum(counts[v] for v in numbers)
    if numeric_rows == present:
        return _numeric(header, counts, numbers, missing, optional)
    others = [v for v in counts if v not in numbers]
    example = max(others, key=lambda v: counts[v])
    if all(THOUSANDS.match(v.strip()) or DECIMAL_COMMA.match(v.strip()) for v in others):
        if any(not THOUSANDS.match(v.strip()) for v in others):
            example = next(v for v in others if not THOUSANDS.match(v.strip()))
            return _unread("decimal-comma", f"numbers are written with a decimal comma (such "
                           f"as {example!r})", "write them with a decimal point")
        return _unread("thousands-separator", f"numbers are written with commas (such as "
                       f"{example!r}), which may separate thousands or decimals",
                       "write the numbers without separators")
    if numeric_rows >= MIXED_SHARE * present:
        return _unread("mixed-types", f"mostly numbers, but {present - numeric_rows:,} values "
                       f"are not, such as {example!r}", "make every value a number (leave "
                       "unknown ones blank)")
    if sum(c for v, c in counts.items() if DATES.match(v.strip())) >= DATE_SHARE * present:
        return _Reading(code="date", reason=f"dates or times (such as {example!r}) are not used "
                        "as such: add columns derived from them (a month, a duration) if they "
                        "matter")
    words = sum(len(v.split()) * c for v, c in counts.items()) / present
    length = sum(len(v) * c for v, c in counts.items()) / present
    few = len(counts) <= MAX_CHOICES and 2 * len(counts) <= present
    if (words >= TEXT_WORDS or length >= TEXT_LENGTH) and not few:
        longest = max(len(v) for v in counts)
        return _Reading(Text, optional | {"max_length": max(DEFAULT_MAX_TEXT, longest)})
    if len(counts) == present:
        return _Reading(code="identifier", reason=f"every value is different (such as "
                        f"{example!r}), as in an identifier: it cannot generalise")
    if few:
        order = sorted(counts, key=lambda v: (-counts[v], v))
        return _Reading(Choice, optional | {"choices": tuple((v, v) for v in order)})
    return _Reading(code="high-cardinality", reason=f"{len(counts):,} different short values "
                    f"(such as {example!r}), too many for a choice and too short for text")


def _unread(code: str, what: str, fix: str) -> _Reading:
    """Numbers not written plainly: left out rather than guessed, with what to change."""
    return _Reading(code=code, reason=f"{what}; it is left out rather than guessed: {fix}",
                    fix=f"{what}: {fix}")


def _numeric(header: str, counts: dict[str, int], numbers: dict[str, float], missing: int,
             optional: dict[str, Any]) -> _Reading:
    """A column of numbers: a number field, or an identifier (whole, distinct, named or run
    like one)."""
    values = np.fromiter(numbers.values(), dtype=float, count=len(numbers))
    whole = bool(np.all(values == np.round(values)))
    low, high = float(values.min()), float(values.max())
    settings = optional | {"integer": whole, "unit": "",
                           "minimum": int(low) if whole else low,
                           "maximum": int(high) if whole else high}
    distinct = len(np.unique(values)) == sum(counts.values())
    if whole and distinct and (ID_HEADER.search(slug(header))
                               or high - low + 1 == len(values)):
        return _Reading(code="identifier", reason="every value is a different whole number, as "
                        f"in an identifier or row number (such as {next(iter(counts))!r}): it "
                        "cannot generalise", settings=settings | {"kind": Number},
                        numbers=numbers)
    return _Reading(Number, settings, numbers=numbers)


def _numbers(values: Iterable[str]) -> dict[str, float]:
    """The values that are finite numbers written plainly ("3", "-2.5", "1e3"), each with its
    number: one vectorised pass, as a column may hold a million distinct values."""
    written = pd.Series(list(values), dtype=object)
    if written.empty:
        return {}
    stripped = written.str.strip()
    plain = stripped.str.fullmatch(NUMBER.pattern).to_numpy(dtype=bool)  # keys are strings
    parsed = stripped[plain].astype(float)
    finite = np.isfinite(parsed.to_numpy())
    return dict(zip(written[plain][finite], parsed[finite].tolist()))


def _number(text: str) -> float | None:
    """A finite number written plainly ("3", "-2.5", "1e3"), else None."""
    text = text.strip()
    if not NUMBER.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _cell(value: Any) -> str | None:
    """One cell as text, or None when it is blank or missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def _counts(column: pd.Series) -> tuple[dict[str, int], int]:
    """A column's non-blank values with their row counts, and how many rows are blank."""
    try:
        raw = column.value_counts(dropna=True, sort=False)
    except TypeError:  # unhashable cells (lists) in a frame not read from a file
        raw = column.map(_cell).value_counts(dropna=True, sort=False)
    counts: dict[str, int] = {}
    if raw.index.inferred_type == "string":  # as read from a file: the keys are the cells
        counts = {value: count for value, count in zip(raw.index, raw.tolist())
                  if value.strip()}
    else:
        for value, count in raw.items():
            if (cell := _cell(value)) is not None:
                counts[cell] = counts.get(cell, 0) + int(count)
    return counts, len(column) - sum(counts.values())


# -- columns that give the target away --------------------------------------------------------
def _leaks(proposal: Proposal, rows: pd.DataFrame, headers: list[str],
           readings: dict[str, _Reading], y: np.ndarray, include: set[str]) -> None:
    """Leave out (unless included) each column that alone predicts the target almost perfectly:
    a depth-limited tree on that column, cross-validated on at most LEAK_ROWS rows. Free text is
    not checked (a bag of words needs more than a quick tree)."""
    picked = np.arange(len(y))
    if len(picked) > LEAK_ROWS:
        picked = np.sort(np.random.default_rng(0).choice(picked, LEAK_ROWS, replace=False))
    target = y[picked]
    if proposal.task == "classification":
        labels, sizes = np.unique(target.astype(str), return_counts=True)
        kept = np.isin(target.astype(str), labels[sizes >= LEAK_FOLDS])
        picked, target = picked[kept], target[kept].astype(str)
        if len(np.unique(target)) < 2:
            return
    if len(target) < 2 * LEAK_FOLDS:
        return
    metric = "R²" if proposal.task == "regression" else "balanced accuracy"
    for header, reading in readings.items():
        if reading.kind not in (Number, Choice, Boolean):
            continue
        # As strings, cells match the values as written (a blank is "None": no number, a level).
        cells = rows.iloc[picked, headers.index(header)].astype(str)
        if reading.kind is Number:
            x = cells.map(reading.numbers).to_numpy(dtype=float)
        else:
            x = pd.factorize(cells)[0].astype(float)
        if _binned(x, target, proposal.task) < SCREEN_SCORE:
            continue  # far from perfect even in-sample: no tree needed
        score = _alone(x.reshape(-1, 1), target, proposal.task)
        if score is None or score < LEAK_SCORE:
            continue
        said = (f"alone, it predicts the target with a cross-validated {metric} of "
                f"{score:.2f}: it probably gives the answer away (known only with or after it)")
        if header in include:
            proposal.warnings.append(Issue(header, "leak", f"{header!r}: {said}; it is kept "
                                           "as asked"))
        else:
            reading.kind, reading.code = None, "leak"
            reading.reason = said + "; it is left out: include it if it is truly known when " \
                                    "predicting"


def _binned(x: np.ndarray, y: np.ndarray, task: str) -> float:
    """An optimistic, in-sample score of y told by x cut in up to 2**LEAK_DEPTH quantile bins
    (blank its own bin), as a tree of that depth could at best: cheap enough for every column."""
    present = ~np.isnan(x)
    if not present.any():
        return 0.0
    edges = np.unique(np.quantile(x[present], np.linspace(0, 1, 2 ** LEAK_DEPTH + 1)))
    bins = np.where(present, np.searchsorted(edges, np.where(present, x, 0)) + 1, 0)
    if task == "regression":
        spread = float(((y - y.mean()) ** 2).sum())
        means = np.bincount(bins, weights=y) / np.maximum(np.bincount(bins), 1)
        return 1 - float(((y - means[bins]) ** 2).sum()) / spread if spread > 0 else 0.0
    table = pd.crosstab(bins, y)
    predicted = table.columns.to_numpy()[table.to_numpy().argmax(axis=1)]
    guessed = pd.Series(predicted, index=table.index).loc[bins].to_numpy()
    return float(np.mean([np.mean(guessed[y == c] == c) for c in np.unique(y)]))


def _alone(x: np.ndarray, y: np.ndarray, task: str) -> float | None:
    """The mean cross-validated score of a small tree on one column (None if unmeasurable)."""
    if task == "regression":
        folds: Any = KFold(LEAK_FOLDS, shuffle=True, random_state=0)
        tree: Any = DecisionTreeRegressor(max_depth=LEAK_DEPTH, random_state=0)
    else:
        folds = StratifiedKFold(LEAK_FOLDS, shuffle=True, random_state=0)
        tree = DecisionTreeClassifier(max_depth=LEAK_DEPTH, random_state=0)
    scores = []
    for train, test in folds.split(x, y):
        predicted = tree.fit(x[train], y[train]).predict(x[test])
        truth = y[test]
        if task == "regression":
            spread = float(((truth - truth.mean()) ** 2).sum())
            if spread > 0:
                scores.append(1 - float(((truth - predicted) ** 2).sum()) / spread)
        else:
            scores.append(float(np.mean([np.mean(predicted[truth == c] == c)
                                         for c in np.unique(truth)])))
    return float(np.mean(scores)) if scores else None


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`... if another field has it already; then taken."""
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name}_{n}", n + 1
    taken.add(unique)
    return unique


def _listed(names: list[str], limit: int = MAX_LISTED) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
