"""Analyst pages: the prediction history, its filters, pages, charts and CSV export."""
import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registry import outcomes, predictions, serving, versions
from registry.database import db, utcnow
from registry.models import Outcome, Prediction
from usecases import all_usecases, get_usecase

NAME = "heart-disease"


def seed(app, count: int = 1, source: str = "form", name: str = NAME) -> list[int]:
    """Make `count` real predictions of a use case from its examples; return their ids."""
    with app.app_context():
        examples = list(get_usecase(name).examples.values())
        rows = [examples[i % len(examples)] for i in range(count)]
        return serving.predict(name, rows, source=source).prediction_ids


def record(app, outputs, summary="made in a test", inputs=None, source="api",
           name=NAME) -> list[int]:
    """Store predictions with chosen outputs (numbers, labels) without a model that makes them."""
    with app.app_context():
        live = versions.production_version(name)
        return predictions.record(name, live.id, live.version,
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
    return [int(i) for i in re.findall(
        r'<tr class="prediction">\s*<td><a class="open" href="/history/predictions/(\d+)"', page)]


def figures(page: str) -> dict[str, str]:
    """Each chart's SVG by its title."""
    found = re.findall(r'<figure class="chart">(.*?)</figure>', page, re.S)
    return {re.search(r'<title id="[^"]+">([^<]+)</title>', f).group(1): f for f in found}


def record_outcomes(app, values: dict[int, object]) -> None:
    with app.app_context():
        outcomes.record_many(values.items(), "ann")


def outcome_rows(app) -> list[tuple]:
    """Every outcome row stored, current or replaced."""
    with app.app_context():
        return db.session.execute(sa.select(Outcome.prediction_id, Outcome.value,
                                            Outcome.recorded_by, Outcome.replaced_at.is_(None))
                                  .order_by(Outcome.id)).all()


OUTCOME_PAGES = ["/history/predictions/1", "/history/outcomes"]


@pytest.mark.parametrize("url", ["/history/", "/history/export.csv", *OUTCOME_PAGES])
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("url", OUTCOME_PAGES)
def test_anonymous_posts_record_nothing_and_are_sent_to_the_login_page(client, app, url):
    seed(app)
    response = client.post(url, data={"diagnosis": "disease", "rows": "1,disease"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert outcome_rows(app) == []


@pytest.mark.parametrize("username", ["ann", "ada"])
@pytest.mark.parametrize("url", ["/history/", "/history/export.csv"])
def test_analysts_and_admins_may_read_the_history(client, auth, username, url):
    auth.login(username)
    assert client.get(url).status_code == 200


def inputs_cells(page: str) -> list[str]:
    return re.findall(r'<td class="inputs"[^>]*>([^<]*)</td>', page)


def test_the_table_is_newest_first_with_inputs_and_outputs_in_words(as_analyst, app):
    ids = seed(app, 3) + seed(app, 2, source="api")
    page = as_analyst.get("/history/").get_data(as_text=True)
    assert shown_ids(page) == sorted(ids, reverse=True)
    assert "Heart disease likely" in page or "Heart disease unlikely" in page
    # The form's labels and the choices' labels, numbers with their unit; no codes.
    cells = inputs_cells(page)
    assert len(cells) == 5 and all(re.match(r"Age: \d+ years · Sex: (Male|Female) · "
                                            r"Chest pain type: [A-Z]", c) for c in cells)
    assert any("Chest pain type: No chest pain (asymptomatic)" in c for c in cells)
    assert not any(re.search(r"\b(age|cp|thalch):", c) for c in cells)
    outputs = re.findall(r'<span class="meta output">([^<]*)</span>', page)
    assert len(outputs) == 5 and set(outputs) <= {"Heart disease", "No heart disease"}
    # Each row opens the stored prediction.
    for pid in ids:
        assert f'<a class="open" href="/history/predictions/{pid}"' in page


def test_recommendations_show_movie_titles_not_ids(as_analyst, app):
    seed(app, 4, name="recommendation")
    page = as_analyst.get("/history/?usecase=recommendation").get_data(as_text=True)
    cells = inputs_cells(page)
    assert any("Movies you like: Star Wars" in c for c in cells)
    assert any("MovieLens user id: 15" in c for c in cells)
    assert not any(re.search(r"\b(260|1196), ", c) for c in cells)
    outputs = re.findall(r'<span class="meta output">([^<]*)</span>', page)
    assert len(outputs) == 4 and all(re.match(r"[^#\d].* \(\d{4}\), ", o) for o in outputs)
    chart = figures(page)["Top recommendation"]
    bars = re.findall(r'<rect class="bar"[^>]*><title>([^<]+)</title>', chart)
    assert bars and all(re.match(r".+ \(\d{4}\): \d+ \(\d+%\)$", b) for b in bars)
    assert not any(re.match(r"#?\d+: ", b) for b in bars)


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
    assert ("No prediction matches these filters." in page) == (expected == "none")


@pytest.mark.parametrize(("query", "field", "message"), [
    ("usecase=nope", "usecase", "is not a known use case"),
    ("version=abc", "version", "must be a whole number"),
    ("source=email", "source", "must be one of: form, api, batch"),
    ("since=yesterday", "since", "must be a date like"),
    ("since=2026-02-01&until=2026-01-01", "until", "must not be before since"),
    ("before=xyz", "before", "must be a whole number"),
    ("outcome=perhaps", "outcome", "must be one of: recorded, missing, disease, no disease"),
    ("usecase=student-score&outcome=disease", "outcome", "must be one of: recorded, missing"),
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


def test_one_use_case_s_charts_have_one_bar_per_day_and_per_label_in_words(as_analyst, app):
    today = seed(app, 4)
    move_back(app, seed(app, 2), days=2)
    move_back(app, seed(app, 1), days=5)
    seed(app, 3, name="sentiment")  # another use case's labels stay out of this chart
    page = as_analyst.get(f"/history/?usecase={NAME}").get_data(as_text=True)
    charts = figures(page)
    per_day = charts["Predictions per day"]
    assert per_day.count('class="bar"') == 6  # five days back to today, empty days included
    assert re.search(r"<title>[\d-]+: 4 predictions</title>", per_day)
    labels = charts["Predicted diagnosis"]
    with app.app_context():
        made = predictions.recent(NAME, limit=len(today) + 3)
    words = {"disease": "Heart disease", "no disease": "No heart disease"}
    shown = re.findall(r'<rect class="bar"[^>]*><title>([^:<]+): (\d+) ', labels)
    assert sorted(shown) == sorted(
        (words[label], str(sum(p.output_label == label for p in made)))
        for label in {p.output_label for p in made})
    assert ">Diagnosis</text>" in labels and "great" not in labels and "Five stars" not in labels
    assert len(charts) == 2 and "pick-usecase" not in page
    assert "style=" not in page and "<script>" not in page


def test_all_use_cases_get_the_per_day_chart_and_a_choice_of_one_for_the_rest(as_analyst, app):
    seed(app, 2)
    seed(app, 2, name="sentiment")
    page = as_analyst.get("/history/?source=form&version=1&outcome=missing").get_data(
        as_text=True)
    assert list(figures(page)) == ["Predictions per day"]
    assert figures(page)["Predictions per day"].count("4 predictions") == 1
    panel = page.split('class="panel pick-usecase"')[1].split("</section>")[0]
    assert "charted one use case at a time" in panel
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', panel)
    with app.app_context():
        installed = {name: usecase.title for name, usecase in all_usecases().items()}
    assert [title for _, title in links] == list(installed.values())
    # Each link keeps the days, the source and the outcome state; versions are per use case.
    for (link, _), name in zip(links, installed):
        assert link.replace("&amp;", "&") == (
            f"/history/?usecase={name}&source=form&outcome=missing")
    chosen = as_analyst.get(links[0][0].replace("&amp;", "&")).get_data(as_text=True)
    assert "Predicted diagnosis" in figures(chosen) and "pick-usecase" not in chosen


def test_numeric_outputs_are_charted_as_a_histogram_in_words(as_analyst, app):
    record(app, [float(v) for v in range(100)], name="student-score")
    page = as_analyst.get("/history/?usecase=student-score").get_data(as_text=True)
    histogram = figures(page)["Predicted first-grade math score"]
    assert histogram.count('class="bar"') == 20
    assert "<title>0 to 4.95: 5</title>" in histogram
    assert ">First-grade math score</text>" in histogram
    assert "Predicted value" not in page


def test_an_empty_range_says_why_instead_of_drawing(as_analyst, app):
    page = as_analyst.get("/history/").get_data(as_text=True)
    assert "No prediction has been stored yet." in page and "<svg" not in page
    seed(app)
    page = as_analyst.get("/history/?source=batch").get_data(as_text=True)
    assert "No prediction matches these filters." in page and "<svg" not in page
    assert "No prediction has been stored yet." not in page


def test_the_version_filter_offers_the_versions_there_are(as_analyst, app):
    with app.app_context():
        from tests.conftest import add_copy_of_production
        add_copy_of_production(NAME)
    page = as_analyst.get(f"/history/?usecase={NAME}&version=2").get_data(as_text=True)
    choices = re.search(r'<select id="filter-version".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d*)"', choices) == ["", "1", "2"]
    assert '<option value="2" selected>v2</option>' in choices


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
    record(app, ["=1+1"], summary='=HYPERLINK("http://evil.example","click")',
           inputs={"age": 54, "sex": "@Male", "oldpeak": -1.5})
    response = as_analyst.get(f"/history/export.csv?usecase={NAME}")
    assert f"predictions-{NAME}-" in response.headers["Content-Disposition"]
    header, row = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert row[header.index("summary")].startswith("'=HYPERLINK")
    assert row[header.index("output")] == "'=1+1" and row[header.index("sex")] == "'@Male"
    assert row[header.index("oldpeak")] == "-1.5"  # a number is never a formula


def test_one_use_case_s_csv_has_a_column_per_input_and_plain_values(as_analyst, app):
    ids = seed(app, 3)
    record_outcomes(app, {ids[0]: "disease"})
    text = as_analyst.get(f"/history/export.csv?usecase={NAME}").get_data(as_text=True)
    header, *rows = list(csv.reader(io.StringIO(text)))
    with app.app_context():
        fields = [f.name for f in get_usecase(NAME).fields]
        stored = {p.id: p for p in predictions.recent(NAME)}
    assert header == ["id", "created_at", "usecase", "version", "source", "summary", "output",
                      "latency_ms", "outcome", *fields]
    assert [int(r[0]) for r in rows] == sorted(ids, reverse=True)
    for row in rows:
        cells, made = dict(zip(header, row)), stored[int(row[0])]
        assert cells["output"] == made.output and cells["output"] in ("disease", "no disease")
        assert cells["created_at"] == made.created_at.isoformat() + "Z"
        for name in fields:
            value = made.inputs.get(name)
            expected = ("" if value is None else ("true" if value else "false")
                        if isinstance(value, bool) else str(value))
            assert cells[name] == expected, name
    assert dict(zip(header, rows[-1]))["outcome"] == "disease"
    # With every use case, the inputs stay one JSON column: each names its inputs its own way.
    header = next(csv.reader(io.StringIO(
        as_analyst.get("/history/export.csv").get_data(as_text=True))))
    assert header[-1] == "inputs" and "age" not in header


def test_each_row_shows_its_current_outcome_and_links_to_its_page(as_analyst, app):
    ids = seed(app, 3)
    record_outcomes(app, {ids[0]: "disease", ids[1]: "disease"})
    record_outcomes(app, {ids[1]: "no disease"})
    page = as_analyst.get("/history/").get_data(as_text=True)
    cells = dict(re.findall(r'<a href="/history/predictions/(\d+)"\s+title="[^"]*">([^<]+)</a>',
                            page))
    assert cells == {str(ids[0]): "Heart disease", str(ids[1]): "No heart disease",
                     str(ids[2]): "record…"}


@pytest.mark.parametrize(("query", "picked"), [
    ("outcome=recorded", [0, 1]), ("outcome=missing", [2, 3]), ("outcome=disease", [0]),
    ("outcome=no+disease", [1]), (f"outcome=recorded&usecase={NAME}&source=form", [0, 1]),
    ("outcome=great", [])])
def test_the_outcome_filter_picks_the_rows_and_their_export(as_analyst, app, query, picked):
    ids = seed(app, 4)
    record_outcomes(app, {ids[0]: "no disease", ids[1]: "no disease"})
    record_outcomes(app, {ids[0]: "disease"})
    page = as_analyst.get(f"/history/?{query}").get_data(as_text=True)
    assert shown_ids(page) == sorted((ids[i] for i in picked), reverse=True)
    if picked:  # the filter is kept in the export link, and the export has the outcomes
        link = re.search(r'href="(/history/export\.csv\?[^"]+)"', page).group(1)
        assert "outcome=" in link
        rows = list(csv.DictReader(io.StringIO(
            as_analyst.get(link.replace("&amp;", "&")).get_data(as_text=True))))
        assert [int(r["id"]) for r in rows] == shown_ids(page)
        assert {r["outcome"] for r in rows} <= {"", "disease", "no disease"}


def test_the_outcome_filter_offers_the_chosen_use_case_s_values(as_analyst, app):
    page = as_analyst.get(f"/history/?usecase={NAME}").get_data(as_text=True)
    options = page.split('id="filter-outcome"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', options) == [
        "", "recorded", "missing", "disease", "no disease"]
    # Values are the codes the filter takes; people read the target's labels.
    assert re.findall(r'<option value="[^"]*"(?: selected)?>([^<]*)</option>', options) == [
        "any", "recorded", "missing", "Heart disease", "No heart disease"]
    page = as_analyst.get("/history/?usecase=student-score").get_data(as_text=True)
    options = page.split('id="filter-outcome"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', options) == ["", "recorded", "missing"]


def test_a_prediction_s_page_shows_inputs_output_and_a_choice_of_outcomes(as_analyst, app):
    (pid,) = seed(app)
    page = as_analyst.get(f"/history/predictions/{pid}").get_data(as_text=True)
    assert f"Prediction {pid}" in page and "none recorded" in page
    assert re.search(r'<th scope="row">Age</th><td>\d+ years</td>', page)
    assert re.search(r'<th scope="row">Chest pain type</th><td>[A-Z][^<]+</td>', page)
    assert re.search(r'<span class="meta output">(No heart|Heart) disease</span>', page)
    form = page.split(f'action="/history/predictions/{pid}"')[1].split("</form>")[0]
    assert 'name="csrf_token"' in form and '<select id="f-diagnosis" name="diagnosis"' in form
    assert re.findall(r'<option value="([^"]+)"', form) == ["disease", "no disease"]
    assert "Record the outcome" in form and "recorded-outcome" not in page


@pytest.mark.parametrize("name", ["heart-disease", "student-score", "sentiment",
                                  "recommendation"])
def test_a_prediction_s_page_explains_it_as_the_version_that_made_it_scores_it(as_analyst, app,
                                                                              name):
    (pid,) = seed(app, name=name)
    with app.app_context():
        count = predictions.count()
        again = serving.rescore(db.session.get(Prediction, pid))
    page = as_analyst.get(f"/history/predictions/{pid}").get_data(as_text=True)
    section = page.split('class="panel explained"')[1].split("</section>")[0]
    assert "scored again by model v1" in section
    bars = re.findall(r'<li class="effect-(raises|lowers|none)" data-effect="([^"]+)">', section)
    assert [float(effect) for _, effect in bars] == pytest.approx(
        [item["effect"] for item in again["explanation"]])
    assert bars and '<svg class="effect-bar"' in section
    with app.app_context():
        assert predictions.count() == count  # looking stores nothing


def test_a_prediction_whose_version_cannot_be_loaded_says_so_instead(as_analyst, app):
    seed(app)
    with app.app_context():
        from tests.conftest import add_copy_of_production
        number = add_copy_of_production(NAME)
        copy = versions.get_version(NAME, number)
        inputs = next(iter(get_usecase(NAME).examples.values()))
        (pid,) = predictions.record(NAME, copy.id, copy.version, [inputs],
                                    [{"output": "disease", "summary": "made by the copy"}],
                                    latency_ms=1.0, source="api")
        versions.artifact_store().resolve(copy.artifact_path).write_bytes(b"not a model")
    response = as_analyst.get(f"/history/predictions/{pid}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "made by the copy" in page
    section = page.split('class="panel explained"')[1].split("</section>")[0]
    assert (f"The explanation cannot be shown: {NAME} version {number}&#39;s model cannot be "
            "loaded") in section
    assert "effect-bar" not in section and 'class="explanation"' not in section
    assert re.search(r'<th scope="row">Age</th>', page)  # the stored facts are still shown


def test_recording_then_correcting_keeps_the_audit_trail(as_analyst, app):
    (pid,) = seed(app)
    response = as_analyst.post(f"/history/predictions/{pid}", data={"diagnosis": "disease"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/history/predictions/{pid}"
    page = as_analyst.get(response.headers["Location"]).get_data(as_text=True)
    assert "Outcome recorded: disease." in page and "Correct the outcome" in page
    response = as_analyst.post(f"/history/predictions/{pid}", data={"diagnosis": "no disease"},
                               follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Outcome corrected: disease → no disease." in page
    # As recorded (what the outcome filter and a bulk CSV take), then in words.
    assert re.search(r"Current outcome:\s*<strong>no disease</strong> "
                     r'<span class="outcome-words">\(No heart disease\)</span>', page)
    trail = re.findall(r'<tr class="recorded-outcome">\s*<td>([^<]+)</td><td>([^<]+)</td>'
                       r'\s*<td>[^<]+</td>\s*<td>([^<]+)</td>', page)
    assert [(value, who) for value, who, _ in trail] == [("no disease", "ann"), ("disease", "ann")]
    assert trail[0][2] == "current" and trail[1][2] != "current"
    again = as_analyst.post(f"/history/predictions/{pid}", data={"diagnosis": "no disease"},
                            follow_redirects=True).get_data(as_text=True)
    assert "already the current outcome" in again
    assert outcome_rows(app) == [(pid, "disease", "ann", False), (pid, "no disease", "ann", True)]


def test_a_number_target_gets_a_number_input(as_admin, app):
    (pid,) = seed(app, name="student-score")
    page = as_admin.get(f"/history/predictions/{pid}").get_data(as_text=True)
    assert re.search(r'<input type="number" id="f-math1" name="math1"', page)
    assert as_admin.post(f"/history/predictions/{pid}", data={"math1": "512"}).status_code == 302
    assert outcome_rows(app) == [(pid, 512, "ada", True)]


@pytest.mark.parametrize(("name", "data", "message"), [
    (NAME, {"diagnosis": "maybe"}, "must be one of"),
    (NAME, {"diagnosis": ""}, "is required"),
    (NAME, {}, "is required"),
    ("student-score", {"math1": "lots"}, "must be a number"),
    ("student-score", {"math1": "9000"}, "must be between 300 and 800"),
    ("recommendation", {"outcome": "x"}, "must be a movie id and its stars"),
])
def test_an_invalid_outcome_is_422_next_to_the_field_and_records_nothing(as_analyst, app, name,
                                                                          data, message):
    (pid,) = seed(app, name=name)
    response = as_analyst.post(f"/history/predictions/{pid}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert re.search(r'<p class="error"[^>]*role="alert">[^<]*' + re.escape(message), page)
    assert outcome_rows(app) == []


def test_unknown_predictions_are_404(as_analyst, app):
    seed(app)
    for url in ("/history/predictions/999", "/history/predictions/2147483647"):
        assert as_analyst.get(url).status_code == 404
        assert as_analyst.post(url, data={"diagnosis": "disease"}).status_code == 404
    assert as_analyst.get("/history/predictions/99999999999").status_code == 404
    assert outcome_rows(app) == []


def test_the_bulk_page_records_every_pasted_row(as_analyst, app):
    ids = seed(app, 2) + seed(app, name="student-score")
    page = as_analyst.get("/history/outcomes").get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'enctype="multipart/form-data"' in page
    rows = f"prediction_id,outcome\r\n{ids[0]},disease\n\n {ids[1]} , no disease \n{ids[2]},505\n"
    response = as_analyst.post("/history/outcomes", data={"rows": rows})
    assert response.status_code == 302 and response.headers["Location"] == "/history/outcomes"
    assert "Recorded 3 outcome(s)" in as_analyst.get("/history/outcomes").get_data(as_text=True)
    assert outcome_rows(app) == [(ids[0], "disease", "ann", True),
                                 (ids[1], "no disease", "ann", True), (ids[2], 505, "ann", True)]


def test_the_bulk_page_takes_an_uploaded_file(as_analyst, app):
    ids = seed(app, 2)
    body = f"\ufeffprediction_id,outcome\n{ids[0]},disease\n{ids[1]},disease\n".encode()
    response = as_analyst.post("/history/outcomes", data={
        "rows": "ignored", "file": (io.BytesIO(body), "outcomes.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert [row[:2] for row in outcome_rows(app)] == [(ids[0], "disease"), (ids[1], "disease")]


def test_the_bulk_page_lists_each_refused_row_and_records_nothing(as_analyst, app):
    ids = seed(app, 3)
    rows = "\n".join([f"{ids[0]},disease", "999999,disease", f"{ids[1]},perhaps",
                      f"{ids[2]},no disease", "abc,disease"])
    response = as_analyst.post("/history/outcomes", data={"rows": rows})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nothing was recorded: 3 row(s) are refused." in page
    refused = re.findall(r'<tr class="refused-row"><td>(\d+)</td><td>(\d+)</td><td>([^<]*)</td>'
                         r'<td>([^<]*)</td></tr>', page)
    assert [(row, line, ident) for row, line, ident, _ in refused] == [
        ("2", "2", "999999"), ("3", "3", str(ids[1])), ("5", "5", "abc")]
    assert "there is no stored prediction 999999" in refused[0][3]
    assert refused[1][3].startswith("outcome ") and "whole number" in refused[2][3]
    assert f"{ids[2]},no disease" in page  # the pasted rows come back to be fixed
    assert outcome_rows(app) == []


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"rows": ""}, 400, "There are no rows"),
    ({"rows": "prediction_id,outcome\n"}, 400, "There are no rows"),
    ({"rows": "1,disease,extra"}, 400, "Line 1 has 3 cell(s)"),
    ({"rows": '1,"disease'}, 400, "is not valid CSV"),
    ({"file": (io.BytesIO(b"1,\xff\xfe"), "bad.csv")}, 400, "not UTF-8"),
    ({"rows": "\n".join(f"{n},disease" for n in range(1, 10_002))}, 413, "the limit is 10,000"),
])
def test_the_bulk_page_refuses_unreadable_input(as_analyst, app, data, status, message):
    seed(app)
    response = as_analyst.post("/history/outcomes", data=data,
                               content_type="multipart/form-data")
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert outcome_rows(app) == []
