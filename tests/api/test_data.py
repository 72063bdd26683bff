"""Labelled data through the API: uploads, dataset versions, outcomes, and retraining on them.

Runs on both databases (the API tests are in the PostgreSQL list). Heart disease is the use
case: a real trained model, real uploads, real retraining.
"""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from registry import jobs
from registry.database import db
from registry.datasets.combine import OUTCOMES
from registry.models import DatasetVersion, ModelVersion, Outcome

from tests.api.conftest import assert_documented, assert_error, bearer
from tests.labelled import as_csv, inputs, new_patients

NAME = "heart-disease"
BASE = f"/api/v1/usecases/{NAME}"


@pytest.fixture
def admin(tokens):
    return bearer(tokens["admin"])


@pytest.fixture
def analyst(tokens):
    return bearer(tokens["analyst"])


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(DatasetVersion)),
                db.session.scalar(sa.select(sa.func.count()).select_from(Outcome)))


def test_the_usecase_names_its_target(client):
    detail = client.get(BASE).get_json()
    assert detail["target"]["name"] == "diagnosis"
    assert detail["target"]["schema"]["enum"] == ["disease", "no disease"]
    assert detail["target"]["columns"][-1] == "diagnosis"
    movies = client.get("/api/v1/usecases/recommendation").get_json()["target"]
    assert movies["columns"] == ["user_id", "movie_id", "rating"]
    assert movies["outcome_schema"]["required"] == ["movie_id", "rating"]


def test_bootstrap_registered_the_built_in_data_as_version_1(client, admin, spec):
    listed = assert_documented(spec, "/usecases/{name}/datasets", "get",
                               client.get(f"{BASE}/datasets", headers=admin))
    first = listed["datasets"][-1]
    assert (first["version"], first["sources"], first["rows"], first["held_out_rows"]) == \
        (1, ["built-in"], 690, 230)
    assert first["trained_versions"] == [1]
    version = client.get(f"{BASE}/versions/1").get_json()
    assert version["dataset"]["id"] == first["id"]
    assert version["dataset"]["fingerprint"] == version["data_fingerprint"] == \
        first["fingerprint"]


def test_a_dry_run_reports_and_stores_nothing(client, app, admin, spec):
    rows = new_patients(app, 30)
    bad = dict(rows[0], age=250, diagnosis="maybe")
    body = as_csv(rows + [bad, rows[1]])
    before = counts(app)
    answer = client.post(f"{BASE}/datasets?dry_run=true", data=body,
                         content_type="text/csv", headers=admin)
    report = assert_documented(spec, "/usecases/{name}/datasets", "post", answer)["report"]
    assert (report["rows"], report["accepted"], report["refused"]) == (32, 31, 1)
    assert report["refusals"] == [
        {"line": 32, "column": "age", "reason": "must be between 18 and 100 years"},
        {"line": 32, "column": "diagnosis", "reason": "must be one of: disease, no disease"}]
    assert report["duplicates_in_file"] == 1
    assert report["differences"]["columns"]["age"]["kind"] == "number"
    assert report["differences"]["current"]["sources"] == ["built-in"]
    assert counts(app) == before


def test_refused_rows_store_nothing_unless_asked(client, app, admin):
    rows = new_patients(app, 10)
    body = as_csv(rows + [dict(rows[0], sex="Other")])
    before = counts(app)
    refused = client.post(f"{BASE}/datasets", data=body, content_type="text/csv", headers=admin)
    assert refused.status_code == 422
    assert refused.get_json()["report"]["refusals"][0]["column"] == "sex"
    assert counts(app) == before
    kept = client.post(f"{BASE}/datasets?skip_refused=true", data=body,
                       content_type="text/csv", headers=admin)
    assert kept.status_code == 201, kept.get_json()
    assert kept.get_json()["dataset"]["rows"] == 10
    assert counts(app)[0] == before[0] + 1


