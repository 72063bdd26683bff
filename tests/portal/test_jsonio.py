"""JSON answers through orjson: the same JSON Flask's own provider writes, whatever the values."""
from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pytest
from flask.json.provider import DefaultJSONProvider

from portal import create_app

VALUES = [
    {"a": 1, "b": [1.5, None, True], "c": {"d": "é ✓"}},
    {1: "a number as a key", "x": {2.5: "and a float"}},  # keys that are not strings
    {"big": 2**70, "small": -(2**70)},  # beyond 64 bits
    {"numpy": np.float64(0.25)},  # a float subclass, which orjson refuses
    {"when": datetime(2026, 11, 23, 10, 30, 5), "day": date(2026, 11, 23)},
    [],
]


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_answers_read_back_as_flasks_own_provider_writes_them(app, value):
    flasks = DefaultJSONProvider(app)
    flasks.sort_keys = False
    with app.test_request_context():
        body = app.json.response(value).get_data()
        assert json.loads(body) == json.loads(flasks.dumps(value))
        assert json.loads(app.json.dumps(value)) == json.loads(flasks.dumps(value))


@pytest.mark.parametrize("args, kwargs", [((), {}), ((1,), {}), ((1, "two"), {}),
                                          ((), {"a": 1, "b": [2]}), (({"a": 1},), {})],
                         ids=["nothing", "one", "several", "keywords", "an object"])
def test_jsonify_takes_its_arguments_as_flasks_own_provider_does(app, args, kwargs):
    flasks = DefaultJSONProvider(app)
    with app.test_request_context():
        assert json.loads(app.json.response(*args, **kwargs).get_data()) == \
            json.loads(flasks.response(*args, **kwargs).get_data())


def test_jsonify_refuses_arguments_and_keywords_together(app):
    with app.test_request_context(), pytest.raises(TypeError):
        app.json.response(1, a=2)
