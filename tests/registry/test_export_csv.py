"""The history's CSV export, line by line, against the stored rows and Python's csv module."""
import csv
import io
import json
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from registry import history
from registry.database import db
from tests.conftest import register_dummy

# A cell starting with one of these gets a leading quote (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NOON = datetime(2026, 3, 10, 12, 0, 0, 123456)

# (summary, output, inputs): quotes, commas, line breaks, formula starts, unicode, a NUL,
# numbers stored as numbers (negative ones look like formulas), JSON null, true and lists.
TRICKY = [
    ('He said "hi", then left', '"a, b"', {"note": 'say "cheese"'}),
    ("line one\nline two\r\nline three", None, {"text": "a\nb", "n": 1}),
    ("=HYPERLINK(\"http://evil.example\",\"x\")", "=1+1", {"x": "=cmd|' /C calc'!A0"}),
    ("+1", -3.5, ["-list", "items"]),
    ("-2", 42, {"@": "@SUM(A1)"}),
    ("@home", True, {}),
    ("\ttabbed", [3, 1, 2], {"\t": "\r"}),
    ("\rreturned", {"k": '"v"'}, {"emoji": "😀", "accent": "Amélie"}),
    ("Ünïcödé ✓ 日本語", "naïve", {"quote": '"', "comma": ",", "both": '",'}),
    ("", "", {"empty": ""}),
    ("with a NUL \x00 inside", "x\x00y", {"nul": "\x00"}),
    ('-"\x00", a NUL after a formula start and a quote', 7, {}),
    ('"', '""', {'"': '"'}),
    ("1e5", 1e20, {"big": 12345678901234567890}),
]
# Latencies as SQLite rounds and writes them: halves, whole numbers, tiny and huge ones.
LATENCIES = [2.675, 12.0, 0.0004, 8.90036708406589, 1e20, 123456789.0005, 0.5, 1e-9, 15.2375]


@pytest.fixture
def app(empty_app):
    with empty_app.app_context():
        register_dummy("toy")
        register_dummy("other")
    return empty_app


def store(rows: list[dict]) -> None:
    """Insert predictions as the driver writes them: JSON text, microsecond timestamps."""
    db.session.execute(sa.text(
        "INSERT INTO predictions (usecase, model_version_id, version, created_at, inputs, output,"
        " summary, output_value, output_label, latency_ms, source) VALUES (:usecase,"
        " (SELECT id FROM model_versions WHERE usecase = :usecase), 1, :created_at, :inputs,"
        " :output, :summary, NULL, NULL, :latency_ms, :source)"),
        [{"usecase": "toy", "source": "api", "latency_ms": 1.5, **r,
          "created_at": r.get("created_at", NOON).isoformat(" ", "microseconds"),
          "inputs": json.dumps(r.get("inputs", {}), ensure_ascii=False),
          "output": json.dumps(r.get("output"), ensure_ascii=False)} for r in rows])
    db.session.commit()


