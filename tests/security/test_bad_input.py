"""Bad input through the form and the API of every use case (tests/security/corpus.py derives it
from the declared fields): each gets its documented 4xx naming the field, none a 500, nothing is
stored for it, and text that is accepted is escaped wherever it is shown again."""
from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.api.conftest import assert_documented, assert_error, bearer
from tests.security.conftest import signed_in
from tests.security.corpus import (SCRIPT, as_form, cases, example_with, nested, odd_texts)
from usecases import discover
from usecases.fields import Number, Text

USECASES = discover()
NAMES = sorted(USECASES)
JSON = "application/json"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def first_example(name: str) -> dict[str, Any]:
    return {k: v for k, v in next(iter(USECASES[name].examples.values())).items()
            if v is not None}


@pytest.fixture(scope="module")
def spec(shared) -> dict[str, Any]:
    return shared["app"].test_client().get("/api/v1/openapi.json").get_json()


def predict(shared, name: str, body: bytes, content_type: str | None = JSON,
            headers: dict[str, str] | None = None):
    return shared["app"].test_client().post(f"/api/v1/usecases/{name}/predict", data=body,
                                            content_type=content_type, headers=headers or {})


# -- the API, one field at a time ------------------------------------------------------------
@pytest.mark.parametrize("case", cases(USECASES, "api"), ids=lambda case: case.id)
def test_the_api_refuses_a_bad_value_naming_its_field(shared, spec, counting, case):
    before = counting()
    response = predict(shared, case.usecase, json.dumps({"inputs": case.inputs}).encode())
    error = assert_error(response, 422, "invalid_input")
    assert error["fields"].get(case.field), error
    assert_documented(spec, f"/usecases/{case.usecase}/predict", "post", response)
    assert counting() == before


NUMBER_FIELDS = [(name, f.name) for name in NAMES for f in USECASES[name].fields
                 if isinstance(f, Number)]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(("name", "field"), NUMBER_FIELDS)
def test_nan_and_infinity_literals_are_malformed_json(shared, spec, counting, name, field,
                                                      literal):
    """Python would read them; JSON has no such values, so the body is refused whole."""
    inputs = example_with(USECASES[name], next(f for f in USECASES[name].fields
                                               if f.name == field))
    body = json.dumps({"inputs": inputs | {field: "@"}}).replace('"@"', literal)
    before = counting()
    response = predict(shared, name, body.encode())
    error = assert_error(response, 400, "malformed_json")
    assert literal.lstrip("-") in error["message"]
    assert_documented(spec, f"/usecases/{name}/predict", "post", response)
    assert counting() == before


