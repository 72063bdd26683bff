"""No route answers 5xx, whatever its parameters hold.

The walk takes every route of the URL map and gives each of its parameters each hostile value
below in turn: the URL's own variables, the query parameters the route's pages ask for (read
from the GET forms they render) or its API operation documents, and the fields of every form a
page renders (posted back with the page's own values, one field spoiled at a time). Each answer
must be below 500: a 4xx that says what is wrong, or the page or answer itself.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from werkzeug.routing import Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from tests.api.conftest import bearer
from tests.portal.conftest import PASSWORD
from tests.security.conftest import USERNAMES, signed_in
from tests.security.test_access import LISTING, RULES, SAMPLE_ARGS, is_json

HOSTILE = {
    "a date in year 9999": "9999-12-31",
    "a date after year 9999": "10000-01-01T00:00:00",
    "year one": "0001-01-01",
    "a negative year": "-2026-01-01",
    "Arabic-Indic digits": "\u0661\u0662\u0663",
    "fullwidth digits": "\uff11\uff12",
    "a superscript digit": "\u00b2",  # str.isdigit() says yes, int() says no
    "beyond 64 bits": str(2 ** 64 + 7),
    "below minus 2**63": str(-(2 ** 63) - 1),
    "control characters": "a\x00\x1b[2J\r\nb",
    "a right-to-left override": "\u202eadmin",
    "a huge exponent": "1e999",
    "4,096 digits": "7" * 4096,
}
# Posting these would end the walk's own session, change the people signing in (tested in
# test_sessions.py) or start training processes.
NOT_POSTED = {"auth.logout"}
NOT_POSTED_PATHS = re.compile(r"/(retrain|train)(/|$)|/users/[0-9]+/(disable|enable|role|"
                              r"password)$|/auth/(logout|password)$")


class Forms(HTMLParser):
    """The forms of a page: (method, action, {field: value}) each."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append((found.get("method", "get").lower(), found.get("action", ""), {}))
        elif tag in ("input", "select", "textarea", "button") and self.forms and \
                found.get("name"):
            unticked = tag == "input" and found.get("type") in ("checkbox", "radio") and \
                "checked" not in found
            self.forms[-1][2].setdefault(found["name"], "" if unticked else
                                         found.get("value", ""))


def forms_of(page: str) -> list[tuple[str, str, dict[str, str]]]:
    parser = Forms()
    parser.feed(page)
    return parser.forms


def sample_path(rule: Rule, spoiled: str | None = None, value: str = "") -> str:
    """The rule's path with SAMPLE_ARGS, `spoiled` (a variable) holding `value` instead."""
    def fill(match: re.Match) -> str:
        name = match.group(2)
        return quote(value if name == spoiled else str(SAMPLE_ARGS[name]), safe="")
    return re.sub(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>", fill, rule.rule)


def call(client, method: str, path: str, *, query: dict | None = None,
         form: dict | None = None, headers: dict | None = None):
    target = path + ("?" + urlencode(query) if query else "")
    response = client.open(target, method=method, data=form, headers=headers or {})
    response.close()
    return response


def assert_below_500(response, what: str) -> None:
    assert response.status_code < 500, \
        f"{what}: {response.status_code} {response.get_data(as_text=True)[:300]}"


@pytest.fixture(scope="module")
def walker(shared):
    """An admin's signed-in client and token on the shared trained app."""
    return {"client": signed_in(shared["app"], "admin"),
            "headers": bearer(shared["tokens"]["admin"]), "app": shared["app"]}


def methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


VARIABLE_RULES = [pytest.param(rule, id=f"{rule.rule}") for rule in RULES
                  if rule.arguments and rule.endpoint != "static"]


@pytest.mark.parametrize("rule", VARIABLE_RULES)
def test_every_url_variable_survives_hostile_values(walker, rule):
    for method in methods(rule):
        if method != "GET" and rule.endpoint in NOT_POSTED:
            continue
        for variable in sorted(rule.arguments):
            for label, value in HOSTILE.items():
                path = sample_path(rule, variable, value)
                response = call(walker["client"], method, path, headers=walker["headers"])
                assert_below_500(response, f"{method} {rule.rule} with {variable} = {label}")


def documented_queries(spec: dict[str, Any]) -> dict[str, set[str]]:
    """Each API path (as the URL map writes it) and the query parameters it documents."""
    found: dict[str, set[str]] = {}
    for path, operations in spec["paths"].items():
        names = {p["name"] for op in operations.values() if isinstance(op, dict)
                 for p in op.get("parameters", []) if p.get("in") == "query"}
        served = path if path.startswith(("/healthz", "/readyz", "/metrics")) else \
            "/api/v1" + path
        found[re.sub(r"\{([a-z_]+)\}", r"<\1>", served)] = names
    return found


# Query parameters no page form names: the sign-in page's redirect, a form's worked example,
# the movie search's words and ids, the history's page cursor.
EXTRA_QUERIES = {"auth.login": {"next"}, "form": {"example"}, "search": {"q", "ids"},
                 "history.index": {"before"}}


def queries_of(walker, rule: Rule, spec) -> set[str]:
    if is_json(rule):
        plain = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"<\1>", rule.rule)
        return documented_queries(spec).get(plain, set())
    names = set(EXTRA_QUERIES.get(rule.endpoint, set()))
    names |= EXTRA_QUERIES.get(rule.endpoint.rpartition(".")[2], set())
    page = call(walker["client"], "GET", sample_path(rule))
    if page.mimetype == "text/html":
        for method, _, fields in forms_of(page.get_data(as_text=True)):
            if method == "get":
                names |= set(fields)
    return names


