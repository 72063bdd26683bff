"""The same predictions on SQLite and on PostgreSQL read back the same: every history query,
page, chart and export, and what `record` stores.

Both databases take part in every run (the PostgreSQL cluster starts on first use), so a query
that only one of them understands, or that they answer differently, fails here.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from registry import history, predictions
from registry.database import db
from registry.models import Outcome, Prediction
from tests.conftest import migrated_app, register_dummy

START = datetime(2026, 3, 1, 23, 59, 59, 999999)  # the first row sits on a day's last microsecond
ROWS = 400
HEART = "heart-disease"  # an installed use case: its export has one column per input
HEART_ROWS = 60
ALL = ROWS + HEART_ROWS


def results(rng: random.Random, usecase: str) -> list[dict]:
    """Outputs of the shapes use cases give: numbers (with ties and negatives), labels (with
    ties in frequency), ranked lists; summaries with NULs and past the column's size."""
    if usecase == "toy":
        value = rng.choice([rng.uniform(-50, 50), 7.0, 7.0, 0.0, -0.0])
        return [{"output": value, "summary": f"value {value:.2f}"}]
    if rng.random() < 0.5:
        label = rng.choice(["yes", "no", "maybe", "naïve ✓", "x" * 150])
        return [{"output": label, "summary": "\x00" + label + "\x00" * rng.randrange(3)}]
    items = [{"item": rng.choice(["Alien", "Heat", "Fargo"]), "score": rng.random()}]
    return [{"output": items, "summary": "s" * rng.randrange(290, 320)}]


@pytest.fixture
def apps(tmp_path):
    """A SQLite app and a PostgreSQL app holding the same predictions; `record` stored them."""
    rng = random.Random(7)
    calls = []
    for n in range(ROWS):
        usecase = rng.choice(["toy", "other"])
        inputs = [{"n": n, "text": rng.choice(["a", "\x00b", "ü"])}]
        moment = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 9), microseconds=n)
        calls.append((usecase, inputs, results(rng, usecase), rng.uniform(0, 30),
                      rng.choice(["form", "api", "batch"]), moment))
    calls += heart_calls(len(calls))
    made = {}
    for kind in ("sqlite", "postgresql"):
        app = migrated_app(tmp_path / kind, kind)
        with app.app_context():
            ids = {name: register_dummy(name).id for name in ("toy", "other", HEART)}
            handed_out = []
            for usecase, inputs, outputs, latency, source, _ in calls:
                handed_out += predictions.record(usecase, ids[usecase], 1, inputs, outputs,
                                                 latency_ms=latency, source=source)
            # Times from the spread above, so pages, days and date filters have work to do.
            table = Prediction.__table__
            db.session.execute(table.update().where(
                table.c.id == sa.bindparam("pid")).values(created_at=sa.bindparam("at")),
                [{"pid": pid, "at": call[5]} for pid, call in zip(handed_out, calls)])
            db.session.execute(Outcome.__table__.insert(), outcome_rows(handed_out))
            db.session.commit()
        made[kind] = (app, handed_out)
    return made


def heart_calls(start: int) -> list[tuple]:
    """Predictions of an installed use case, whose export has a column per input: whole and
    fractional numbers, negative ones, yes/no, unknowns, text with quotes and formula starts."""
    rng = random.Random(5)
    calls = []
    for n in range(HEART_ROWS):
        inputs = {"age": rng.randrange(18, 100), "sex": rng.choice(["Male", "Female"]),
                  "cp": rng.choice(["asymptomatic", '=say "x", y']),
                  "oldpeak": rng.choice([rng.uniform(-3, 8), -2.6, 1.0, None]),
                  "fbs": rng.choice([True, False, None])}
        if rng.random() < 0.2:
            del inputs["sex"]
        label = rng.choice(["disease", "no disease"])
        calls.append((HEART, [inputs], [{"output": label, "summary": label}],
                      rng.uniform(0, 30), rng.choice(["form", "api"]),
                      START + timedelta(minutes=rng.randrange(0, 60 * 24 * 9),
                                        microseconds=0 if n % 3 else start + n)))
    return calls


def outcome_rows(ids: list[int]) -> list[dict]:
    """Outcomes for about a third of the predictions (labels, awkward text, numbers, negative
    and whole ones), some corrected once: the earlier row kept, replaced."""
    rng = random.Random(11)
    moment = START + timedelta(days=10)
    rows = []
    for pid in ids:
        if rng.random() < 0.35:
            values = [rng.choice(["yes", "no", "=1+1", 'say "x"', "naïve ✓", 7, 7.5, -2, 1e20,
                                  {"movie_id": 858, "rating": 4.5}])
                      for _ in range(rng.choice([1, 1, 2]))]
            for n, value in enumerate(values):
                rows.append({"prediction_id": pid, "usecase": "toy", "value": value,
                             "recorded_by": "ann", "recorded_at": moment,
                             "replaced_at": moment if n < len(values) - 1 else None})
    return rows


