"""Property: whatever body is posted to any use case's predict, the answer is a documented JSON
shape with a documented status, and never a 5xx (the models are trained, so not even 503)."""
from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from usecases import discover
from usecases.fields import json_schema

from tests.api.conftest import assert_documented

NAMES = sorted(discover())

SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
           | st.text(max_size=20))
WILD = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
NAN_LIKE = st.sampled_from(["NaN", "nan", "Infinity", "-inf", "1e999", "", "   ", "null",
                            "0x10", "٣", "true"])
HUGE = st.sampled_from([10**400, -10**400, 2**63, 1e308, -1e308, 5e-324])
BAD = WILD | NAN_LIKE | HUGE
# Raw bodies that are not JSON at all, or JSON only in Python's lenient reading.
RAW = st.sampled_from([b"", b"{", b"NaN", b'{"inputs": NaN}', b'{"inputs": {"x": -Infinity}}',
                       b"\xff\xfe\x00\x00", b"[" * 20_000, b'{"inputs": "\\ud83d"}']) \
    | st.binary(max_size=40)


def good_value(prop: dict[str, Any], seen: list[Any]) -> st.SearchStrategy:
    """Values the field should accept: from its schema, and those its examples use."""
    kind = prop.get("type")
    low, high = prop.get("minimum"), prop.get("maximum")
    if "enum" in prop:
        found = st.sampled_from(prop["enum"])
    elif kind == "integer":
        found = st.integers(None if low is None else math.ceil(low),
                            None if high is None else math.floor(high))
    elif kind == "number":
        found = st.floats(low, high, allow_nan=False, allow_infinity=False)
    elif kind == "boolean":
        found = st.booleans()
    elif kind == "string":
        found = st.text(st.characters(blacklist_categories=("Cc", "Cs")),
                        min_size=prop.get("minLength", 0),
                        max_size=min(prop.get("maxLength", 40), 40))
    elif kind == "array":
        found = st.lists(st.integers(0, 5000), min_size=prop.get("minItems", 0),
                         max_size=min(prop.get("maxItems", 10), 10))
    else:
        found = WILD
    return st.sampled_from(seen) | found if seen else found


def rows(schema: dict[str, Any], examples: list[dict[str, Any]]) -> st.SearchStrategy:
    """Input objects: the examples, rows that look valid, rows with a wrong value or an extra
    key. (Fields can depend on each other, e.g. one rating per movie: the examples are the sure
    way to reach a 200.)"""
    props = schema["properties"]
    required = set(schema["required"])

    def row(value: Any) -> st.SearchStrategy:
        chosen = {name: value(name) for name in props}
        return st.fixed_dictionaries({k: v for k, v in chosen.items() if k in required},
                                     optional={k: v for k, v in chosen.items()
                                               if k not in required})

    def seen(name: str) -> list[Any]:
        return [e[name] for e in examples if e.get(name) is not None]

    valid = row(lambda name: good_value(props[name], seen(name)))
    mutated = row(lambda name: good_value(props[name], seen(name)) | BAD)
    extra = st.builds(lambda r, k, v: r | {k: v}, valid, st.text(max_size=10), WILD)
    return st.sampled_from(examples) | valid | mutated | extra


def bodies(schema: dict[str, Any], examples: list[dict[str, Any]]) -> st.SearchStrategy:
    one = rows(schema, examples)
    inputs = one | st.lists(one | BAD, min_size=0, max_size=4) | BAD
    documents = (st.fixed_dictionaries({"inputs": inputs})
                 | st.fixed_dictionaries({"inputs": inputs},
                                         optional={"version": BAD, "extra": WILD})
                 | WILD)
    return st.builds(lambda doc: json.dumps(doc).encode(), documents) | RAW


@pytest.mark.parametrize("name", NAMES)
def test_predict_answers_a_documented_shape_for_any_body(app, spec, name):
    usecase = app.extensions["modelhub.usecases"][name]
    client = app.test_client()
    path, url = f"/usecases/{name}/predict", f"/api/v1/usecases/{name}/predict"
    statuses = []

    # The app is built once per use case, outside @given: one app for all examples is right
    # here, since each request stands alone (stored predictions do not change the answers).
    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(bodies(json_schema(usecase.fields), list(usecase.examples.values())))
    def check(body: bytes) -> None:
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code < 500, response.get_data(as_text=True)[:500]
        assert_documented(spec, path, "post", response)
        statuses.append(response.status_code)

    check()
    assert 200 in statuses and 422 in statuses and 400 in statuses  # the search went wide
