"""Reading an admin's CSV file: what is read, and every way a file is refused with its status."""
from __future__ import annotations

import pytest

from usecases.tabular.table import MIN_ROWS, TableError, read_table


def csv_bytes(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def grades(rows: int = 25, delimiter: str = ",") -> bytes:
    return csv_bytes(["name", "score", "passed"],
                     [[f"pupil {i}", str(40 + i), "yes" if i % 2 else ""] for i in range(rows)],
                     delimiter)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_a_table_is_read_as_strings_with_blanks_missing(delimiter):
    frame = read_table(grades(delimiter=delimiter))
    assert list(frame.columns) == ["name", "score", "passed"]
    assert len(frame) == 25
    assert all(dtype == object for dtype in frame.dtypes)
    assert frame.loc[0].tolist() == ["pupil 0", "40", None]
    assert frame.loc[1, "passed"] == "yes"


def test_a_byte_order_mark_spaces_in_the_header_quotes_and_blank_lines_are_read():
    text = '\ufeff id ,"race/ethnicity", note \n' + "\n".join(
        f'{i},group {i % 3},"says ""hi"", twice"' for i in range(MIN_ROWS)) + "\n\n"
    frame = read_table(text.encode("utf-8"))
    assert list(frame.columns) == ["id", "race/ethnicity", "note"]
    assert frame.loc[0, "note"] == 'says "hi", twice'
    assert len(frame) == MIN_ROWS


def test_overrides_of_the_limits_are_kept():
    with pytest.raises(TableError) as rows:
        read_table(grades(30), max_rows=29)
    assert rows.value.status == 413 and "more than 29 rows" in rows.value.message
    with pytest.raises(TableError) as size:
        read_table(grades(30), max_bytes=100)
    assert size.value.status == 413 and "443 bytes; at most 100 are read" in size.value.message
    with pytest.raises(TableError) as columns:
        read_table(grades(30), max_columns=2)
    assert columns.value.status == 413 and "3 columns" in columns.value.message


WIDE = ",".join(f"c{i}" for i in range(10_000)) + "\n" + "\n".join(
    ",".join("1" for _ in range(10_000)) for _ in range(MIN_ROWS))

REFUSED = {
    "empty": (b"", 400, "the file is empty"),
    "blank": (b"  \n\n", 400, "the file is empty"),
    "binary": (b"id,x\n1,\x00\x01\x02\n", 415, "binary data"),
    "excel": (b"PK\x03\x04\x14\x00\x06\x00", 415, "Excel workbook"),
    "utf-16": ("a,b\n1,2\n".encode("utf-16"), 415, "UTF-16"),
    "latin-1": (("name,city\n" + "Zoë,Köln\n" * 25).encode("latin-1"), 415,
                "not UTF-8 text (line 2"),
    "no header": (csv_bytes(["63", "1", "145.0"], [["67", "1", "160"]] * 25), 422,
                  "looks like data"),
    "empty column name": (csv_bytes(["a", "", "c", " "], [["1", "2", "3", "4"]] * 25), 422,
                          "columns 2, 4 of the header have no name"),
    "duplicate column names": (csv_bytes(["a", "b", "a", "b", "c"], [["1"] * 5] * 25), 422,
                               "names 'a', 'b' more than once"),
    "one column": (csv_bytes(["score"], [["1"]] * 25), 422, "only one column"),
    "10,000 columns": (WIDE.encode(), 413, "10,000 columns; at most 500"),
    "2 rows": (grades(2), 422, "2 data rows; at least 20"),
    "ragged rows": (grades(25) + b"pupil x,3\n", 400, "line 27 has 2 values"),
    "bad quoting": (grades(25) + b'"pupil x,3,yes\n', 400, "line 27 is not valid CSV"),
}


@pytest.mark.parametrize("data, status, words", REFUSED.values(), ids=REFUSED.keys())
def test_a_file_that_cannot_become_a_table_is_refused_clearly(data, status, words):
    with pytest.raises(TableError) as refused:
        read_table(data)
    assert refused.value.status == status
    assert words in refused.value.message
    assert str(refused.value) == refused.value.message


def test_a_duplicate_column_is_named_in_the_error():
    with pytest.raises(TableError) as refused:
        read_table(csv_bytes(["x", "y", "x"], [["1", "2", "3"]] * 25))
    assert refused.value.column == "x"


def test_what_is_not_bytes_is_refused_as_a_table_error():
    with pytest.raises(TableError):
        read_table("a,b\n1,2\n")  # type: ignore[arg-type]