GET_RULES = [pytest.param(rule, id=rule.rule) for rule in RULES
             if "GET" in rule.methods and rule.endpoint != "static"]


@pytest.fixture(scope="module")
def spec(walker):
    return walker["client"].get("/api/v1/openapi.json").get_json()


@pytest.mark.parametrize("rule", GET_RULES)
def test_every_query_parameter_survives_hostile_values(walker, spec, rule):
    names = queries_of(walker, rule, spec)
    for name in sorted(names):
        for label, value in HOSTILE.items():
            response = call(walker["client"], "GET", sample_path(rule), query={name: value},
                            headers=walker["headers"] if is_json(rule) else None)
            assert_below_500(response, f"GET {rule.rule}?{name}= {label}")


PAGE_RULES = [pytest.param(rule, id=rule.rule) for rule in RULES
              if "GET" in rule.methods and not is_json(rule) and rule.endpoint != "static"]


@pytest.mark.parametrize("rule", PAGE_RULES)
def test_every_form_field_survives_hostile_values(walker, rule):
    page = call(walker["client"], "GET", sample_path(rule))
    if page.mimetype != "text/html":
        return
    for method, action, fields in forms_of(page.get_data(as_text=True)):
        target = urlsplit(action).path or sample_path(rule)
        if method != "post" or NOT_POSTED_PATHS.search(target) or target.endswith("/logout"):
            continue
        for name in sorted(set(fields) - {"csrf_token"}):
            for label, value in HOSTILE.items():
                response = call(walker["client"], "POST", target, form=fields | {name: value})
                assert_below_500(response, f"POST {target} ({rule.rule}) with {name} = {label}")


def test_the_walk_reaches_forms_and_queries(walker, spec):
    """The walk is only as good as what it finds: the history filters, the sign-in redirect,
    the API's documented filters and the admin forms are among it."""
    by_endpoint = {rule.endpoint: rule for rule in RULES}
    assert {"since", "until", "version"} <= queries_of(walker, by_endpoint["history.index"], spec)
    assert "next" in queries_of(walker, by_endpoint["auth.login"], spec)
    assert {"since", "until"} <= queries_of(walker, by_endpoint["api.predictions"], spec)
    posted = [action for rule in PAGE_RULES
              for method, action, _ in forms_of(call(walker["client"], "GET",
                                                     sample_path(rule.values[0]))
                                                .get_data(as_text=True))
              if method == "post"]
    assert "/admin/users" in posted, sorted(set(posted))
    assert any(action.endswith("/card") for action in posted), sorted(set(posted))


@pytest.mark.parametrize("target", ["/admin/\r\nSet-Cookie: session=x", "/\x00admin",
                                    "/admin/\x1b[2J", "/\u202eadmin", "/admin/\t"])
def test_sign_in_with_control_characters_in_next_lands_on_the_default_page(shared, target):
    client = shared["app"].test_client()
    response = client.post("/auth/login?" + urlencode({"next": target}),
                           data={"username": USERNAMES["admin"], "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def unsized_post(app, path: str, body: bytes, content_type: str = "application/json"):
    """POST `body` as a server hands on a chunked one: no Content-Length, the input ended by
    the server (`wsgi.input_terminated`), as gunicorn does."""
    environ = EnvironBuilder(path=path, method="POST", data=body,
                             content_type=content_type).get_environ()
    del environ["CONTENT_LENGTH"]
    environ |= {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True}
    response = app.test_client().open(Request(environ))  # (a dict would be rebuilt)
    response.close()
    return response


def test_a_chunked_body_over_the_limit_is_413_in_each_protocols_shape(shared, counting):
    app = shared["app"]
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = json.dumps({"inputs": {"age": "1" * limit}}).encode()
    before = counting()
    native = unsized_post(app, "/api/v1/usecases/heart-disease/predict", big)
    assert native.status_code == 413
    assert native.get_json()["error"]["code"] == "request_entity_too_large"
    mlflow = unsized_post(app, "/api/v1/usecases/heart-disease/invocations", big)
    assert (mlflow.status_code, mlflow.get_json()["error_code"]) == (413, "REQUEST_LIMIT_EXCEEDED")
    oip = unsized_post(app, "/v2/models/heart-disease/infer", big)
    assert oip.status_code == 413 and "error" in oip.get_json()
    form = unsized_post(app, "/usecases/heart-disease/", b"age=" + b"1" * limit,
                        "application/x-www-form-urlencoded")
    assert form.status_code == 413 and form.mimetype == "text/html"
    assert counting() == before


def test_a_chunked_body_within_the_limit_is_read_whole(shared, counting):
    app = shared["app"]
    example = next(iter(app.extensions["modelhub.usecases"]["heart-disease"].examples.values()))
    body = json.dumps({"inputs": {k: v for k, v in example.items() if v is not None}}).encode()
    before = counting()["predictions"]
    response = unsized_post(app, "/api/v1/usecases/heart-disease/predict", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert counting()["predictions"] == before + 1
