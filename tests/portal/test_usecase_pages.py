"""Visitor pages: the menu, a use case's form, its result, and invalid input."""
import pytest
from markupsafe import escape

from registry import predictions
from tests.conftest import assert_stored_with_version
from usecases import measures

NAMES = ["heart-disease", "recommendation", "sentiment", "student-score"]


def test_home_lists_every_usecase_with_its_production_version(client, app):
    page = client.get("/").get_data(as_text=True)
    for name, usecase in app.extensions["modelhub.usecases"].items():
        assert usecase.title in page and f"/usecases/{name}/" in page
    assert "version 1" in page


@pytest.mark.parametrize("name", NAMES)
def test_form_shows_every_field_and_the_examples(client, app, name):
    usecase = app.extensions["modelhub.usecases"][name]
    page = client.get(f"/usecases/{name}/").get_data(as_text=True)
    for field in usecase.fields:
        assert f'name="{field.name}"' in page
    assert page.count("?example=") == len(usecase.examples)
    assert "About this model" in page
    label, sentence = measures.describe(usecase.primary_metric)
    assert label != usecase.primary_metric and f">{label}</abbr>" in page
    assert str(escape(sentence)) in page


@pytest.mark.parametrize("name", NAMES)
def test_each_example_predicts_and_is_stored(client, app, name):
    usecase = app.extensions["modelhub.usecases"][name]
    for title, inputs in usecase.examples.items():
        form = {k: _form_value(v) for k, v in inputs.items() if v is not None}
        response = client.post(f"/usecases/{name}/", data=form, follow_redirects=True)
        assert response.status_code == 200, title
        assert "Made by model version 1" in response.get_data(as_text=True)
    with app.app_context():
        stored = predictions.recent(name)
        assert len(stored) == len(usecase.examples)
        assert {p.source for p in stored} == {"form"} and all(p.version == 1 for p in stored)
    assert_stored_with_version(app, [p.id for p in stored], name, 1, "form")


def test_invalid_input_keeps_values_and_names_fields(client, app):
    response = client.post("/usecases/heart-disease/", data={"age": "300", "sex": "Robot"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="300"' in page and "must be between" in page and "must be one of" in page
    with app.app_context():
        assert predictions.count() == 0


def test_unknown_example_is_404(client):
    assert client.get("/usecases/heart-disease/?example=nope").status_code == 404


def _form_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def test_a_review_page_has_one_headline_and_says_what_vader_is(client):
    page = client.post("/usecases/sentiment/", data={"review": "Stale, bitter and overpriced."},
                       follow_redirects=True).get_data(as_text=True)
    assert page.count('class="summary"') == 1
    # The review as written, its words that moved the score marked in the bars' colours.
    assert '<blockquote class="review-marked">' in page
    assert '<mark class="effect-lowers" title="lowers the chance of five stars' in page
    assert "Not a second verdict" in page
    # VADER's shares in the colours the bars use: positive warm, negative blue.
    assert '<li class="effect-raises">' in page and '<li class="effect-lowers">' in page


def test_a_review_over_the_limit_is_refused_with_its_text_kept_never_cut(client, app):
    form = client.get("/usecases/sentiment/").get_data(as_text=True)
    assert "maxlength" not in form  # a browser would cut a pasted review silently
    assert "At most 5,000 characters." in form
    long_review = "Rich and smooth coffee. " * 250  # 6,000 characters
    answer = client.post("/usecases/sentiment/", data={"review": long_review})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "must be at most 5000 characters" in page and long_review.strip() in page
    with app.app_context():
        assert predictions.count("sentiment") == 0


def test_the_recommendation_form_asks_for_recommendations_in_plain_words(client):
    page = client.get("/usecases/recommendation/").get_data(as_text=True)
    assert '<button type="submit">Recommend</button>' in page
    assert "How many movies (movies)" not in page and "How many <span" in page
    assert '<button type="submit">Predict</button>' in client.get(
        "/usecases/heart-disease/").get_data(as_text=True)


def test_no_movie_expected_to_be_disliked_is_recommended_because_of_a_like(client):
    body = {"inputs": [{"movies": [260, 1196, 1214, 2571], "count": 50},
                       {"user_id": 15, "count": 50}, {"movies": [1, 3114], "count": 50}]}
    answer = client.post("/api/v1/usecases/recommendation/predict", json=body).get_json()
    items = [item for made in answer["predictions"] for item in made["result"]["items"]]
    assert any(item["because"] for item in items)
    for item in items:
        if item["because"]:
            assert item["predicted_rating"] >= 3.0, item


def test_metrics_read_the_same_on_every_page(client, app):
    """One way of writing each figure: the form's about box and the model card agree, and a
    classifier's counts are drawn as a confusion matrix."""
    with app.app_context():
        from registry import versions
        metrics = versions.production_version("heart-disease").metrics
    about = client.get("/usecases/heart-disease/").get_data(as_text=True)
    card = client.get("/usecases/heart-disease/versions/1/card").get_data(as_text=True)
    written = f"{metrics['roc_auc']:.3f}"
    assert written in about and written in card
    for page in (about, card):
        assert 'class="metrics confusion"' in page
        assert f"{metrics['false_negatives']} missed" in page
        assert ">true_positives<" not in page


def test_a_result_has_its_own_page_that_a_reload_does_not_store_again(client, app):
    posted = client.post("/usecases/heart-disease/",
                         data={"age": "58", "sex": "Male", "cp": "asymptomatic"})
    assert posted.status_code == 303
    where = posted.headers["Location"]
    assert where.startswith("/usecases/heart-disease/results/")
    with app.app_context():
        stored = predictions.count("heart-disease")
    first = client.get(where).get_data(as_text=True)
    again = client.get(where).get_data(as_text=True)  # a reload, or the address kept
    with app.app_context():
        assert predictions.count("heart-disease") == stored == 1
        row = predictions.recent("heart-disease")[0]
    assert first == again and f"prediction #{row.id}" in first
    # Beside the result, the inputs used, as a form to change one and predict again.
    assert 'class="panel again"' in first and 'name="age"' in first and 'value="58"' in first
    assert "Predict again</button>" in first


def test_a_result_page_opens_only_with_its_signed_address(client, app):
    where = client.post("/usecases/heart-disease/",
                        data={"age": "58", "sex": "Male", "cp": "asymptomatic"}
                        ).headers["Location"]
    token = where.rsplit("/", 1)[1]
    forged = token.split(".")[0] + "." + "A" * 27  # the id with a made-up signature
    assert client.get(f"/usecases/heart-disease/results/{forged}").status_code == 404
    assert client.get("/usecases/heart-disease/results/1").status_code == 404  # counting
    assert client.get(f"/usecases/student-score/results/{token}").status_code == 404
