"""One error shape for the API (and pages for people): malformed, too large, wrong type, unknown
routes and methods, and the safety net for a bug."""

import pytest

from portal.api.errors import error_response
from registry import serving
from usecases import discover

from tests.api.conftest import assert_error
from tests.conftest import copy_instance, make_app

NAME = sorted(discover())[0]
PREDICT = f"/api/v1/usecases/{NAME}/predict"


def test_error_response_is_the_one_shape(app):
    with app.test_request_context():
        response = error_response(422, "invalid_input", "bad", {"age": "must be a number"})
    assert response.status_code == 422 and response.mimetype == "application/json"
    assert response.get_json() == {"error": {"code": "invalid_input", "message": "bad",
                                             "fields": {"age": "must be a number"}}}


@pytest.mark.parametrize("body", [b"{", b'{"inputs": }', b"\xff\xfe\x00", b'{"inputs": NaN}',
                                  b'{"inputs": {"age": Infinity}}', b"[" * 100_000,
                                  b'{"inputs": {"\\ud800": 1}}', b'{"inputs": "\\udfff"}',
                                  # a surrogate written as UTF-8 bytes, with no escape
                                  b'{"inputs": {"sex": "\xed\xa0\x80"}}',
                                  '{"inputs": {"sex": "\\ud800"}}'.encode("utf-16")])
def test_malformed_json_is_400(client, body):
    response = client.post(PREDICT, data=body, content_type="application/json")
    assert_error(response, 400, "malformed_json", set())


@pytest.mark.parametrize("body", [b"[]", b'"inputs"', b"null", b"42"])
def test_a_body_that_is_not_an_object_is_422(client, body):
    response = client.post(PREDICT, data=body, content_type="application/json")
    assert_error(response, 422, "invalid_body")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_a_body_that_is_not_json_is_415(client, content_type):
    response = client.post(PREDICT, data=b'{"inputs": {}}', content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")


def test_a_body_over_the_size_limit_is_413(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post(PREDICT, json={"inputs": {"age": "x" * 2000}})
    error = assert_error(response, 413, "request_entity_too_large")
    assert "1000 bytes" in error["message"]


@pytest.mark.parametrize("url", ["/api/v1/nothing-here", "/api/v1", "/api/v1/usecases/",
                                 f"/api/v1/usecases/{NAME}/versions/0",
                                 f"/api/v1/usecases/{NAME}/versions/abc",
                                 f"/api/v1/usecases/{NAME}/versions/99999999999999999999",
                                 "/api/v1/jobs/-1"])
def test_unknown_routes_under_the_api_are_json_404(client, url):
    assert "no such endpoint" in assert_error(client.get(url), 404, "not_found")["message"]


@pytest.mark.parametrize("method, url", [("DELETE", "/api/v1/usecases"),
                                         ("GET", PREDICT), ("PUT", PREDICT),
                                         ("POST", "/api/v1/openapi.json"),
                                         ("POST", "/healthz")])
def test_wrong_method_is_json_405_with_allow(client, method, url):
    response = client.open(url, method=method)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"]


def test_options_is_answered_in_json(client):
    response = client.options(PREDICT)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "POST" in response.get_json()["allow"]


def test_people_still_get_pages(client):
    for response in (client.get("/no-such-page"), client.post("/")):
        assert response.mimetype == "text/html" and response.status_code in (404, 405)
    assert client.get("/api/docs").mimetype == "text/html"


def test_a_bug_answers_the_json_shape_not_a_page(app, monkeypatch):
    """The safety net: in production an unexpected exception becomes a JSON 500."""
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(serving, "predict", broken)
    response = app.test_client().post(PREDICT, json={"inputs": {}})
    error = assert_error(response, 500, "internal_server_error")
    assert "a bug" not in error["message"]


def test_the_api_needs_no_csrf_token_while_forms_do(app, tmp_path):
    folder = copy_instance(app.instance_path, tmp_path / "csrf-instance")
    protected = make_app(folder, WTF_CSRF_ENABLED=True).test_client()
    example = next(iter(protected.application.extensions["modelhub.usecases"][NAME]
                        .examples.values()))
    assert protected.post(PREDICT, json={"inputs": example}).status_code == 200
    page = protected.post(f"/usecases/{NAME}/", data={"anything": "1"})
    assert page.status_code == 400 and page.mimetype == "text/html"


def test_an_unreachable_database_is_503_with_retry_after_for_pages_and_the_api(app):
    """Signed in, with the registry gone: even the page, whose menu would ask the registry who
    is signed in, answers 503 with Retry-After, never 500."""
    from pathlib import Path

    gone = make_app(Path(app.instance_path), SECRET_KEY="a key shared by the hosts",
                    SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:9/gone")
    client = gone.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"  # user 1 in its first session epoch (User.get_id)
    page = client.get("/history/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "2"
    text = page.get_data(as_text=True)
    assert "busy or unreachable" in text and "Log out" not in text
    api = client.get("/api/v1/predictions", headers={"Authorization": "Bearer mh_anything"})
    assert api.status_code == 503 and api.headers["Retry-After"] == "2"
    assert api.get_json()["error"]["message"].startswith("The database is busy")