# -- the API, the body as a whole ------------------------------------------------------------
def body_cases(example: dict[str, Any], config) -> dict[str, tuple]:
    """label -> (body, content type, status, code, field named or None)."""
    def js(value: Any) -> bytes:
        return json.dumps(value).encode()
    limit, batch = config["MAX_CONTENT_LENGTH"], config["MAX_BATCH"]
    extra = example | {"not_a_field": 1}
    return {
        "a JSON array": (b"[]", JSON, 422, "invalid_body", None),
        "a JSON string": (b'"inputs"', JSON, 422, "invalid_body", None),
        "JSON null": (b"null", JSON, 422, "invalid_body", None),
        "no inputs": (js({}), JSON, 422, "invalid_body", "inputs"),
        "inputs null": (js({"inputs": None}), JSON, 422, "invalid_body", "inputs"),
        "inputs a string": (js({"inputs": "x"}), JSON, 422, "invalid_body", "inputs"),
        "inputs a number": (js({"inputs": 1}), JSON, 422, "invalid_body", "inputs"),
        "an empty batch": (js({"inputs": []}), JSON, 422, "invalid_body", "inputs"),
        "a batch row not an object": (js({"inputs": [example, "row"]}), JSON, 422,
                                      "invalid_input", "inputs[1]"),
        "a bad row in a batch": (js({"inputs": [example, extra]}), JSON, 422,
                                 "invalid_input", "inputs[1].not_a_field"),
        "an extra field": (js({"inputs": extra}), JSON, 422, "invalid_input", "not_a_field"),
        "an HTML field name": (js({"inputs": example | {SCRIPT: 1}}), JSON, 422,
                               "invalid_input", SCRIPT),
        "an extra key": (js({"inputs": example, "extra": 1}), JSON, 422, "invalid_body",
                         "extra"),
        "a batch over the limit": (js({"inputs": [example] * (batch + 1)}), JSON, 413,
                                   "batch_too_large", "inputs"),
        "nested 500 deep": (js({"inputs": nested(500)}), JSON, 422, "invalid_input",
                            "inputs[0]"),
        "nested 100000 deep": (b'{"inputs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", JSON,
                               400, "malformed_json", None),
        "malformed JSON": (b'{"inputs": ', JSON, 400, "malformed_json", None),
        "single quotes": (b"{'inputs': {}}", JSON, 400, "malformed_json", None),
        "a trailing comma": (b'{"inputs": {},}', JSON, 400, "malformed_json", None),
        "NaN for the inputs": (b'{"inputs": NaN}', JSON, 400, "malformed_json", None),
        "invalid UTF-8": (b'{"inputs": "\xff"}', JSON, 400, "malformed_json", None),
        "a lone surrogate": (b'{"inputs": {"x": "\\ud800"}}', JSON, 400, "malformed_json",
                             None),
        "text/plain": (js({"inputs": example}), "text/plain", 415, "unsupported_media_type",
                       None),
        "a form body": (b"a=1", "application/x-www-form-urlencoded", 415,
                        "unsupported_media_type", None),
        "no content type": (js({"inputs": example}), None, 415, "unsupported_media_type",
                            None),
        "over the size limit": (js({"inputs": example | {"pad": "x" * limit}}), JSON, 413,
                                "request_entity_too_large", None),
        **{f"version {label}": (js({"inputs": example, "version": value}), JSON, 422,
                                "invalid_body", "version")
           for label, value in [("as a string", "1"), ("zero", 0), ("negative", -1),
                                ("a fraction", 1.5), ("true", True), ("null", None),
                                ("huge", 2**40), ("a list", [1])]},
    }


BODY_LABELS = list(body_cases({}, {"MAX_CONTENT_LENGTH": 1, "MAX_BATCH": 1}))


@pytest.mark.parametrize("label", BODY_LABELS)
@pytest.mark.parametrize("name", NAMES)
def test_the_api_refuses_a_bad_body(shared, spec, counting, name, label):
    body, content_type, status, code, field = body_cases(first_example(name),
                                                         shared["app"].config)[label]
    before = counting()
    response = predict(shared, name, body, content_type)
    error = assert_error(response, status, code)
    if field is not None:
        assert field in error["fields"], error
    assert_documented(spec, f"/usecases/{name}/predict", "post", response)
    assert counting() == before


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_version_is_404_for_an_admin(shared, spec, counting, name):
    body = json.dumps({"inputs": first_example(name), "version": 999_999}).encode()
    before = counting()
    response = predict(shared, name, body, headers=bearer(shared["tokens"]["admin"]))
    assert "999999" in assert_error(response, 404, "not_found")["message"]
    assert_documented(spec, f"/usecases/{name}/predict", "post", response)
    assert counting() == before


@pytest.mark.parametrize("body", [b"{}", b"[", json.dumps({"inputs": {}}).encode()])
def test_an_unknown_use_case_is_404_whatever_the_body(shared, counting, body):
    before = counting()
    response = predict(shared, "no-such-usecase", body)
    assert "no-such-usecase" in assert_error(response, 404, "not_found")["message"]
    assert counting() == before


# -- the form --------------------------------------------------------------------------------
def post_form(shared, name: str, data: Any, **kwargs):
    return shared["app"].test_client().post(f"/usecases/{name}/", data=data,
                                            follow_redirects=True, **kwargs)


