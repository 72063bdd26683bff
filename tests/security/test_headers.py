"""Security headers on every kind of answer, and pages that need nothing the policy forbids."""
from __future__ import annotations

import re

import pytest
from flask import url_for

from portal import security
from tests.api.conftest import bearer
from tests.security.conftest import signed_in

REQUESTS = [  # (method, path, body, content type, signed in as): each a different kind of answer
    ("GET", "/", None, None, None),
    ("GET", "/usecases/{name}/", None, None, None),
    ("POST", "/usecases/{name}/", {"no-such-field": "1"}, None, None),  # 400 page
    ("GET", "/auth/login", None, None, None),
    ("GET", "/admin/", None, None, None),  # redirect to the login page
    ("GET", "/admin/", None, None, "analyst"),  # 403 page
    ("GET", "/admin/users", None, None, "admin"),
    ("GET", "/history/", None, None, "analyst"),
    ("GET", "/history/export.csv", None, None, "analyst"),
    ("GET", "/static/style.css", None, None, None),
    ("GET", "/static/no-such-file.js", None, None, None),
    ("GET", "/no-such-page", None, None, None),  # 404 page
    ("GET", "/auth/logout", None, None, None),  # 405 page
    ("GET", "/api/docs", None, None, None),
    ("GET", "/api/v1/usecases", None, None, None),
    ("GET", "/api/v1/openapi.json", None, None, None),
    ("GET", "/api/v1/predictions", None, None, None),  # 401 JSON
    ("GET", "/api/v1/no-such-endpoint", None, None, None),  # 404 JSON
    ("POST", "/api/v1/usecases/{name}/predict", b"{", "application/json", None),  # 400 JSON
    ("OPTIONS", "/api/v1/usecases", None, None, None),
    ("GET", "/healthz", None, None, None),
    ("GET", "/readyz", None, None, None),
    ("GET", "/metrics", None, None, None),
]


def assert_secured(response) -> None:
    for name, value in security.HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code)


@pytest.mark.parametrize(("method", "path", "body", "content_type", "role"), REQUESTS,
                         ids=[f"{r[0]} {r[1]}{' as ' + r[4] if r[4] else ''}" for r in REQUESTS])
def test_every_kind_of_answer_has_the_headers(app, tokens, method, path, body, content_type,
                                              role):
    name = next(iter(app.extensions["modelhub.usecases"]))
    client = signed_in(app, role)
    response = client.open(path.format(name=name), method=method, data=body,
                           content_type=content_type)
    response.close()
    assert_secured(response)


def test_an_answer_too_large_and_an_api_answer_with_a_token_have_them(app, tokens):
    app.config["MAX_CONTENT_LENGTH"] = 100
    name = next(iter(app.extensions["modelhub.usecases"]))
    too_large = app.test_client().post(f"/usecases/{name}/", data={"x": "y" * 500})
    assert too_large.status_code == 413
    assert_secured(too_large)
    listed = app.test_client().get("/api/v1/predictions", headers=bearer(tokens["analyst"]))
    assert listed.status_code == 200
    assert_secured(listed)


@pytest.mark.parametrize("path", ["/boom", "/api/v1/boom"])
def test_the_answer_to_a_bug_has_them(app, path):
    """A crash answers 500 (a page, or JSON under /api/v1) and is still secured."""
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule(path, "boom", boom)
    response = app.test_client().get(path)
    assert response.status_code == 500
    assert_secured(response)