FILTERS = [
    history.HistoryFilter(),
    history.HistoryFilter(usecase="toy"),
    history.HistoryFilter(usecase="other", source="api"),
    history.HistoryFilter(since=date(2026, 3, 3), until=date(2026, 3, 5)),
    history.HistoryFilter(until=date(2026, 3, 1)),
    history.HistoryFilter(version=2),
    history.HistoryFilter(outcome="recorded"),
    history.HistoryFilter(outcome="missing", usecase="toy"),
    history.HistoryFilter(outcome="yes"),
    history.HistoryFilter(outcome="=1+1", source="api"),
    history.HistoryFilter(usecase=HEART),
    history.HistoryFilter(usecase=HEART, source="form", outcome="missing"),
]


def on_both(apps, read):
    """What `read()` returns in each app."""
    answers = []
    for app, _ in apps.values():
        with app.app_context():
            app.config["SQLITE_FAST_PATHS"] = False
            answers.append(read())
    return answers


def test_record_hands_out_the_same_rising_ids_and_stores_the_same_rows(apps):
    (_, sqlite_ids), (_, postgres_ids) = apps.values()
    assert sqlite_ids == postgres_ids == list(range(1, ALL + 1))
    columns = [c for c in Prediction.__table__.columns]
    lite, pg = on_both(apps, lambda: db.session.execute(
        sa.select(*columns).order_by(Prediction.id)).all())
    assert lite == pg
    summaries = [row.summary for row in lite]
    assert not any("\x00" in s for s in summaries)
    assert max(map(len, summaries)) == predictions.SUMMARY_CHARS
    labels = [row.output_label for row in lite if row.output_label]
    assert max(map(len, labels)) == predictions.LABEL_CHARS
    # JSON inputs keep their NUL (escaped inside the JSON text) on both.
    assert any(row.inputs["text"] == "\x00b" for row in pg)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: str(f.to_args()) or "all")
def test_pages_walked_by_cursor_agree(apps, filters):
    def walk():
        ids, cursor = [], None
        while True:
            found = history.page(filters, before=cursor, limit=37)
            ids += [row.id for row in found.rows]
            if found.next_cursor is None:
                return ids
            cursor = found.next_cursor

    lite, pg = on_both(apps, walk)
    assert lite == pg
    if filters == history.HistoryFilter():
        assert len(lite) == ALL
    if filters.outcome:
        assert 0 < len(lite) < ALL


def test_pages_show_the_same_current_outcomes(apps):
    def outcomes():
        found = history.page(history.HistoryFilter(), limit=history.MAX_PAGE_SIZE)
        return found.outcomes

    lite, pg = on_both(apps, outcomes)
    assert lite == pg
    assert 0.2 * ALL < len(lite) < 0.5 * ALL
    assert {type(v) for v in lite.values()} == {str, int, float, dict}


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: str(f.to_args()) or "all")
def test_charts_agree(apps, filters):
    lite, pg = on_both(apps, lambda: history.charts(filters))
    assert lite.per_day == pg.per_day
    assert lite.label_shares == pg.label_shares
    assert lite.histogram == pg.histogram
    if filters.usecase == "toy":
        counts = [n for _, _, n in lite.histogram]
        assert sum(counts) == sum(n for _, n in lite.per_day) and counts[-1] > 0


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: str(f.to_args()) or "all")
def test_exports_agree_byte_for_byte(apps, filters):
    lite, pg = on_both(apps, lambda: "".join(history.export_csv(filters, chunk_rows=64)))
    assert lite == pg
    # And SQLite's own export (its fast path) writes the same text.
    sqlite_app = apps["sqlite"][0]
    with sqlite_app.app_context():
        sqlite_app.config["SQLITE_FAST_PATHS"] = True
        assert "".join(history.export_csv(filters, chunk_rows=64)) == lite
    header = lite.split("\r\n", 1)[0].split(",")
    if filters.usecase == HEART:  # a column per input, in the form's order
        assert header[9:12] == ["age", "sex", "cp"] and "inputs" not in header
        assert "'=say \"\"x\"\", y" in lite and ',"-2.6",' in lite
    else:
        assert header[-1] == "inputs"
