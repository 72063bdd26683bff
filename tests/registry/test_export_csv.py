"""The history's CSV export, line by line, against the stored rows and Python's csv module.

Each test runs the portable export, and on SQLite the SQLite-only one too: both must write the
same lines.
"""
import csv
import io
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from registry import history
from registry.database import db, json_text
from registry.models import Outcome, Prediction
from tests.conftest import register_dummy
from tests.databases import CURRENT as databases

# A cell starting with one of these gets a leading quote (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NOON = datetime(2026, 3, 10, 12, 0, 0, 123456)

# (summary, output, inputs): quotes, commas, line breaks, formula starts, unicode, a NUL in JSON,
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
    ("a NUL in the JSON", "x\x00y", {"nul": "\x00"}),
    ('-", a formula start and a quote', 7, {}),
    ('"', '""', {'"': '"'}),
    ("1e5", 1e20, {"big": 12345678901234567890}),
]
# Current outcomes of the TRICKY rows, by position (missing: none): labels with quotes, commas,
# formula starts and unicode; numbers, a negative one too; an object (a movie and its stars).
OUTCOMES = ['say "yes", twice', "=1+1", "-minus", -3.5, 42, "@at", "naïve ✓", 1e20, 0.1,
            "\ttab", None, "", '"', {"movie_id": 858, "rating": 5.0}]
# Latencies as stored (to the microsecond): halves, whole numbers, tiny and large ones.
LATENCIES = [2.675, 12.0, 0.0, 8.9, 1e9, 123456.001, 0.5, 0.001, 15.238]


@pytest.fixture(params=[True, False], ids=["fast-paths", "portable"])
def app(empty_app, request):
    """An app with two use cases' versions; its export by the SQLite-only code or not."""
    if request.param and databases.kind != "sqlite":
        pytest.skip("the SQLite-only export runs on SQLite only")
    empty_app.config["SQLITE_FAST_PATHS"] = request.param
    with empty_app.app_context():
        register_dummy("toy")
        register_dummy("other")
    return empty_app


def store(rows: list[dict]) -> None:
    """Insert predictions as values, with the columns' defaults filled in."""
    versions = dict(db.session.execute(sa.text("SELECT usecase, id FROM model_versions")).all())
    defaults = {"usecase": "toy", "source": "api", "latency_ms": 1.5, "created_at": NOON,
                "inputs": {}, "output": None, "version": 1, "output_value": None,
                "output_label": None}
    values = [defaults | row for row in rows]
    for row in values:
        row["model_version_id"] = versions[row["usecase"]]
    db.session.execute(Prediction.__table__.insert(), values)
    db.session.commit()


