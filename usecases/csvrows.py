"""Reading the rows of a CSV file the same way wherever a file is taken (uploads of labelled
rows, tables made into use cases): each record with the line it starts on, blank lines skipped."""
from __future__ import annotations

import csv
from typing import Any, Callable, Iterator


def records(reader: Any, error: Callable[[str], Exception]) -> Iterator[tuple[int, list[str]]]:
    """The records after those already read, each with the line it starts on (a quoted value
    may span lines); blank lines are skipped. A line the reader cannot read raises
    error(message), the caller's own kind of refusal."""
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise error(f"line {line} is not valid CSV: {exc}") from None
        start, line = line, reader.line_num + 1
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line
        yield start, record