def assert_refused_page(response, field: str | None = None, status: int = 400) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == status and response.mimetype == "text/html", \
        (response.status_code, page[:300])
    if field is not None:
        assert f'id="f-{field}-error"' in page
    assert SCRIPT not in page  # anything sent back is escaped
    return page


@pytest.mark.parametrize("case", cases(USECASES, "form"), ids=lambda case: case.id)
def test_the_form_refuses_a_bad_value_next_to_its_field(shared, counting, case):
    data = as_form(case.inputs)
    too_large = len(urlencode(data)) > shared["app"].config["MAX_CONTENT_LENGTH"]
    before = counting()
    response = post_form(shared, case.usecase, data)
    if too_large:
        assert_refused_page(response, status=413)
    else:
        assert_refused_page(response, case.field)
    assert counting() == before


@pytest.mark.parametrize("name", NAMES)
def test_the_form_refuses_bad_submissions_as_a_whole(shared, counting, name):
    example = as_form(first_example(name))
    config = shared["app"].config
    before = counting()
    page = assert_refused_page(post_form(shared, name, example | {"not_a_field": "1"}))
    assert "not_a_field is not a field of this use case" in page
    assert_refused_page(post_form(shared, name, example | {SCRIPT: "1"}))
    too_large = example | {"pad": "x" * config["MAX_CONTENT_LENGTH"]}
    assert_refused_page(post_form(shared, name, too_large), status=413)
    # A body the form cannot read (JSON, files) is answered like an empty form.
    empty = post_form(shared, name, {}).status_code
    as_json = post_form(shared, name, json.dumps(first_example(name)),
                        content_type="application/json")
    files = post_form(shared, name, {key: (io.BytesIO(value.encode()), "input.txt")
                                     for key, value in example.items()},
                      content_type="multipart/form-data")
    assert as_json.status_code == files.status_code == empty and empty in (200, 400)
    assert counting()["predictions"] == before["predictions"] + 3 * (empty == 200)


def test_an_unknown_use_case_has_no_form(shared):
    client = shared["app"].test_client()
    assert client.post("/usecases/no-such-usecase/", data={"a": "1"}).status_code == 404
    assert client.get("/usecases/no-such-usecase/").status_code == 404


# -- odd but possibly valid text, and where it is shown again ---------------------------------
TEXT_FIELDS = [(name, f) for name in NAMES for f in USECASES[name].fields
               if isinstance(f, Text)]


@pytest.mark.parametrize("label", list(odd_texts()))
@pytest.mark.parametrize(("name", "field"), TEXT_FIELDS,
                         ids=[f"{name}-{field.name}" for name, field in TEXT_FIELDS])
def test_odd_text_is_accepted_or_refused_and_always_escaped(shared, counting, name, field,
                                                            label):
    inputs = example_with(USECASES[name], field) | {field.name: odd_texts()[label]}
    before = counting()["predictions"]
    api = predict(shared, name, json.dumps({"inputs": inputs}).encode())
    page = post_form(shared, name, as_form(inputs))
    assert (api.status_code, page.status_code) in ((200, 200), (422, 400)), \
        (api.status_code, page.status_code)
    assert SCRIPT not in page.get_data(as_text=True)
    if api.status_code == 422:
        assert field.name in api.get_json()["error"]["fields"]
        assert f'id="f-{field.name}-error"' in page.get_data(as_text=True)
        assert counting()["predictions"] == before
        return
    assert counting()["predictions"] == before + 2
    assert api.get_json()["prediction"]["inputs"][field.name] == inputs[field.name].strip()
    history = signed_in(shared["app"], "analyst").get(f"/history/?usecase={name}")
    shown = history.get_data(as_text=True)
    assert history.status_code == 200 and SCRIPT not in shown
    if label == "HTML":
        assert ESCAPED_SCRIPT in shown  # shown, as text
