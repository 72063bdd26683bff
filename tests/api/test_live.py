"""GET /api/v1/usecases/<name>/versions/<v>/live: a version's live metrics, for analysts and
admins, in the documented shape."""
from __future__ import annotations

import pytest

from registry import outcomes, serving
from tests.api.conftest import assert_documented, assert_error, bearer
from tests.labelled import new_patients

NAME = "heart-disease"
PATH = "/usecases/{name}/versions/{number}/live"


@pytest.fixture
def labelled(app):
    patients = new_patients(app, 25, seed=4)
    with app.app_context():
        made = serving.predict(NAME, [{k: v for k, v in p.items() if k != "diagnosis"}
                                      for p in patients], source="api")
        outcomes.record_many(zip(made.prediction_ids, [p["diagnosis"] for p in patients]),
                             "ann")


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_live_metrics_answer_in_the_documented_shape(client, tokens, spec, labelled, role):
    answer = client.get(f"/api/v1/usecases/{NAME}/versions/1/live", headers=bearer(tokens[role]))
    body = assert_documented(spec, PATH, "get", answer)
    assert body["count"] == 25 and body["primary_metric"] == "roc_auc"
    auc = body["metrics"]["roc_auc"]
    assert auc["count"] == 25 and auc["low"] <= auc["value"] <= auc["high"]
    assert body["offline"]["roc_auc"] > 0.8
    assert [d["count"] for d in body["days"]] == [25]


def test_live_metrics_need_a_token_and_name_bad_days(client, tokens, spec):
    assert_error(client.get(f"/api/v1/usecases/{NAME}/versions/1/live"), 401)
    answer = client.get(f"/api/v1/usecases/{NAME}/versions/1/live?since=2026-02-30&until=x",
                        headers=bearer(tokens["analyst"]))
    assert_error(answer, 422, "invalid_query", {"since", "until"})
    answer = client.get(f"/api/v1/usecases/{NAME}/versions/9/live",
                        headers=bearer(tokens["analyst"]))
    assert_error(answer, 404, "not_found")
    empty = client.get(f"/api/v1/usecases/{NAME}/versions/1/live?since=2030-01-01",
                       headers=bearer(tokens["admin"]))
    body = assert_documented(spec, PATH, "get", empty)
    assert body["count"] == 0 and body["metrics"]["roc_auc"]["value"] is None