def neutral(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def expected_cells(where: str = "1 = 1") -> list[list[str]]:
    """The stored rows, newest first, as the export's cells: texts as SQLite gives them."""
    rows = db.session.execute(sa.text(
        "SELECT id, created_at, usecase, version, source, summary, CAST(output AS TEXT),"
        " CAST(inputs AS TEXT), CAST(round(latency_ms, 3) AS TEXT) FROM predictions"
        f" WHERE {where} ORDER BY created_at DESC, id DESC")).all()
    return [[str(i), created.replace(" ", "T"), usecase, str(version), source, neutral(summary),
             neutral(output), neutral(inputs), latency]
            for i, created, usecase, version, source, summary, output, inputs, latency in rows]


def line(cells: list[str]) -> str:
    """One line as the export writes it: text fields always quoted, numbers bare (RFC 4180)."""
    quoted = ['"' + c.replace('"', '""') + '"' for c in cells]
    return ",".join([cells[0], *quoted[1:3], cells[3], *quoted[4:8], cells[8]]) + "\r\n"


def export(filters=history.HistoryFilter(), **kwargs) -> str:
    chunks = list(history.export_csv(filters, **kwargs))
    assert all(isinstance(c, str) and c.endswith("\r\n") for c in chunks)
    return "".join(chunks)


def test_tricky_values_are_quoted_doubled_and_neutralised_line_by_line(app):
    with app.app_context():
        store([{"summary": s, "output": o, "inputs": i, "latency_ms": LATENCIES[n % 9],
                "created_at": NOON + timedelta(seconds=n)}
               for n, (s, o, i) in enumerate(TRICKY)])
        text = export()
        cells = expected_cells()
    assert len(cells) == len(TRICKY)
    assert text == ",".join(history.CSV_COLUMNS) + "\r\n" + "".join(line(c) for c in cells)
    assert list(csv.reader(io.StringIO(text, newline=""))) == [list(history.CSV_COLUMNS), *cells]
    by_summary = {row[5]: row for row in cells}
    # A JSON string starts with its quote, so no spreadsheet reads it as a formula.
    assert by_summary["'=HYPERLINK(\"http://evil.example\",\"x\")"][6] == '"=1+1"'
    assert by_summary["'+1"][6] == "'-3.5" and by_summary["'-2"][6] == "42"
    assert by_summary["with a NUL \x00 inside"][6] == '"x\\u0000y"'
    assert by_summary["line one\nline two\r\nline three"][6] == "null"
    assert [row[8] for row in cells][-5:] == ["1.0e+20", "8.9", "0.0", "12.0", "2.675"]


def test_order_is_newest_first_with_ties_by_id_even_when_ids_disagree_with_time(app):
    with app.app_context():
        store([{"summary": "late", "created_at": NOON + timedelta(hours=1)},
               {"summary": "tie a"}, {"summary": "tie b"},
               {"summary": "early", "created_at": NOON - timedelta(hours=1)},
               {"summary": "latest", "created_at": NOON + timedelta(hours=2)}])
        text = export(chunk_rows=2)
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert [r[5] for r in rows] == ["latest", "late", "tie b", "tie a", "early"]


def test_chunks_hold_whole_lines_and_add_up_to_the_export(app):
    with app.app_context():
        store([{"summary": f"row {n},\n\"{n}\"", "created_at": NOON + timedelta(seconds=n)}
               for n in range(7)])
        chunks = list(history.export_csv(history.HistoryFilter(), chunk_rows=3))
        whole = export()
    assert len(chunks) == 1 + 3 and "".join(chunks) == whole
    for chunk in chunks[1:]:
        assert len(list(csv.reader(io.StringIO(chunk, newline="")))) in (3, 1)


@pytest.mark.parametrize(("filters", "where"), [
    (history.HistoryFilter(usecase="other"), "usecase = 'other'"),
    (history.HistoryFilter(source="batch"), "source = 'batch'"),
    (history.HistoryFilter(version=2), "version = 2"),
    (history.HistoryFilter(since=date(2026, 3, 11), until=date(2026, 3, 11)),
     "created_at >= '2026-03-11' AND created_at < '2026-03-12'"),
    (history.HistoryFilter(usecase="toy", source="api", until=date(2026, 3, 10)),
     "usecase = 'toy' AND source = 'api' AND created_at < '2026-03-11'"),
])
def test_filters_pick_the_exported_lines(app, filters, where):
    with app.app_context():
        store([{"usecase": usecase, "source": source, "summary": f"{usecase} {source} {day}",
                "created_at": NOON + timedelta(days=day)}
               for usecase in ("toy", "other") for source in ("api", "batch") for day in range(3)])
        db.session.execute(sa.text("UPDATE predictions SET version = 2 WHERE id % 3 = 0"))
        db.session.commit()
        text = export(filters)
        cells = expected_cells(where)
    assert 0 < len(cells) < 12
    assert list(csv.reader(io.StringIO(text, newline=""))) == [list(history.CSV_COLUMNS), *cells]


def test_an_empty_history_exports_the_header_only(app):
    with app.app_context():
        assert export() == ",".join(history.CSV_COLUMNS) + "\r\n"
