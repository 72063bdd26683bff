"""Access and CSRF decisions pinned down exactly, on an empty registry (no trained models), so
that mutation testing (scripts/mutation, docs/mutation.md) can run them for every mutant of
portal/auth/roles.py, portal/api/auth.py and portal/extensions.py in a fraction of a second.

The broader tests (test_access.py, test_csrf.py) walk every route of a trained app; these check
each branch of the guards themselves: who gets in, who is sent to sign in, who is refused, and
what the refusal says."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import g

from portal.api import auth
from tests.api.conftest import bearer
from tests.conftest import make_app
from tests.portal.conftest import PASSWORD, csrf_token_in
from tests.security.conftest import USERNAMES, add_people, signed_in

API_FOR_BOTH = "/api/v1/predictions"  # token_required(ANALYST, ADMIN)


@pytest.fixture
def people(empty_app) -> dict[str, str]:
    """The admin's and the analyst's API tokens, by role."""
    return add_people(empty_app)


# Pages: portal/auth/roles.py

@pytest.mark.parametrize("page", ["/admin/", "/history/"])
def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(empty_app, people, page):
    response = empty_app.test_client().get(page)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert page.strip("/") in response.headers["Location"]


@pytest.mark.parametrize(("role", "page", "status"), [
    ("admin", "/admin/", 200), ("analyst", "/admin/", 403),
    ("analyst", "/history/", 200), ("admin", "/history/", 200),  # admins may do everything
])
def test_a_signed_in_user_gets_the_pages_of_their_role_only(empty_app, people, role, page,
                                                             status):
    assert signed_in(empty_app, role).get(page).status_code == status


# The API: portal/api/auth.py

def test_no_token_is_401_with_a_challenge_that_names_no_error(empty_app, people):
    response = empty_app.test_client().get(API_FOR_BOTH)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="modelhub"'
    error = response.get_json()["error"]
    assert error["code"] == "unauthorized"
    assert error["message"] == "this needs an API token: send Authorization: Bearer <token>"


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic " + "x" * 20, "Bearer", ""])
def test_a_refused_token_is_401_invalid_token(empty_app, people, header):
    response = empty_app.test_client().get(API_FOR_BOTH, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == \
        'Bearer realm="modelhub", error="invalid_token"'
    assert response.get_json()["error"]["message"] == \
        "the API token is not valid (mistyped, replaced or revoked)"


def test_a_valid_token_under_another_scheme_is_refused(empty_app, people):
    headers = {"Authorization": f"Token {people['admin']}"}
    assert empty_app.test_client().get(API_FOR_BOTH, headers=headers).status_code == 401


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_scheme_is_read_in_any_case_and_the_token_trimmed(empty_app, people, scheme):
    headers = {"Authorization": f"{scheme} {people['analyst']}  "}
    response = empty_app.test_client().get(API_FOR_BOTH, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_each_listed_role_gets_in(empty_app, people, role):
    response = empty_app.test_client().get(API_FOR_BOTH, headers=bearer(people[role]))
    assert response.status_code == 200


def test_another_role_is_403_and_told_which_roles_it_needs(empty_app, people):
    with empty_app.test_request_context(headers=bearer(people["analyst"])):
        with pytest.raises(auth.ApiError) as refused:
            auth.require_role(auth.ADMIN)
    error = refused.value
    assert error.status == 403 and error.code == "forbidden"
    assert error.message == "this needs the admin role; the token is an analyst's"
    with empty_app.test_request_context(headers=bearer(people["analyst"])):
        with pytest.raises(auth.ApiError) as refused:
            auth.require_role("admin", "owner")
    assert refused.value.message == \
        "this needs the admin or owner role; the token is an analyst's"


def test_require_role_returns_the_caller(empty_app, people):
    with empty_app.test_request_context(headers=bearer(people["analyst"])):
        user = auth.require_role(auth.ANALYST)
        assert user.username == USERNAMES["analyst"]


def test_a_guarded_view_keeps_its_roles_and_the_caller(empty_app, people):
    seen = []

    def view(number):
        seen.append((number, g.api_user.username))
        return "ok"

    guarded = auth.token_required(auth.ANALYST, auth.ADMIN)(view)
    assert guarded.roles == (auth.ANALYST, auth.ADMIN)
    assert guarded.__name__ == "view"
    with empty_app.test_request_context(headers=bearer(people["admin"])):
        assert guarded(7) == "ok"
    assert seen == [(7, USERNAMES["admin"])]
    with empty_app.test_request_context(headers=bearer(people["analyst"])):
        with pytest.raises(auth.ApiError):
            auth.token_required(auth.ADMIN)(view)(8)
    assert seen == [(7, USERNAMES["admin"])]  # the view never ran


@pytest.mark.parametrize(("role", "expected"), [("admin", True), ("analyst", False),
                                                (None, False)])
def test_caller_is_admin(empty_app, people, role, expected):
    headers = bearer(people[role]) if role else {}
    with empty_app.test_request_context(headers=headers):
        assert auth.caller_is_admin() is expected


# CSRF: portal/extensions.py

@pytest.fixture
def csrf_app(empty_app, people):
    """A second app on the same instance folder that checks CSRF tokens, as production does."""
    return make_app(Path(empty_app.instance_path), WTF_CSRF_ENABLED=True)


def test_a_page_post_without_its_token_is_refused(csrf_app):
    form = {"username": USERNAMES["admin"], "password": PASSWORD}
    response = csrf_app.test_client().post("/auth/login", data=form)
    assert response.status_code == 400
    assert "CSRF token is missing" in response.get_data(as_text=True)


def test_a_page_post_with_its_token_gets_through(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token_in(client.get("/auth/login").get_data(as_text=True))
    form = {"username": USERNAMES["admin"], "password": PASSWORD, "csrf_token": token}
    response = client.post("/auth/login", data=form)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200  # signed in: the session user loads


@pytest.mark.parametrize("path", ["/api/v1/usecases/toy/rollback", "/v2/models/toy/infer"])
def test_the_token_apis_take_no_csrf_token(csrf_app, people, path):
    response = csrf_app.test_client().post(path, json={}, headers=bearer(people["admin"]))
    assert response.status_code != 400 or "CSRF" not in response.get_data(as_text=True)
    assert response.status_code in (404, 409, 422), response.get_data(as_text=True)[:300]


def test_with_csrf_checks_off_a_page_post_needs_no_token(empty_app, people):
    form = {"username": USERNAMES["admin"], "password": PASSWORD}
    assert empty_app.test_client().post("/auth/login", data=form).status_code == 302


@pytest.mark.parametrize(("role", "allowed"), [("admin", True), ("analyst", False)])
def test_role_required_lets_admins_through_any_guard(empty_app, people, role, allowed):
    """Guards made at import time escape mutation testing; this one is made here."""
    from flask_login import login_user
    from werkzeug.exceptions import Forbidden

    from portal.auth.roles import role_required
    from registry import users

    guarded = role_required("owner")(lambda: "in")
    with empty_app.test_request_context():
        login_user(users.find_user(USERNAMES[role]))
        if allowed:
            assert guarded() == "in"
        else:
            with pytest.raises(Forbidden):
                guarded()
