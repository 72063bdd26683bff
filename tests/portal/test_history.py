"""Analyst pages: the prediction history, its filters, pages, charts and CSV export."""
import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registry import predictions, serving, versions
from registry.database import db, utcnow
from registry.models import Prediction
from usecases import get_usecase

NAME = "heart-disease"


def seed(app, count: int = 1, source: str = "form") -> list[int]:
    """Make `count` real predictions of heart-disease from its examples; return their ids."""
    with app.app_context():
        examples = list(get_usecase(NAME).examples.values())
        rows = [examples[i % len(examples)] for i in range(count)]
        return serving.predict(NAME, rows, source=source).prediction_ids


def record(app, outputs, summary="made in a test", inputs=None, source="api") -> list[int]:
    """Store predictions with chosen outputs (numbers, labels) without a model that makes them."""
    with app.app_context():
        live = versions.production_version(NAME)
        return predictions.record(NAME, live.id, live.version,
                                  [inputs or {"x": 1}] * len(outputs),
                                  [{"output": o, "summary": summary} for o in outputs],
                                  latency_ms=1.0, source=source)


def move_back(app, ids, days: int) -> None:
    """Pretend some predictions were made `days` days ago."""
    with app.app_context():
        db.session.execute(sa.update(Prediction).where(Prediction.id.in_(ids))
                           .values(created_at=utcnow() - timedelta(days=days)))
        db.session.commit()


def shown_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="prediction">\s*<td>(\d+)</td>', page)]


def figures(page: str) -> dict[str, str]:
    """Each chart's SVG by its title."""
    found = re.findall(r'<figure class="chart">(.*?)</figure>', page, re.S)
    return {re.search(r'<title id="[^"]+">([^<]+)</title>', f).group(1): f for f in found}