def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere():
    policy = dict(part.strip().split(" ", 1) for part in
                  security.CONTENT_SECURITY_POLICY.split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in security.CONTENT_SECURITY_POLICY
    assert not re.search(r"https?:|\*", security.CONTENT_SECURITY_POLICY)


# What the policy would block in a page: an inline script, an event handler, a style attribute
# or element, a javascript: URL, or anything loaded from another origin.
FORBIDDEN = [re.compile(pattern, re.I) for pattern in (
    r"<script(?![^>]*\bsrc=)[^>]*>", r"<[a-z][^>]*\son[a-z]+\s*=", r"<[a-z][^>]*\sstyle\s*=",
    r"<style", r"javascript:", r"""<[a-z][^>]*(?:src|href|action)\s*=\s*["']?(?:https?:)?//""")]


def page_urls(app) -> list[str]:
    """Every page (not API) a GET opens, with sample values, and each use case's example."""
    samples = {"name": next(iter(app.extensions["modelhub.usecases"])), "version": 1,
               "job_id": 1, "user_id": 1, "prediction_id": 1,
               "usecase_name": "made-from-a-table", "sha256": "0" * 64, "webhook_id": 1,
               "token": "not-a-signed-result"}
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            blueprint = rule.endpoint.rpartition(".")[0]
            if "GET" not in rule.methods or rule.endpoint == "static" or \
                    blueprint in ("api", "ops") or rule.rule.endswith((".json", ".csv")):
                continue
            found.append(url_for(rule.endpoint, **{k: samples[k] for k in rule.arguments}))
        for name, usecase in app.extensions["modelhub.usecases"].items():
            found += [url_for(f"{name}.form", example=title) for title in usecase.examples]
    return found


def test_no_page_needs_what_the_policy_forbids(app, tokens):
    client = signed_in(app, "admin")
    for name, usecase in app.extensions["modelhub.usecases"].items():  # a result page each
        example = next(iter(usecase.examples.values()))
        result = client.post(f"/usecases/{name}/", data={
            k: " ".join(map(str, v)) if isinstance(v, list) else str(v).lower()
            if isinstance(v, bool) else str(v) for k, v in example.items() if v is not None},
            follow_redirects=True)
        assert result.status_code == 200, name
        check_page(f"POST /usecases/{name}/", result.get_data(as_text=True))
    for path in page_urls(app):
        response = client.get(path)
        if response.mimetype == "text/html" and response.status_code != 404:
            check_page(path, response.get_data(as_text=True))


def check_page(where: str, page: str) -> None:
    for pattern in FORBIDDEN:
        found = pattern.search(page)
        assert found is None, f"{where}: {found.group(0)!r} breaks the Content-Security-Policy"


@pytest.mark.parametrize("path, role", [("/admin/", "admin"), ("/history/", "analyst"),
                                        ("/history/export.csv", "analyst"),
                                        ("/auth/login", None)])
def test_private_answers_are_never_stored_by_a_cache(app, tokens, path, role):
    for client in (signed_in(app, role), app.test_client()):  # the refusal or redirect too
        response = client.get(path)
        response.get_data()  # (the export streams: read it whole, then let it go)
        response.close()
        assert response.headers["Cache-Control"] == "no-store", path


def test_answers_to_credentials_are_not_stored_public_ones_may_be(app, tokens):
    name = next(iter(app.extensions["modelhub.usecases"]))
    with_token = app.test_client().get(f"/api/v1/usecases/{name}",
                                       headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert with_token.headers["Cache-Control"] == "no-store"
    anonymous = app.test_client(use_cookies=False).get(f"/api/v1/usecases/{name}")
    assert "Cache-Control" not in anonymous.headers


def test_a_forged_host_is_refused_when_the_hosts_are_set(app):
    name = next(iter(app.extensions["modelhub.usecases"]))
    app.config["TRUSTED_HOSTS"] = ["hub.example.org"]
    try:
        forged = app.test_client().get(f"/api/v1/usecases/{name}",
                                       headers={"Host": "attacker.example"})
        assert forged.status_code == 400
        trusted = app.test_client().get(f"/api/v1/usecases/{name}",
                                        headers={"Host": "hub.example.org"})
        assert trusted.status_code == 200
        assert trusted.get_json()["predict_url"].startswith("http://hub.example.org/")
    finally:
        app.config["TRUSTED_HOSTS"] = None