def test_an_upload_becomes_a_dataset_version(client, app, admin, spec):
    rows = new_patients(app, 120)
    answer = client.post(f"{BASE}/datasets", data={"file": (io.BytesIO(as_csv(rows)),
                                                            "new.csv")},
                         content_type="multipart/form-data", headers=admin)
    body = assert_documented(spec, "/usecases/{name}/datasets", "post", answer)
    dataset = body["dataset"]
    assert answer.status_code == 201 and answer.headers["Location"].endswith(
        f"/datasets/{dataset['version']}")
    unique = len({tuple(sorted(r.items(), key=str)) for r in
                  [{k: str(v) for k, v in row.items()} for row in rows]})
    # 120 rows or more: a fifth of them (fixed seed) is held out to measure on.
    assert dataset["rows"] + dataset["held_out_rows"] == unique
    assert 0 < dataset["held_out_rows"] < unique / 2
    assert (dataset["sources"], dataset["details"]["filename"]) == (["upload"], "new.csv")
    got = client.get(answer.headers["Location"], headers=admin)
    assert assert_documented(spec, "/usecases/{name}/datasets/{number}", "get",
                             got)["fingerprint"] == dataset["fingerprint"]


def test_json_lines_are_read_like_csv(client, app, admin):
    import json

    rows = new_patients(app, 5)
    body = "\n".join(json.dumps(row) for row in rows).encode()
    answer = client.post(f"{BASE}/datasets", data=body, content_type="application/x-ndjson",
                         headers=admin)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["report"]["format"] == "jsonl"


def test_uploads_need_an_admin(client, app, analyst):
    body = as_csv(new_patients(app, 3))
    assert_error(client.post(f"{BASE}/datasets", data=body, content_type="text/csv"), 401)
    assert_error(client.post(f"{BASE}/datasets", data=body, content_type="text/csv",
                             headers=analyst), 403)
    assert client.get(f"{BASE}/datasets", headers=analyst).status_code == 200


def test_ratings_and_watched_movies_retrain_the_recommender(client, app, admin, analyst):
    """Recommendation's labelled data is ratings: an upload of (user, movie, rating) rows and
    the movie a visitor then rated, both trained on as rating rows."""
    base = "/api/v1/usecases/recommendation"
    body = (b"user_id,movie_id,rating\n900,1,5\n900,260,4.5\n900,2571,4\n"
            b"900,99999,3\n15,858,3.7\n")
    report = client.post(f"{base}/datasets?dry_run=true", data=body, content_type="text/csv",
                         headers=admin).get_json()["report"]
    assert report["accepted"] == 3
    assert [(r["line"], r["column"]) for r in report["refusals"]] == [(5, "movie_id"),
                                                                      (6, "rating")]
    upload = client.post(f"{base}/datasets?skip_refused=true", data=body,
                         content_type="text/csv", headers=admin).get_json()["dataset"]
    made = client.post(f"{base}/predict", json={"inputs": {"movies": [1, 3114]}}).get_json()
    prediction = made["prediction"]["id"]
    for bad in ({"movie_id": 99999, "rating": 4}, {"movie_id": 858, "rating": 4.2}, 858):
        assert_error(client.post(f"/api/v1/predictions/{prediction}/outcome",
                                 json={"outcome": bad}, headers=analyst), 422)
    recorded = client.post(f"/api/v1/predictions/{prediction}/outcome",
                           json={"outcome": {"movie_id": 858, "rating": 5}}, headers=analyst)
    assert recorded.status_code == 201
    built_in = client.get(f"{base}/datasets", headers=admin).get_json()["datasets"][-1]
    queued = client.post(f"{base}/train", json={"datasets": [built_in["id"], upload["id"]],
                                                "include_outcomes": True}, headers=admin)
    with app.app_context():
        job = jobs.run(queued.get_json()["id"])
        assert job.status == "succeeded", job.error
        new = db.session.get(ModelVersion, job.model_version_id)
        by_source = new.dataset.details["rows_by_source"]
        # The visitor's two picks (liked) and the movie they then rated: three rating rows.
        assert by_source[OUTCOMES] == 3 and new.dataset.lineage()["outcomes"] == 3
        assert by_source[f"dataset version {upload['version']}"] == 3
        assert new.train_rows == built_in["rows"] + 6
        first = db.session.scalar(sa.select(ModelVersion).where(
            ModelVersion.usecase == "recommendation", ModelVersion.version == 1))
        assert new.params["users"] == first.params["users"] + 2  # user 900 and the visitor
        assert new.params["evaluation"]["held_out"] == first.params["evaluation"]["held_out"]


