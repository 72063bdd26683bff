"""Bad files and bad outcomes, built from the declared fields like the prediction corpus.

Every case gets a 4xx, or a report whose refusals name the line and the column; the dataset
and outcome row counts before and after show that nothing was stored for a refused file.
"""
from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa

from registry.database import db
from registry.models import DatasetVersion, Outcome
from usecases.fields import Boolean, Choice, Number, Text

from tests.api.conftest import assert_error, bearer

HEART = "heart-disease"


@pytest.fixture
def admin(tokens):
    return bearer(tokens["admin"])


def fields_of(app, name: str):
    usecase = app.extensions["modelhub.usecases"][name]
    return usecase, list(usecase.fields), usecase.target


def good_value(field):
    if isinstance(field, Number):
        low = field.minimum if field.minimum > -1e9 else 0
        return int(low) + 1 if field.integer else low + 0.5
    if isinstance(field, Choice):
        return field.choices[0][0]
    if isinstance(field, Boolean):
        return "true"
    if isinstance(field, Text):
        return "A plain review of a tea that was fine."
    raise AssertionError(field)


def good_row(app, name: str) -> dict[str, str]:
    _, fields, target = fields_of(app, name)
    return {f.name: str(good_value(f)) for f in fields + [target]}


def to_csv(rows: list[dict], columns: list[str], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode()


def bad_values(field) -> list[tuple[str, str]]:
    """(value, why) pairs the field must refuse, from its declaration."""
    out = []
    if isinstance(field, Number):
        out += [("abc", "a word"), ("1e999", "infinite"), ("nan", "not a number")]
        if field.maximum < 1e9:
            out.append((str(field.maximum + 1000), "above the range"))
        if field.minimum > -1e9:
            out.append((str(field.minimum - 1000), "below the range"))
        if field.integer:
            out.append((str(int(field.minimum) + 1.5), "not whole"))
    if isinstance(field, Choice):
        out += [("unknown value", "not listed"), (field.choices[0][0].upper() + "x", "near miss"),
                ("=cmd|' /C calc'!A0", "a formula")]
    if isinstance(field, Boolean):
        out += [("maybe", "not yes or no"), ("2", "a number")]
    if isinstance(field, Text):
        out += [("bad\x01control", "a control character"),
                ("x" * (field.max_length + 1), "too long")]
    return out


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(DatasetVersion)),
                db.session.scalar(sa.select(sa.func.count()).select_from(Outcome)))


def post(client, admin, name: str, body: bytes, content_type: str = "text/csv", query: str = ""):
    return client.post(f"/api/v1/usecases/{name}/datasets{query}", data=body,
                       content_type=content_type, headers=admin)


@pytest.mark.parametrize("name", ["heart-disease", "student-score", "sentiment"])
def test_each_bad_value_is_refused_by_line_and_column(client, app, admin, name):
    """One row per bad value of every field and of the target; each refusal names both."""
    usecase, fields, target = fields_of(app, name)
    columns = [f.name for f in fields] + [target.name]
    good = good_row(app, name)
    rows, expected = [], []
    for field in fields + [target]:
        for value, why in bad_values(field):
            rows.append(dict(good, **{field.name: value}))
            expected.append((len(rows) + 1, field.name, why))
    for field in [target] + [f for f in fields if f.required and f.default is None]:
        rows.append(dict(good, **{field.name: ""}))  # missing where it is required
        expected.append((len(rows) + 1, field.name, "missing"))
    rows.append(good)
    before = counts(app)
    answer = post(client, admin, name, to_csv(rows, columns))
    assert answer.status_code == 422, answer.get_json()
    report = answer.get_json()["report"]
    assert (report["rows"], report["accepted"], report["refused"]) == \
        (len(rows), 1, len(rows) - 1)
    found = {(r["line"], r["column"]) for r in report["refusals"]}
    for line, column, why in expected[:100]:
        assert (line, column) in found, f"{column} {why} on line {line} not refused"
    assert all(r["reason"] for r in report["refusals"])
    assert counts(app) == before


@pytest.mark.parametrize("case, status", [
    ("empty", 400), ("blank lines", 400), ("header only", 422), ("binary", 415),
    ("latin-1", 400), ("unknown column", 400), ("missing column", 400),
    ("duplicate column", 400), ("broken quote", 400), ("not csv at all", 400),
    ("wrong content type", 415), ("json, not lines", 422)])
def test_files_that_are_not_rows_for_the_use_case(client, app, admin, case, status):
    good = good_row(app, HEART)
    columns = list(good)
    bodies = {
        "empty": b"", "blank lines": b"\n\n  \n",
        "header only": ",".join(columns).encode() + b"\n",
        "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "latin-1": to_csv([good], columns).replace(b"Male", "M\xe4le".encode("latin-1")),
        "unknown column": to_csv([dict(good, weight="80")], columns + ["weight"]),
        "missing column": to_csv([good], [c for c in columns if c != "age"]),
        "duplicate column": to_csv([good], columns + ["age"]),
        "broken quote": to_csv([good], columns) + b'63,"Male\n',
        "not csv at all": b"<html><body>hello</body></html>\n",
        "wrong content type": to_csv([good], columns),
        "json, not lines": json.dumps([good]).encode(),
    }
    content_type = {"wrong content type": "application/pdf",
                    "json, not lines": "application/x-ndjson"}.get(case, "text/csv")
    before = counts(app)
    answer = post(client, admin, HEART, bodies[case], content_type)
    assert answer.status_code == status, (case, answer.get_json())
    body = answer.get_json()
    if status == 422:
        assert body["report"]["accepted"] == 0
    else:
        assert body["error"]["message"]
        assert status != 400 or body["error"]["fields"]  # names the file or the column
    assert counts(app) == before


