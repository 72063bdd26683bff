"""Fixtures for the signed-in pages: one user of each role and a small helper to log in."""
from __future__ import annotations

import re

import pytest

from registry import users

PASSWORD = "correct horse battery"
ADMIN, ANALYST = "ada", "ann"


class AuthActions:
    """Log a test client in and out, as the Flask tutorial's tests do."""

    def __init__(self, client) -> None:
        self._client = client

    def login(self, username: str = ADMIN, password: str = PASSWORD, **extra):
        return self._client.post("/auth/login", data={"username": username,
                                                      "password": password, **extra})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def people(app) -> dict[str, str]:
    """An admin and an analyst in the app's registry; role -> username."""
    with app.app_context():
        users.create_user(ADMIN, PASSWORD, "admin")
        users.create_user(ANALYST, PASSWORD, "analyst")
    return {"admin": ADMIN, "analyst": ANALYST}


@pytest.fixture
def auth(client, people) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def as_admin(client, auth):
    """The test client, signed in as the admin."""
    assert auth.login(ADMIN).status_code == 302
    return client


@pytest.fixture
def as_analyst(client, auth):
    """The test client, signed in as the analyst."""
    assert auth.login(ANALYST).status_code == 302
    return client


def csrf_token_in(page: str) -> str:
    """The CSRF token of the first form on a page (for apps that check it)."""
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                      r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)