def test_retraining_on_the_built_in_data_plus_an_upload(client, app, admin):
    """A new version: a new fingerprint, rows that add up, metrics on the same held-out rows."""
    rows = new_patients(app, 150, seed=11)
    upload = client.post(f"{BASE}/datasets", data=as_csv(rows), content_type="text/csv",
                         headers=admin).get_json()["dataset"]
    datasets = client.get(f"{BASE}/datasets", headers=admin).get_json()["datasets"]
    built_in = next(d for d in datasets if d["sources"] == ["built-in"])
    queued = client.post(f"{BASE}/train", json={"datasets": [built_in["id"], upload["id"]]},
                         headers=admin)
    assert queued.status_code == 202
    with app.app_context():
        job = jobs.run(queued.get_json()["id"])
        assert job.status == "succeeded", job.error
        new = db.session.get(ModelVersion, job.model_version_id)
        first = db.session.scalar(sa.select(ModelVersion).where(
            ModelVersion.usecase == NAME, ModelVersion.version == 1))
        lineage = new.dataset.lineage()
        details = new.dataset.details
        assert lineage["sources"] == ["built-in", "upload"]
        assert lineage["parents"] == [built_in["id"], upload["id"]]
        assert lineage["fingerprint"] != built_in["fingerprint"]
        # Rows add up: the built-in rows as they were, plus the upload's rows to train on,
        # less those that repeat a row before them or one that is held out.
        from_upload = details["rows_by_source"][f"dataset version {upload['version']}"]
        assert details["rows_by_source"]["built-in"] == built_in["rows"]
        assert from_upload + details["repeats_dropped"] + details["held_out_rows_dropped"] \
            == upload["rows"]
        assert new.train_rows == lineage["rows"] == built_in["rows"] + from_upload
        # Measured on the very rows version 1 was measured on, and on the upload's held-out.
        evaluation = new.params["evaluation"]
        assert evaluation["held_out"] == first.params["evaluation"]["held_out"]
        assert new.test_rows == first.test_rows == 230
        assert evaluation["new_data"]["rows"] == upload["held_out_rows"]
        assert set(evaluation["new_data"]["metrics"]) >= {"roc_auc", "accuracy"}
    version = client.get(f"{BASE}/versions/{new.version}").get_json()
    assert version["dataset"]["rows"] == new.train_rows


def test_outcomes_are_recorded_corrected_and_trained_on(client, app, admin, analyst, spec):
    made = client.post(f"{BASE}/predict", json={"inputs": inputs(app, 4, seed=5)},
                       headers=admin).get_json()["predictions"]
    ids = [p["id"] for p in made]
    first = client.post(f"/api/v1/predictions/{ids[0]}/outcome", json={"outcome": "disease"},
                        headers=analyst)
    assert assert_documented(spec, "/predictions/{prediction_id}/outcome", "post",
                             first)["outcome"] == "disease"
    assert first.status_code == 201
    corrected = client.post(f"/api/v1/predictions/{ids[0]}/outcome",
                            json={"outcome": "no disease"}, headers=analyst).get_json()
    assert corrected["replaced"] == "disease"
    same = client.post(f"/api/v1/predictions/{ids[0]}/outcome",
                       json={"outcome": "no disease"}, headers=analyst)
    assert same.status_code == 200
    trail = assert_documented(spec, "/predictions/{prediction_id}/outcome", "get",
                              client.get(f"/api/v1/predictions/{ids[0]}/outcome",
                                         headers=analyst))
    assert [h["outcome"] for h in trail["history"]] == ["disease", "no disease"]
    assert trail["history"][0]["replaced_at"] is not None and trail["outcome"] == "no disease"
    bulk = client.post("/api/v1/outcomes", json={"outcomes": [
        {"prediction_id": ids[1], "outcome": "disease"},
        {"prediction_id": ids[2], "outcome": "no disease"}]}, headers=analyst)
    assert assert_documented(spec, "/outcomes", "post", bulk)["recorded"] == 2
    text = f"prediction_id,outcome\n{ids[3]},disease\n".encode()
    assert client.post("/api/v1/outcomes", data=text, content_type="text/csv",
                       headers=analyst).get_json()["recorded"] == 1
    queued = client.post(f"{BASE}/train", json={"include_outcomes": True}, headers=admin)
    with app.app_context():
        job = jobs.run(queued.get_json()["id"])
        assert job.status == "succeeded", job.error
        dataset = db.session.get(ModelVersion, job.model_version_id).dataset
        assert dataset.sources == ["built-in", "outcomes"]
        assert dataset.lineage()["outcomes"] == dataset.details["rows_by_source"]["outcomes"]
        assert dataset.details["rows_by_source"]["outcomes"] + \
            dataset.details["repeats_dropped"] == 4


