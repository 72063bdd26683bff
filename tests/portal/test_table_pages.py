"""A use case made from a table gets the pages and API every use case has, while the portal
runs: home card, form with examples from real rows, explained result, JSON predictions."""
from __future__ import annotations

import pytest

from registry import table_usecases, versions
from tests.conftest import copy_instance, make_app
from tests.registry.test_jobs import wait_for
from tests.registry.test_table_usecases import NAME, spec, table_bytes


@pytest.fixture(scope="module")
def made(trained_instance, tmp_path_factory):
    """A portal with the built-in use cases and one made from a table, trained and live."""
    app = make_app(copy_instance(trained_instance, tmp_path_factory.mktemp("made") / "i"))
    app.test_client().get("/")  # the portal has served a request before the use case exists
    with app.app_context():
        _, job = table_usecases.create(NAME, "Exam scores", spec(), table_bytes(),
                                       actor="ada", filename="exams.csv")
    wait_for(app, job.id)
    with app.app_context():
        versions.promote(NAME, 1, actor="ada", reason="first")
    return app


def test_the_home_page_offers_it_beside_the_built_in_ones(made):
    page = made.test_client().get("/").get_data(as_text=True)
    assert f'href="/usecases/{NAME}/"' in page and "Exam scores" in page
    assert 'href="/usecases/heart-disease/"' in page


def test_its_form_has_its_fields_and_examples_from_real_rows(made):
    client = made.test_client()
    page = client.get(f"/usecases/{NAME}/").get_data(as_text=True)
    for label in ("Reading score", "Lunch", "Test preparation", "Teacher&#39;s notes"):
        assert label in page
    with made.app_context():
        title = next(iter(table_usecases.build(table_usecases.get(NAME)).examples))
    example = client.get(f"/usecases/{NAME}/", query_string={"example": title})
    assert example.status_code == 200
    assert client.get(f"/usecases/{NAME}/", query_string={"example": "nope"}).status_code == 404


def test_a_form_post_gives_an_explained_result_and_bad_input_a_400(made):
    client = made.test_client()
    answer = client.post(f"/usecases/{NAME}/", data={"reading_score": "80", "lunch": "standard",
                                                    "prepared": "true", "notes": ""},
                         follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Math score" in page
    assert "What moved the prediction" in page and "Reading score" in page
    bad = client.post(f"/usecases/{NAME}/", data={"reading_score": "800", "lunch": "caviar"})
    assert bad.status_code == 400 and "must be between 0 and 100" in bad.get_data(as_text=True)


def test_the_api_predicts_with_it_and_a_disabled_one_is_gone(made):
    client = made.test_client()
    row = {"reading_score": 55, "lunch": "free/reduced", "prepared": False, "notes": None}
    answer = client.post(f"/api/v1/usecases/{NAME}/predict", json={"inputs": row})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["prediction"]["result"]["summary"].startswith("Math score")
    detail = client.get(f"/api/v1/usecases/{NAME}").get_json()
    assert detail["target"]["name"] == "math_score"
    with made.app_context():
        table_usecases.set_enabled(NAME, False)
    try:
        assert client.get(f"/usecases/{NAME}/").status_code == 404
        assert client.post(f"/api/v1/usecases/{NAME}/predict",
                           json={"inputs": row}).status_code == 404
    finally:
        with made.app_context():
            table_usecases.set_enabled(NAME, True)


def test_a_built_in_name_is_not_served_by_the_tables_route(made):
    assert made.test_client().get("/usecases/no-such-thing/").status_code == 404