@pytest.mark.parametrize("url", ["/history/", "/history/export.csv"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("username", ["ann", "ada"])
@pytest.mark.parametrize("url", ["/history/", "/history/export.csv"])
def test_analysts_and_admins_may_read_the_history(client, auth, username, url):
    auth.login(username)
    assert client.get(url).status_code == 200


def test_the_table_is_newest_first_with_readable_inputs(as_analyst, app):
    ids = seed(app, 3) + seed(app, 2, source="api")
    page = as_analyst.get("/history/").get_data(as_text=True)
    assert shown_ids(page) == sorted(ids, reverse=True)
    assert "Heart disease likely" in page or "Heart disease unlikely" in page
    assert re.search(r"age: \d+ · sex: \w+", page)
    assert "output: disease" in page or "output: no disease" in page


@pytest.mark.parametrize(("query", "expected"), [
    ("source=api", "api"), ("source=form", "form"), (f"usecase={NAME}", "all"),
    ("version=1", "all"), ("version=2", "none"), ("since={tomorrow}", "none"),
    ("until={yesterday}", "none"), ("since={today}&until={today}", "all"),
    ("source=batch", "none"),
])
def test_filters_pick_the_predictions(as_analyst, app, query, expected):
    made = {"form": seed(app, 3), "api": seed(app, 2, source="api")}
    made["all"], made["none"] = made["form"] + made["api"], []
    today = utcnow().date()
    query = query.format(today=today, tomorrow=today + timedelta(days=1),
                         yesterday=today - timedelta(days=1))
    response = as_analyst.get(f"/history/?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert sorted(shown_ids(page)) == sorted(made[expected])
    assert ("No predictions in this range." in page) == (expected == "none")


@pytest.mark.parametrize(("query", "field", "message"), [
    ("usecase=nope", "usecase", "is not a known use case"),
    ("version=abc", "version", "must be a whole number"),
    ("source=email", "source", "must be one of: form, api, batch"),
    ("since=yesterday", "since", "must be a date like"),
    ("since=2026-02-01&until=2026-01-01", "until", "must not be before since"),
    ("before=xyz", "before", "must be a whole number"),
])
def test_bad_filters_are_400_with_the_message_by_the_field(as_analyst, app, query, field, message):
    seed(app)
    for url in ("/history/", "/history/export.csv"):
        response = as_analyst.get(f"{url}?{query}")
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and message in page
        assert not shown_ids(page) and "<svg" not in page
    if field != "before":
        block = page.split(f'<label for="filter-{field}">')[1].split("</div>")[0]
        assert message in block


def test_older_pages_keep_the_filters(as_analyst, app):
    forms = seed(app, 60)
    seed(app, 5, source="api")
    first = as_analyst.get("/history/?source=form").get_data(as_text=True)
    assert shown_ids(first) == sorted(forms, reverse=True)[:50]
    older = re.search(r'<a rel="next" href="([^"]+)">Older</a>', first).group(1)
    older = older.replace("&amp;", "&")
    assert "source=form" in older and "before=" in older
    second = as_analyst.get(older).get_data(as_text=True)
    assert shown_ids(second) == sorted(forms, reverse=True)[50:]
    assert "Older</a>" not in second and "Newest</a>" in second


def test_inputs_are_escaped_and_long_text_is_cut(as_analyst, app):
    record(app, ["ok"], summary="<b>bold</b>",
           inputs={"note": "<script>alert(1)</script>", "essay": "word " * 100})
    page = as_analyst.get("/history/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    cell = re.search(r'<td class="inputs"[^>]*>([^<]*)</td>', page).group(1)
    assert cell.endswith("…") and len(cell) < 200


def test_charts_have_one_bar_per_day_and_per_label(as_analyst, app):
    today = seed(app, 4)
    move_back(app, seed(app, 2), days=2)
    move_back(app, seed(app, 1), days=5)
    page = as_analyst.get("/history/").get_data(as_text=True)
    charts = figures(page)
    per_day = charts["Predictions per day"]
    assert per_day.count('class="bar"') == 6  # five days back to today, empty days included
    assert re.search(r"<title>[\d-]+: 4 predictions</title>", per_day)
    labels = charts["Predicted labels and top items"]
    with app.app_context():
        distinct = {p.output_label for p in predictions.recent(NAME, limit=len(today) + 3)}
    assert labels.count('class="bar"') == len(distinct)
    assert "Distribution of numeric outputs" not in charts
    assert "style=" not in page and "<script>" not in page


def test_numeric_outputs_are_charted_as_a_histogram(as_analyst, app):
    record(app, [float(v) for v in range(100)])
    page = as_analyst.get("/history/?source=api").get_data(as_text=True)
    histogram = figures(page)["Distribution of numeric outputs"]
    assert histogram.count('class="bar"') == 20
    assert "<title>0 to 4.95: 5</title>" in histogram


def test_an_empty_range_says_so_instead_of_drawing(as_analyst, app):
    seed(app)
    page = as_analyst.get("/history/?source=batch").get_data(as_text=True)
    assert "No predictions in this range." in page and "<svg" not in page


def test_csv_export_has_the_header_and_one_line_per_filtered_prediction(as_analyst, app):
    forms = seed(app, 3)
    seed(app, 2, source="api")
    response = as_analyst.get("/history/export.csv?source=form")
    assert response.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="predictions-all-\d{8}-\d{4}\.csv"',
                        response.headers["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:5] == ["id", "created_at", "usecase", "version", "source"]
    assert [int(r[0]) for r in rows[1:]] == sorted(forms, reverse=True)
    assert {r[4] for r in rows[1:]} == {"form"}


def test_csv_export_neutralises_formula_like_cells(as_analyst, app):
    record(app, ["=1+1"], summary='=HYPERLINK("http://evil.example","click")')
    response = as_analyst.get(f"/history/export.csv?usecase={NAME}")
    assert f"predictions-{NAME}-" in response.headers["Content-Disposition"]
    header, row = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert row[header.index("summary")].startswith("'=HYPERLINK")
    assert not row[header.index("output")].startswith("=")
