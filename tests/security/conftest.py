"""Fixtures for the security tests: people of each role, their API tokens, signed-in clients,
an app that checks CSRF tokens, and one trained app shared by a module's many small requests."""
from __future__ import annotations

import hashlib

from pathlib import Path
from typing import Any, Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from registry import users
from registry.database import db
from registry.models import ROLES
from tests.conftest import copy_instance, make_app
from tests.portal.conftest import PASSWORD, csrf_token_in

USERNAMES = {"admin": "ada", "analyst": "ann"}


def add_people(app: Flask) -> dict[str, str]:
    """An admin and an analyst (both with PASSWORD) and an API token for each; role -> token."""
    with app.app_context():
        return {role: users.issue_token(users.create_user(USERNAMES[role], PASSWORD, role))
                for role in ROLES}


def signed_in(app: Flask, role: str | None) -> FlaskClient:
    """A new client of `app`, signed in with `role` (None: anonymous). Works with CSRF on."""
    client = app.test_client()
    if role is not None:
        form = {"username": USERNAMES[role], "password": PASSWORD}
        if app.config.get("WTF_CSRF_ENABLED", True):
            form["csrf_token"] = csrf_token_in(client.get("/auth/login").get_data(as_text=True))
        response = client.post("/auth/login", data=form)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def row_counts(app: Flask) -> dict[str, int]:
    """How many rows each table holds: a refused request must leave every count as it was."""
    with app.app_context():
        return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


def table_contents(app: Flask) -> dict[str, str]:
    """Every table's rows in key order, as one digest each: a refused request must change no
    value (a promotion changes no count, only a stage)."""
    with app.app_context():
        found = {}
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = db.session.execute(sa.select(table).order_by(*order)).all()
            found[table.name] = hashlib.sha256(repr([tuple(row) for row in rows])
                                               .encode()).hexdigest()
        return found


@pytest.fixture
def tokens(app) -> dict[str, str]:
    """The admin's and the analyst's API tokens, by role (the users exist in `app`)."""
    return add_people(app)


@pytest.fixture
def csrf_app(app, tokens) -> Flask:
    """A second app on the same instance folder that checks CSRF tokens, as production does."""
    return make_app(Path(app.instance_path), WTF_CSRF_ENABLED=True)


@pytest.fixture(scope="module")
def shared(trained_instance, tmp_path_factory) -> dict[str, Any]:
    """One trained app for a whole module (copying the instance per request would be slow):
    {"app", "tokens"}. Tests that share it count rows before and after instead of assuming
    an empty history."""
    app = make_app(copy_instance(trained_instance,
                                 tmp_path_factory.mktemp("security") / "instance"))
    return {"app": app, "tokens": add_people(app)}


@pytest.fixture
def counting(shared) -> Callable[[], dict[str, int]]:
    """`counting()`: the row counts of the shared app now."""
    return lambda: row_counts(shared["app"])
