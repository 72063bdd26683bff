"""Who may do what: no token, a bad token, a revoked token, an analyst's, an admin's."""
import pytest

from registry import jobs, users
from registry.jobs.runners import LocalProcess
from usecases import discover

from tests.api.conftest import assert_error, bearer

NAME = sorted(discover())[0]
REASON = {"reason": "a test"}

# (method, url, body, roles allowed)
GUARDED = [
    ("GET", "/api/v1/predictions", None, {"analyst", "admin"}),
    ("GET", "/api/v1/predictions.csv", None, {"analyst", "admin"}),
    ("POST", f"/api/v1/usecases/{NAME}/versions/1/promote", REASON, {"admin"}),
    ("POST", f"/api/v1/usecases/{NAME}/rollback", REASON, {"admin"}),
    ("POST", f"/api/v1/usecases/{NAME}/train", None, {"admin"}),
    ("GET", "/api/v1/jobs/1", None, {"admin"}),
]
OPEN = [("GET", "/api/v1/usecases"), ("GET", f"/api/v1/usecases/{NAME}"),
        ("GET", f"/api/v1/usecases/{NAME}/versions"),
        ("GET", f"/api/v1/usecases/{NAME}/versions/1"), ("GET", "/api/v1/openapi.json")]


@pytest.fixture(autouse=True)
def no_training_process(monkeypatch):
    """Queue training jobs without starting a worker process."""
    monkeypatch.setattr(LocalProcess, "submit", lambda _runner, job_id: None)


@pytest.mark.parametrize("method, url, body, roles", GUARDED)
def test_no_token_is_401_with_a_bearer_challenge(client, method, url, body, roles):
    response = client.open(url, method=method, json=body)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="modelhub"'


@pytest.mark.parametrize("header", ["Bearer mh_not-a-real-token", "Bearer ", "Basic YTpi",
                                    "mh_token-without-scheme", "Bearer " + "x" * 5000])
@pytest.mark.parametrize("method, url, body, roles", GUARDED[:1] + GUARDED[-1:])
def test_a_bad_token_is_401_invalid_token(client, tokens, method, url, body, roles, header):
    response = client.open(url, method=method, json=body, headers={"Authorization": header})
    assert_error(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("method, url, body, roles", GUARDED)
@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_each_role_gets_in_only_where_allowed(client, tokens, method, url, body, roles, role):
    # (job 1 exists: the bootstrap's training of the first use case)
    response = client.open(url, method=method, json=body, headers=bearer(tokens[role]))
    if role in roles:
        assert response.status_code not in (401, 403), response.get_data(as_text=True)[:300]
    else:
        assert "admin" in assert_error(response, 403, "forbidden")["message"]


def test_the_scheme_name_is_case_insensitive(client, tokens):
    headers = {"Authorization": "bearer " + tokens["analyst"]}
    assert client.get("/api/v1/predictions", headers=headers).status_code == 200


def test_a_revoked_token_stops_working(client, app, tokens):
    headers = bearer(tokens["analyst"])
    assert client.get("/api/v1/predictions", headers=headers).status_code == 200
    with app.app_context():
        users.revoke_token(users.find_user("analyst-user"))
    assert_error(client.get("/api/v1/predictions", headers=headers), 401)


def test_a_new_token_replaces_the_old_one(client, app, tokens):
    with app.app_context():
        fresh = users.issue_token(users.find_user("admin-user"))
    assert_error(client.get("/api/v1/jobs/1", headers=bearer(tokens["admin"])), 401)
    assert client.get("/api/v1/jobs/1", headers=bearer(fresh)).status_code == 200


@pytest.mark.parametrize("method, url", OPEN)
def test_reading_usecases_needs_no_token(client, method, url):
    assert client.open(url, method=method).status_code == 200
