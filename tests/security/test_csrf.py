"""CSRF: every state-changing form of the pages refuses a POST without its token, and the session
cookie is out of scripts' reach and not sent along by other sites' requests."""
from __future__ import annotations

from flask import url_for

from tests.portal.conftest import PASSWORD, csrf_token_in
from tests.security.conftest import USERNAMES, row_counts, signed_in, table_contents

# The API and the inference protocol take bearer tokens, never cookies, so they have no CSRF
# check (see portal/api, portal/inference).
TOKEN_BLUEPRINTS = ("api", "ops", "inference")


STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
FIELDS = {"username": "mallory", "password": "long enough!", "role": "admin", "reason": "forged"}
# What a forged request may carry instead of the form's token: nothing at all, an empty form,
# the form's fields without it, the same as JSON, and an empty JSON object.
BODIES = {
    "no body": {},
    "an empty form": {"data": {}},
    "a form without the token": {"data": FIELDS},
    "JSON without the token": {"json": FIELDS},
    "an empty JSON object": {"json": {}},
}


def page_posts(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every page route that changes state, with sample URL
    values."""
    name, usecase = next(iter(app.extensions["modelhub.usecases"].items()))
    samples = {"name": name, "version": 1, "user_id": 1, "job_id": 1, "prediction_id": 1,
               "usecase_name": "made-from-a-table", "sha256": "0" * 64, "webhook_id": 1}
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.rpartition(".")[0] in TOKEN_BLUEPRINTS:
                continue
            for method in sorted(set(STATE_CHANGING) & rule.methods):
                found.append((rule.endpoint, method,
                              url_for(rule.endpoint, **{k: samples[k] for k in rule.arguments})))
    return sorted(found)


def test_every_state_changing_page_request_without_its_token_is_refused(csrf_app):
    admin = signed_in(csrf_app, "admin")
    posts = page_posts(csrf_app)
    # Sign-in, sign-out, admin actions (some with no form at all) and a use case's predict.
    assert {"auth.login", "auth.logout", "admin.create_user", "admin.promote", "admin.retrain",
            "history.record_outcome", "history.record_bulk"} <= {e for e, _, _ in posts}
    name = next(iter(csrf_app.extensions["modelhub.usecases"]))
    assert f"{name}.predict" in {endpoint for endpoint, _, _ in posts}
    for endpoint, method, target in posts:
        for kind, body in BODIES.items():
            before = table_contents(csrf_app)
            response = admin.open(target, method=method, **body)
            assert response.status_code == 400, (endpoint, method, kind, response.status_code)
            assert "CSRF token is missing" in response.get_data(as_text=True), (endpoint, kind)
            assert table_contents(csrf_app) == before, (endpoint, method, kind)
    assert admin.get("/admin/").status_code == 200  # still signed in: logout was refused too


def test_a_token_from_another_session_is_refused(csrf_app):
    """A token is bound to its session: an attacker's own token does not work for a victim."""
    attacker = csrf_app.test_client()
    stolen = csrf_token_in(attacker.get("/auth/login").get_data(as_text=True))
    victim = signed_in(csrf_app, "admin")
    before = row_counts(csrf_app)
    response = victim.post("/admin/users", data={"username": "mallory", "role": "admin",
                                                 "password": "long enough!",
                                                 "csrf_token": stolen})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert row_counts(csrf_app) == before


def test_session_cookies_are_http_only_and_same_site(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/auth/login")  # the CSRF token's session starts here
    signed = client.post("/auth/login", data={
        "username": USERNAMES["analyst"], "password": PASSWORD,
        "csrf_token": csrf_token_in(page.get_data(as_text=True))})
    assert signed.status_code == 302
    cookies = page.headers.getlist("Set-Cookie") + signed.headers.getlist("Set-Cookie")
    assert len(cookies) >= 2
    for cookie in cookies:
        flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
        assert "httponly" in flags, cookie
        assert flags.get("samesite") in ("SameSite=Lax", "SameSite=Strict"), cookie