@pytest.mark.parametrize("body, field", [
    ({"outcome": "maybe"}, "outcome"), ({"outcome": None}, "outcome"), ({}, "outcome"),
    ({"outcome": 1}, "outcome"), ({"outcome": "disease", "extra": 1}, "extra")])
def test_a_bad_outcome_is_refused_by_field(client, app, analyst, body, field):
    made = client.post(f"{BASE}/predict", json={"inputs": inputs(app, 1)[0]}).get_json()
    before = counts(app)
    answer = client.post(f"/api/v1/predictions/{made['prediction']['id']}/outcome", json=body,
                         headers=analyst)
    assert field in assert_error(answer, 422)["fields"]
    assert counts(app) == before


def test_outcomes_for_unknown_predictions(client, app, analyst):
    before = counts(app)
    assert_error(client.post("/api/v1/predictions/987654/outcome", json={"outcome": "disease"},
                             headers=analyst), 404, "not_found")
    assert_error(client.get("/api/v1/predictions/987654/outcome", headers=analyst), 404)
    made = client.post(f"{BASE}/predict", json={"inputs": inputs(app, 1)[0]}).get_json()
    answer = client.post("/api/v1/outcomes", json={"outcomes": [
        {"prediction_id": made["prediction"]["id"], "outcome": "disease"},
        {"prediction_id": 987654, "outcome": "disease"}]}, headers=analyst)
    assert assert_error(answer, 422)["fields"] == {
        "1.prediction_id": "there is no stored prediction 987654"}
    assert counts(app) == before  # all or none
    assert_error(client.post("/api/v1/predictions/1/outcome", json={"outcome": "disease"}), 401)


def test_a_dataset_trained_on_is_kept_others_can_go(client, app, admin):
    listed = client.get(f"{BASE}/datasets", headers=admin).get_json()["datasets"]
    built_in = listed[-1]
    kept = client.delete(f"{BASE}/datasets/{built_in['version']}", headers=admin)
    assert "trained on it" in assert_error(kept, 409, "conflict")["message"]
    upload = client.post(f"{BASE}/datasets", data=as_csv(new_patients(app, 3)),
                         content_type="text/csv", headers=admin).get_json()["dataset"]
    archived = client.post(f"{BASE}/datasets/{upload['version']}/archive", headers=admin)
    assert archived.get_json()["archived"] is True
    refused = client.post(f"{BASE}/train", json={"datasets": [upload["id"]]}, headers=admin)
    assert "archived" in assert_error(refused, 409)["message"]
    client.post(f"{BASE}/datasets/{upload['version']}/archive", json={"archived": False},
                headers=admin)
    assert client.delete(f"{BASE}/datasets/{upload['version']}", headers=admin).status_code == 204
    assert_error(client.get(f"{BASE}/datasets/{upload['version']}", headers=admin), 404)


@pytest.mark.parametrize("body", [{"datasets": "1"}, {"datasets": [True]},
                                  {"include_outcomes": "yes"}, {"datasets": [0]}])
def test_training_choices_are_checked(client, admin, body):
    assert_error(client.post(f"{BASE}/train", json=body, headers=admin), 422)


def test_training_on_an_unknown_or_foreign_dataset_is_404(client, admin):
    other = client.get("/api/v1/usecases/sentiment/datasets", headers=admin).get_json()
    foreign = other["datasets"][0]["id"]
    for ids in ([987654], [foreign]):
        assert_error(client.post(f"{BASE}/train", json={"datasets": ids}, headers=admin), 404)
