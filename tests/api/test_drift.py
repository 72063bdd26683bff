"""GET /api/v1/usecases/<name>/drift and the drift gauges of /metrics: the same report of live inputs against the training inputs, each field's test, statistic and flag."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_documented, assert_error, bearer
from tests.api.test_ops import samples, value
from tests.labelled import predict_held_out_then_older

NAME = "heart-disease"
PATH = "/usecases/{name}/drift"


@pytest.fixture
def older_patients(app):
    return predict_held_out_then_older(app)


def test_the_api_flags_the_shifted_field_in_the_documented_shape(client, tokens, spec,
                                                                    older_patients):
    answer = client.get(f"/api/v1/usecases/{NAME}/drift?last={older_patients}",
                        headers=bearer(tokens["analyst"]))
    body = assert_documented(spec, PATH, "get", answer)
    assert body["version"] == 1 and body["window"]["predictions"] == older_patients
    flagged = {f["field"]: f for f in body["fields"]}
    assert [name for name, f in flagged.items() if f["drifting"]] == ["age"]
    assert flagged["age"]["test"] == "ks" and flagged["sex"]["test"] == "chi_square"
    both = client.get(f"/api/v1/usecases/{NAME}/drift", headers=bearer(tokens["admin"]))
    assert assert_documented(spec, PATH, "get", both)["window"]["predictions"] == \
        2 * older_patients


def test_the_api_needs_a_token_and_names_bad_parameters(client, tokens, spec):
    assert_error(client.get(f"/api/v1/usecases/{NAME}/drift"), 401)
    analyst = bearer(tokens["analyst"])
    assert_error(client.get(f"/api/v1/usecases/{NAME}/drift?last=0&since=x", headers=analyst),
                 422, "invalid_query")
    assert_error(client.get(f"/api/v1/usecases/{NAME}/drift?version=7", headers=analyst),
                 404, "not_found")
    empty = client.get(f"/api/v1/usecases/{NAME}/drift", headers=analyst)
    body = assert_documented(spec, PATH, "get", empty)
    assert body["window"]["predictions"] == 0 and not body["drifting"]
    assert all(f["test"] is None for f in body["fields"])


def test_metrics_export_a_gauge_per_field(client, older_patients):
    found = samples(client)
    labels = {"usecase": NAME, "field": "age", "feature": "", "test": "ks"}
    assert value(found, "modelhub_input_drifting", **labels) == 1  # half of them older
    assert value(found, "modelhub_input_drift_statistic", **labels) > 0
    assert value(found, "modelhub_usecase_drifting", usecase=NAME) == 0
    assert value(found, "modelhub_input_drifting", usecase=NAME, field="sex", feature="",
                 test="chi_square") == 0