def neutral(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def store_outcomes(values: dict[int, list]) -> None:
    """Record outcomes as rows: for each prediction id its values in turn, the last current."""
    rows = []
    for prediction_id, series in values.items():
        for n, value in enumerate(series):
            rows.append({"prediction_id": prediction_id, "usecase": "toy", "value": value,
                         "recorded_by": "ann", "recorded_at": NOON + timedelta(minutes=n),
                         "replaced_at": None if n == len(series) - 1 else
                         NOON + timedelta(minutes=n + 1)})
    db.session.execute(Outcome.__table__.insert(), rows)
    db.session.commit()


def expected_cells(filters=history.HistoryFilter()) -> list[list[str]]:
    """The stored rows, newest first, as the export's cells (JSON as the database keeps it;
    a current outcome's label as it is, a number as its JSON, empty when there is none)."""
    rows = db.session.execute(filters.where(sa.select(
        Prediction.id, Prediction.created_at, Prediction.usecase, Prediction.version,
        Prediction.source, Prediction.summary, sa.cast(Prediction.output, sa.Text),
        sa.cast(Prediction.inputs, sa.Text), Prediction.latency_ms))
        .order_by(Prediction.created_at.desc(), Prediction.id.desc())).all()
    current = dict(db.session.execute(sa.select(Outcome.prediction_id, Outcome.value)
                                      .where(Outcome.replaced_at.is_(None))).all())

    def as_text(value) -> str:
        return value if isinstance(value, str) else json_text(value)

    return [[str(i), created.strftime("%Y-%m-%dT%H:%M:%S.%f"), usecase, str(version), source,
             neutral(summary), neutral(output), neutral(inputs), "%.3f" % latency,
             neutral(as_text(current[i])) if i in current else ""]
            for i, created, usecase, version, source, summary, output, inputs, latency in rows]


def line(cells: list[str]) -> str:
    """One line as the export writes it: text fields always quoted, numbers bare (RFC 4180)."""
    quoted = ['"' + c.replace('"', '""') + '"' for c in cells]
    return ",".join([cells[0], *quoted[1:3], cells[3], *quoted[4:8], cells[8], quoted[9]]) \
        + "\r\n"


def export(filters=history.HistoryFilter(), **kwargs) -> str:
    chunks = list(history.export_csv(filters, **kwargs))
    assert all(isinstance(c, str) and c.endswith("\r\n") for c in chunks)
    return "".join(chunks)


def test_tricky_values_are_quoted_doubled_and_neutralised_line_by_line(app):
    with app.app_context():
        store([{"summary": s, "output": o, "inputs": i, "latency_ms": LATENCIES[n % 9],
                "created_at": NOON + timedelta(seconds=n)}
               for n, (s, o, i) in enumerate(TRICKY)])
        # Row 2 was corrected twice: only its current value is exported.
        store_outcomes({n + 1: (["first", -1, value] if n == 1 else [value])
                        for n, value in enumerate(OUTCOMES) if value is not None})
        text = export()
        cells = expected_cells()
    assert len(cells) == len(TRICKY)
    assert text == ",".join(history.CSV_COLUMNS) + "\r\n" + "".join(line(c) for c in cells)
    assert list(csv.reader(io.StringIO(text, newline=""))) == [list(history.CSV_COLUMNS), *cells]
    by_summary = {row[5]: row for row in cells}
    # A JSON string starts with its quote, so no spreadsheet reads it as a formula.
    assert by_summary["'=HYPERLINK(\"http://evil.example\",\"x\")"][6] == '"=1+1"'
    assert by_summary["'+1"][6] == "'-3.5" and by_summary["'-2"][6] == "42"
    assert by_summary["a NUL in the JSON"][6] == '"x\\u0000y"'
    assert by_summary["line one\nline two\r\nline three"][6] == "null"
    assert [row[8] for row in cells][-5:] == ["1000000000.000", "8.900", "0.000", "12.000",
                                              "2.675"]
    outcome = [row[9] for row in sorted(cells, key=lambda row: int(row[0]))]
    assert outcome == ['say "yes", twice', "'=1+1", "'-minus", "'-3.5", "42", "'@at", "naïve ✓",
                       "1e+20", "0.1", "'\ttab", "", "", '"', '{"movie_id":858,"rating":5.0}']


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


@pytest.mark.parametrize(("filters", "count"), [
    (history.HistoryFilter(usecase="other"), 6),
    (history.HistoryFilter(source="batch"), 6),
    (history.HistoryFilter(version=2), 4),
    (history.HistoryFilter(since=date(2026, 3, 11), until=date(2026, 3, 11)), 4),
    (history.HistoryFilter(usecase="toy", source="api", until=date(2026, 3, 10)), 1),
    (history.HistoryFilter(outcome="recorded"), 4),
    (history.HistoryFilter(outcome="missing"), 8),
    (history.HistoryFilter(outcome="yes"), 2),  # a corrected "yes" no longer counts
    (history.HistoryFilter(outcome="no", usecase="toy"), 1),
])
def test_filters_pick_the_exported_lines(app, filters, count):
    with app.app_context():
        store([{"usecase": usecase, "source": source, "summary": f"{usecase} {source} {day}",
                "created_at": NOON + timedelta(days=day)}
               for usecase in ("toy", "other") for source in ("api", "batch") for day in range(3)])
        db.session.execute(sa.text("UPDATE predictions SET version = 2 WHERE id % 3 = 0"))
        db.session.commit()
        store_outcomes({1: ["yes"], 2: ["no", "yes"], 3: ["yes", "no"], 5: [7]})
        text = export(filters)
        cells = expected_cells(filters)
    assert len(cells) == count
    assert list(csv.reader(io.StringIO(text, newline=""))) == [list(history.CSV_COLUMNS), *cells]


def test_an_empty_history_exports_the_header_only(app):
    with app.app_context():
        assert export() == ",".join(history.CSV_COLUMNS) + "\r\n"
