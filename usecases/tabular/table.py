"""Reading an admin's CSV file into a table of strings, or saying clearly why it cannot be.

The file is read the way a later upload of labelled rows reads it (`registry.datasets.uploads`):
UTF-8 with or without a byte-order mark, the delimiter (comma, semicolon or tab) that occurs
most in the first line, blank lines skipped, blank cells missing. Those helpers are private to
the registry and raise its own error, and this step must stay free of Flask and the database, so
the same rules are written here rather than imported.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pandas as pd

from usecases.csvrows import records

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 500
MIN_ROWS = 20  # fewer cannot be split for cross-validation and a held-out quarter
DELIMITERS = (",", ";", "\t")  # the order breaks ties, as in registry.datasets.uploads
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# Files people send by mistake, told apart by their first bytes.
SIGNATURES = ((b"PK\x03\x04", "a ZIP archive or an Excel workbook"),
              (b"\xd0\xcf\x11\xe0", "an old Excel or Word document"),
              (b"%PDF", "a PDF document"),
              (b"\x1f\x8b", "a gzip archive"))


class TableError(ValueError):
    """A file that cannot become a table; `status` is the HTTP status that fits.

    400 unreadable, 413 too big, 415 not UTF-8 text, 422 readable but unusable; `column` names
    the column at fault when there is one."""

    def __init__(self, message: str, status: int = 400, column: str | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.column = message, status, column


def read_table(data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS,
               max_columns: int = MAX_COLUMNS) -> pd.DataFrame:
    """The CSV file's rows as a frame of strings (dtype object), or TableError.

    Columns are named as in the header (stripped of surrounding spaces). Cells are kept as
    written; a blank or all-space cell is None. At least MIN_ROWS data rows are needed."""
    if not isinstance(data, (bytes, bytearray)):
        raise TableError("the table must be given as the file's bytes")
    if len(data) > max_bytes:
        raise TableError(f"the file is {len(data):,} bytes; at most {max_bytes:,} are read: "
                         "send fewer rows or columns", status=413)
    if not data.strip():
        raise TableError("the file is empty")
    text = _decoded(bytes(data))
    first = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = _header(reader, max_columns)
    rows: list[list[str | None]] = []
    for start, record in records(reader, TableError):
        if len(record) != len(header):
            raise TableError(f"line {start} has {len(record)} values but the header has "
                             f"{len(header)} columns: every row needs one value per column "
                             "(quote values that contain the delimiter)")
        if len(rows) >= max_rows:
            raise TableError(f"the table has more than {max_rows:,} rows: send at most "
                             f"{max_rows:,}", status=413)
        rows.append([cell if cell.strip() else None for cell in record])
    if len(rows) < MIN_ROWS:
        raise TableError(f"the table has {len(rows)} data row{'' if len(rows) == 1 else 's'}; "
                         f"at least {MIN_ROWS} are needed to train and measure a model",
                         status=422)
    return pd.DataFrame(rows, columns=header, dtype=object)


def _decoded(data: bytes) -> str:
    """The file as text, or TableError (415) saying what it seems to be and what to send."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError("the file is UTF-16 text: save it as CSV in UTF-8 and send it again",
                         status=415)
    for signature, what in SIGNATURES:
        if data.startswith(signature):
            raise TableError(f"the file is {what}, not a CSV file: save the sheet as CSV "
                             "(UTF-8) and send that", status=415)
    if b"\x00" in data:
        raise TableError("the file holds binary data, not text: send a CSV file in UTF-8",
                         status=415)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise TableError(f"the file is not UTF-8 text (line {line}, byte {exc.start + 1}); it "
                         "may be Windows-1252 or Latin-1: save it as CSV in UTF-8 and send "
                         "it again", status=415) from None


def _header(reader, max_columns: int) -> list[str]:
    """The header's column names, checked: present, named, distinct, not data, enough."""
    try:
        names = [name.strip() for name in next(reader)]
    except StopIteration:
        raise TableError("the file is empty") from None
    except csv.Error as exc:
        raise TableError(f"line 1 is not valid CSV: {exc}") from None
    if len(names) > max_columns:
        raise TableError(f"the table has {len(names):,} columns; at most {max_columns:,} are "
                         "read: leave out the columns that cannot matter", status=413)
    if len(names) < 2:
        raise TableError("the table has only one column: a table needs the column to predict "
                         "and at least one more, separated by commas, semicolons or tabs",
                         status=422)
    if all(NUMBER.match(name) for name in names if name) and any(names):
        raise TableError("the first line looks like data (every value is a number), not a "
                         "header: add a first line naming each column", status=422)
    blank = [str(i + 1) for i, name in enumerate(names) if not name]
    if blank:
        raise TableError(f"column{'s' if len(blank) > 1 else ''} {', '.join(blank)} of the "
                         "header ha" + ("ve" if len(blank) > 1 else "s") + " no name: "
                         "name every column", status=422)
    counts = Counter(names)
    twice = [name for name, count in counts.items() if count > 1]
    if twice:
        repeated = ", ".join(repr(name) for name in twice)
        raise TableError(f"the header names {repeated} more than once: give each column its "
                         "own name", status=422, column=twice[0])
    return names

