"""Versions, promotion, rollback, training and jobs through the API."""
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from registry import jobs, versions
from registry.jobs.runners import LocalProcess
from usecases import discover
from usecases.base import Dataset, TrainedModel

from tests.api.conftest import add_copy_of_production, assert_documented, assert_error, bearer

NAME = sorted(discover())[0]
BASE = f"/api/v1/usecases/{NAME}"


@pytest.fixture
def admin(tokens):
    return bearer(tokens["admin"])


@pytest.fixture
def queued_only(monkeypatch):
    """Queue training jobs without starting a worker process; returns the ids spawned."""
    spawned = []
    monkeypatch.setattr(LocalProcess, "submit", lambda _runner, job_id: spawned.append(job_id))
    return spawned


def test_versions_lists_newest_first_with_metadata(client, app, spec):
    with app.app_context():
        add_copy_of_production(NAME)
    body = assert_documented(spec, "/usecases/{name}/versions", "get",
                             client.get(f"{BASE}/versions"))
    assert [(v["version"], v["stage"]) for v in body["versions"]] == [(2, "candidate"),
                                                                     (1, "production")]
    one = assert_documented(spec, "/usecases/{name}/versions/{number}", "get",
                            client.get(f"{BASE}/versions/1"))
    assert one == body["versions"][1]


@pytest.mark.parametrize("role, shown", [(None, False), ("analyst", False), ("admin", True)])
def test_who_trained_libraries_and_digest_are_for_admins(client, tokens, spec, role, shown):
    """A stranger learns the metrics and the data's lineage, not an admin's name, the exact
    library releases (to match against advisories) or the artifact's digest."""
    headers = bearer(tokens[role]) if role else {}
    listed = assert_documented(spec, "/usecases/{name}/versions", "get",
                               client.get(f"{BASE}/versions", headers=headers))["versions"][0]
    one = assert_documented(spec, "/usecases/{name}/versions/{number}", "get",
                            client.get(f"{BASE}/versions/1", headers=headers))
    for found in (listed, one):
        assert "metrics" in found and "dataset" in found
        for key in ("trained_by", "library_versions", "artifact_sha256"):
            assert (key in found) is shown, (role, key)
    if shown:
        assert len(one["artifact_sha256"]) == 64 and "scikit-learn" in one["library_versions"]


def test_an_unknown_version_is_404(client):
    assert "no version 7" in assert_error(client.get(f"{BASE}/versions/7"), 404)["message"]


def test_promote_then_roll_back(client, app, admin, spec):
    with app.app_context():
        add_copy_of_production(NAME)
    response = client.post(f"{BASE}/versions/2/promote", json={"reason": " better "},
                           headers=admin)
    promoted = assert_documented(spec, "/usecases/{name}/versions/{number}/promote", "post",
                                 response)
    assert promoted | {"created_at": None} == {
        "usecase": NAME, "action": "promote", "from_version": 1, "to_version": 2,
        "actor": "admin-user", "reason": "better", "created_at": None,
        "against_policy": False, "gate": None}
    assert client.get(f"{BASE}").get_json()["production_version"] == 2
    back = assert_documented(spec, "/usecases/{name}/rollback", "post",
                             client.post(f"{BASE}/rollback", json={"reason": "drift"},
                                         headers=admin))
    assert (back["action"], back["from_version"], back["to_version"]) == ("rollback", 2, 1)
    with app.app_context():
        assert versions.production_version(NAME).version == 1


def test_what_the_registry_refuses_is_409(client, admin):
    error = assert_error(client.post(f"{BASE}/versions/1/promote", json={"reason": "again"},
                                     headers=admin), 409, "conflict")
    assert "already in production" in error["message"]
    error = assert_error(client.post(f"{BASE}/rollback", json={"reason": "why not"},
                                     headers=admin), 409, "conflict")
    assert "no earlier production version" in error["message"]


def test_promoting_an_unknown_version_or_usecase_is_404(client, admin):
    assert_error(client.post(f"{BASE}/versions/9/promote", json={"reason": "x"},
                             headers=admin), 404)
    assert_error(client.post("/api/v1/usecases/nope/rollback", json={"reason": "x"},
                             headers=admin), 404)


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 42},
                                  {"reason": "x" * 501}, {"reason": "ok", "force": True}])
def test_a_reason_is_required_text_of_at_most_500_chars(client, admin, body):
    error = assert_error(client.post(f"{BASE}/rollback", json=body, headers=admin), 422)
    assert set(error["fields"]) <= {"reason", "force"} and error["fields"]


def test_train_answers_202_with_where_to_follow_the_job(client, admin, spec, queued_only):
    response = client.post(f"{BASE}/train", headers=admin)
    job = assert_documented(spec, "/usecases/{name}/train", "post", response)
    assert response.status_code == 202 and queued_only == [job["id"]]
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    followed = assert_documented(spec, "/jobs/{job_id}", "get",
                                 client.get(response.headers["Location"], headers=admin))
    assert (followed["status"], followed["usecase"], followed["requested_by"]) == \
        ("queued", NAME, "admin-user")
    again = client.post(f"{BASE}/train", json={"promote": True}, headers=admin)
    assert "already training" in assert_error(again, 409, "conflict")["message"]


@pytest.mark.parametrize("body", [{"promote": "yes"}, {"epochs": 3}])
def test_train_options_are_checked(client, admin, queued_only, body):
    assert_error(client.post(f"{BASE}/train", json=body, headers=admin), 422)
    assert queued_only == []


def test_a_finished_job_names_the_version_it_made(client, app, admin, queued_only,
                                                  monkeypatch):
    """Run the queued job in this process with a stand-in trainer (the real one is tested in
    tests/registry); the API then reports the version it registered."""
    usecase = app.extensions["modelhub.usecases"][NAME]
    frame = pd.DataFrame({"x": [0, 1]})
    monkeypatch.setattr(usecase, "load_data", lambda: Dataset(frame, frame, "test"))
    monkeypatch.setattr(usecase, "train", lambda data, progress: TrainedModel(
        DummyClassifier().fit([[0], [1]], [0, 1]), {}, {usecase.primary_metric: 0.5}, []))
    # The job measures the stored model through evaluate(); the stand-in has its own figure.
    monkeypatch.setattr(usecase, "evaluate", lambda model, frame: {usecase.primary_metric: 0.5})
    job_id = client.post(f"{BASE}/train", headers=admin).get_json()["id"]
    with app.app_context():
        jobs.run(job_id)
    job = client.get(f"/api/v1/jobs/{job_id}", headers=admin).get_json()
    assert (job["status"], job["progress"], job["version"]) == ("succeeded", 1.0, 2)


def test_an_unknown_job_is_404(client, admin):
    assert_error(client.get("/api/v1/jobs/12345", headers=admin), 404, "not_found")