def test_a_bom_semicolons_and_quoted_newlines_are_read(client, app, admin):
    """What spreadsheets write: a byte-order mark, semicolons, a cell with a line break; the
    line numbers of later rows still point at the file's own lines."""
    good = good_row(app, "sentiment")
    columns = list(good)
    rows = [dict(good, review="First line;\nsecond line of the same review"),
            dict(good, label="unknown")]
    body = "\ufeff".encode() + to_csv(rows, columns, delimiter=";")
    answer = post(client, admin, "sentiment", body, query="?dry_run=true")
    report = answer.get_json()["report"]
    assert answer.status_code == 200
    assert (report["delimiter"], report["columns"][0]) == (";", columns[0])
    assert report["accepted"] == 1
    # Header on line 1, the first row on lines 2-3, the refused one on line 4.
    assert report["refusals"] == [{"line": 4, "column": "label",
                                   "reason": "must be one of: great, other"}]


def test_an_oversized_file_is_413_and_too_many_rows_too(client, app, admin, monkeypatch):
    good = good_row(app, HEART)
    line = to_csv([good], list(good)).split(b"\n")[1] + b"\n"
    header = ",".join(good).encode() + b"\n"
    million = header + line * 1_000_000  # a million rows: far past the upload limit
    before = counts(app)
    assert_error(post(client, admin, HEART, million), 413)
    from registry.datasets import uploads

    monkeypatch.setattr(uploads, "MAX_ROWS", 50)
    answer = post(client, admin, HEART, header + line * 51)
    assert "more than 50 rows" in assert_error(answer, 413)["message"]
    assert counts(app) == before


def test_formula_looking_text_is_kept_as_text(client, app, admin):
    """A review may start with "=": it is text to learn from, never evaluated; a choice that
    looks like a formula is simply not one of the choices (refused above)."""
    good = good_row(app, "sentiment")
    answer = post(client, admin, "sentiment",
                  to_csv([dict(good, review="=HYPERLINK(\"http://x\") tasty")], list(good)),
                  query="?dry_run=true")
    assert answer.get_json()["report"]["accepted"] == 1


def test_json_lines_refusals_name_line_and_key(client, app, admin):
    _, fields, target = fields_of(app, HEART)
    good = {f.name: good_value(f) for f in fields + [target]}
    good.update({f.name: True for f in fields if isinstance(f, Boolean)})
    lines = [json.dumps(good), "{not json", json.dumps([1, 2]),
             json.dumps(dict(good, colour="red")), json.dumps(dict(good, age="old")), ""]
    answer = post(client, admin, HEART, "\n".join(lines).encode(), "application/x-ndjson")
    report = answer.get_json()["report"]
    assert answer.status_code == 422 and report["accepted"] == 1
    assert [(r["line"], r["column"]) for r in report["refusals"]] == \
        [(2, None), (3, None), (4, "colour"), (5, "age")]


@pytest.mark.parametrize("items, status", [
    ([{"prediction_id": 987654, "outcome": "disease"}], 422),
    ([{"prediction_id": "abc", "outcome": "disease"}], 422),
    ([{"prediction_id": -1, "outcome": "disease"}], 422),
    ([{"prediction_id": True, "outcome": "disease"}], 422),
    ([{"outcome": "disease"}], 422), ([], 422), ("not a list", 422)])
def test_bad_bulk_outcomes_record_nothing(client, app, tokens, items, status):
    before = counts(app)
    answer = client.post("/api/v1/outcomes", json={"outcomes": items},
                         headers=bearer(tokens["analyst"]))
    assert_error(answer, status)
    assert counts(app) == before


def test_bad_outcome_csvs_record_nothing(client, app, tokens):
    before = counts(app)
    for body in (b"", b"id,value\n1,disease\n", b"prediction_id,outcome\n987654,disease\n",
                 b"prediction_id,outcome\n1\n", b"\xff\xfe\x00", b'prediction_id,outcome\n"1,x\n'):
        answer = client.post("/api/v1/outcomes", data=body, content_type="text/csv",
                             headers=bearer(tokens["analyst"]))
        assert 400 <= answer.status_code < 500, body
    assert counts(app) == before


def test_outcomes_for_a_prediction_deleted_since_record_nothing(client, app, tokens):
    """Predictions can leave the store behind the portal's back (a retention job run on the
    database): their outcomes are refused like those of ids never issued."""
    from registry import serving
    from registry.models import Prediction

    with app.app_context():
        example = next(iter(app.extensions["modelhub.usecases"][HEART].examples.values()))
        kept, gone = serving.predict(HEART, [example, example], source="api").prediction_ids
        db.session.execute(sa.delete(Prediction).where(Prediction.id == gone))
        db.session.commit()
    before = counts(app)
    analyst = bearer(tokens["analyst"])
    single = client.post(f"/api/v1/predictions/{gone}/outcome", json={"outcome": "disease"},
                         headers=analyst)
    assert_error(single, 404)
    bulk = client.post("/api/v1/outcomes", headers=analyst, json={"outcomes": [
        {"prediction_id": kept, "outcome": "disease"},
        {"prediction_id": gone, "outcome": "disease"}]})
    assert str(gone) in json.dumps(assert_error(bulk, 422))
    table = client.post("/api/v1/outcomes", headers=analyst, content_type="text/csv",
                        data=f"prediction_id,outcome\n{kept},disease\n{gone},disease\n".encode())
    assert_error(table, 422)
    assert counts(app) == before
