"""Fixtures for the API: tokens for each role, the OpenAPI document, and a check that an answer
has the shape the document promises for its status."""
from __future__ import annotations

import math
from typing import Any

import jsonschema
import pytest

from registry import users
from tests.conftest import add_copy_of_production  # noqa: F401  (re-exported for the API tests)
from registry.models import ROLES


@pytest.fixture
def tokens(app) -> dict[str, str]:
    """A valid API token for a user of each role, by role."""
    with app.app_context():
        return {role: users.issue_token(users.create_user(f"{role}-user", "long password", role))
                for role in ROLES}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def spec(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def assert_documented(spec: dict[str, Any], path: str, method: str, response) -> Any:
    """The answer is JSON, its status is documented for the operation, and its body validates
    against the schema documented for that status. Returns the body."""
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    answers = spec["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in answers, f"{method.upper()} {path} answered an undocumented {status}"
    answer = answers[status]
    if "$ref" in answer:
        answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    schema = answer["content"]["application/json"]["schema"]
    body = response.get_json()
    # Refs point at #/components/...: give the validator a root that holds them.
    jsonschema.validate(body, schema | {"components": spec["components"]})
    return body


def assert_error(response, status: int, code: str | None = None,
                 fields: set[str] | None = None) -> dict[str, Any]:
    """An error answer with this status (and code, and exactly these field names if given)."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    error = body["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    if fields is not None:
        assert set(error["fields"]) == fields, error["fields"]
    return error


def same(a: Any, b: Any) -> bool:
    """Equal, with floats compared to 1e-9 (a batch may round in the last bits)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


