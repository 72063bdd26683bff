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
from usecases import get_usecase
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
HEADER = "id,created_at,usecase,version,source,summary,output,latency_ms,outcome,inputs"


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


def plain(value) -> str:
    """A value as the export writes it: text as it is (its JSON when it holds a NUL), numbers
    as JSON, lists of numbers space-separated, anything else as JSON; text that looks like a
    formula gets a quote, numbers never do."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json_text(value)
    if isinstance(value, str) and "\x00" not in value:
        return neutral(value)
    if isinstance(value, list) and value and all(type(v) in (int, float) for v in value):
        return neutral(" ".join(json_text(v) for v in value))
    return neutral(json_text(value))


def api_time(moment: datetime) -> str:
    """The JSON API's created_at: ISO 8601 with a Z, microseconds only when there are any."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{moment.microsecond:06d}"
                                                   if moment.microsecond else "") + "Z"


def expected_cells(filters=history.HistoryFilter(), names=()) -> list[list[str]]:
    """The stored rows, newest first, as the export's cells: plain output and outcome, then
    the inputs as JSON (as the database keeps it), or one plain cell per named input."""
    rows = db.session.execute(filters.where(sa.select(
        Prediction.id, Prediction.created_at, Prediction.usecase, Prediction.version,
        Prediction.source, Prediction.summary, Prediction.output,
        sa.cast(Prediction.inputs, sa.Text), Prediction.latency_ms, Prediction.inputs))
        .order_by(Prediction.created_at.desc(), Prediction.id.desc())).all()
    current = dict(db.session.execute(sa.select(Outcome.prediction_id, Outcome.value)
                                      .where(Outcome.replaced_at.is_(None))).all())
    return [[str(i), api_time(created), usecase, str(version), source, neutral(summary),
             plain(output), "%.3f" % latency, plain(current.get(i))]
            + ([plain(given.get(name)) for name in names] if names else [neutral(inputs)])
            for i, created, usecase, version, source, summary, output, inputs, latency, given
            in rows]


def line(cells: list[str]) -> str:
    """One line as the export writes it: text fields always quoted, numbers bare (RFC 4180)."""
    quoted = ['"' + c.replace('"', '""') + '"' for c in cells]
    return ",".join([cells[0], *quoted[1:3], cells[3], *quoted[4:7], cells[7], *quoted[8:]]) \
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
    assert text == HEADER + "\r\n" + "".join(line(c) for c in cells)
    assert list(csv.reader(io.StringIO(text, newline=""))) == [HEADER.split(","), *cells]
    by_summary = {row[5]: row for row in cells}
    # Outputs as plain values: text without JSON quotes (a formula neutralised), numbers bare
    # (a negative one is no formula), yes/no as true/false, a list of ids space-separated.
    assert by_summary["'=HYPERLINK(\"http://evil.example\",\"x\")"][6] == "'=1+1"
    assert by_summary["'+1"][6] == "-3.5" and by_summary["'-2"][6] == "42"
    assert by_summary["'@home"][6] == "true" and by_summary["'\ttabbed"][6] == "3 1 2"
    assert by_summary['He said "hi", then left'][6] == '"a, b"'
    assert by_summary["a NUL in the JSON"][6] == '"x\\u0000y"'
    assert by_summary["line one\nline two\r\nline three"][6] == ""
    assert by_summary["'\rreturned"][6] == '{"k":"\\"v\\""}'
    assert [row[7] for row in cells][-5:] == ["1000000000.000", "8.900", "0.000", "12.000",
                                              "2.675"]
    outcome = [row[8] for row in sorted(cells, key=lambda row: int(row[0]))]
    assert outcome == ['say "yes", twice', "'=1+1", "'-minus", "-3.5", "42", "'@at", "naïve ✓",
                       "1e+20", "0.1", "'\ttab", "", "", '"', '{"movie_id":858,"rating":5.0}']
    # Times as the JSON API writes them.
    assert cells[-1][1] == "2026-03-10T12:00:00.123456Z"


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
    assert list(csv.reader(io.StringIO(text, newline=""))) == [HEADER.split(","), *cells]


def test_an_empty_history_exports_the_header_only(app):
    with app.app_context():
        assert export() == HEADER + "\r\n"


# Inputs of one use case, awkward ones too: a formula, quotes and commas, yes/no, a negative
# number (no formula), a field left out and one given as null, text in a number's place.
HEART = [
    {"age": 54, "sex": "=Male", "cp": 'say "x", then y', "fbs": True, "exang": False,
     "oldpeak": -2.6, "chol": None},
    {"age": 61.5, "sex": "Female", "thal": "naïve ✓", "ca": "3", "extra": "not a field"},
    {},
]


@pytest.mark.parametrize(("usecase", "inputs"), [
    ("heart-disease", HEART),
    ("recommendation", [{"movies": [858, 1196, 260], "ratings": "5, 4.5", "user_id": None,
                         "count": 10}, {"movies": None, "user_id": 15, "count": 3},
                        {"movies": [-5, 7], "ratings": "+1"}]),
])
def test_one_use_case_s_export_has_a_column_per_input_with_plain_values(app, usecase, inputs):
    with app.app_context():
        register_dummy(usecase)
        store([{"usecase": usecase, "inputs": given, "summary": f"row {n}",
                "created_at": NOON + timedelta(minutes=n)}
               for n, given in enumerate(inputs)])
        store([{"summary": "another use case's row"}])
        if databases.kind == "sqlite":  # PostgreSQL's text holds no NUL
            store([{"usecase": usecase, "inputs": inputs[0], "summary": "kept\x00from before",
                    "created_at": NOON - timedelta(days=1)}])
        filters = history.HistoryFilter(usecase=usecase)
        names = [field.name for field in get_usecase(usecase).fields]
        text = export(filters, chunk_rows=2)
        cells = expected_cells(filters, names)
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert header == HEADER.split(",")[:-1] + names
    assert rows == cells and len(rows) == len(inputs) + (databases.kind == "sqlite")
    assert text == ",".join(header) + "\r\n" + "".join(line(c) for c in cells)
    first = dict(zip(header, rows[len(inputs) - 1]))
    if usecase == "heart-disease":
        assert (first["age"], first["sex"], first["cp"]) == ("54", "'=Male", 'say "x", then y')
        assert (first["fbs"], first["exang"], first["oldpeak"]) == ("true", "false", "-2.6")
        assert first["chol"] == first["thal"] == "" and "extra" not in header
        assert dict(zip(header, rows[len(inputs) - 2]))["ca"] == "3"
    else:
        assert (first["movies"], first["ratings"], first["user_id"]) == ("858 1196 260",
                                                                         "5, 4.5", "")
        assert dict(zip(header, rows[0]))["movies"] == "'-5 7"


def test_an_input_named_like_a_column_is_prefixed():
    assert history.csv_columns(["age", "source", "outcome"]) == [
        *HEADER.split(",")[:-1], "age", "input_source", "input_outcome"]
    assert history.csv_columns([]) == HEADER.split(",")


def test_times_without_microseconds_are_written_as_the_api_writes_them(app):
    with app.app_context():
        store([{"summary": "on the second", "created_at": datetime(2026, 3, 10, 12, 0, 0)},
               {"summary": "after it", "created_at": datetime(2026, 3, 10, 12, 0, 0, 500)}])
        rows = list(csv.reader(io.StringIO(export(), newline="")))[1:]
    assert [row[1] for row in rows] == ["2026-03-10T12:00:00.000500Z", "2026-03-10T12:00:00Z"]
