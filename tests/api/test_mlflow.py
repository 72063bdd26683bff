"""MLflow's scoring protocol: every body MLflow's server takes gives the native API's answers,
errors have MLflow's shape, and the aliases follow the native API's rules."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from registry.database import db
from registry.models import Prediction
from registry.monitoring import challenger
from tests.api.conftest import add_copy_of_production, assert_documented, bearer, same
from tests.conftest import assert_stored_with_version
from usecases import discover

NAMES = sorted(discover())


def base(name: str) -> str:
    return f"/api/v1/usecases/{name}"


def examples(app, name: str) -> list[dict]:
    return list(app.extensions["modelhub.usecases"][name].examples.values())


def native_outputs(client, name: str, rows: list[dict]) -> list:
    answer = client.post(f"{base(name)}/predict", json={"inputs": rows})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [made["result"]["output"] for made in answer.get_json()["predictions"]]


def as_csv(rows: list[dict]) -> str:
    """Rows as a spreadsheet writes them: a header, empty cells for nothing, lists as ids."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = list(rows[0])
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else " ".join(map(str, row[c]))
                         if isinstance(row[c], list) else row[c] for c in columns])
    return out.getvalue()


def bodies(rows: list[dict]) -> dict[str, dict]:
    columns = list(rows[0])
    return {
        "dataframe_split": {"dataframe_split": {
            "columns": columns, "data": [[row[c] for c in columns] for row in rows],
            "index": list(range(len(rows)))}},
        "dataframe_records": {"dataframe_records": rows},
        "instances": {"instances": rows},
        "inputs as columns": {"inputs": {c: [row[c] for row in rows] for c in columns}},
        "with params": {"inputs": rows, "params": {"result": "prediction"}},
    }


def stored_sources(app, since_id: int) -> list[tuple[str, int]]:
    with app.app_context():
        return [(row.source, row.version) for row in db.session.execute(
            sa.select(Prediction.source, Prediction.version).where(Prediction.id > since_id)
            .order_by(Prediction.id))]


def ids_since(app, since_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Prediction.id).where(Prediction.id > since_id)))


def last_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Prediction.id))) or 0


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error_code"] == code and body["message"], body
    return body


@pytest.mark.parametrize("name", NAMES)
def test_every_body_mlflow_takes_answers_as_the_native_api(client, app, spec, name):
    rows = examples(app, name)
    expected = native_outputs(client, name, rows)
    for kind, body in bodies(rows).items():
        before = last_id(app)
        answer = client.post(f"{base(name)}/invocations", json=body)
        assert answer.status_code == 200, (kind, answer.get_data(as_text=True)[:300])
        assert_documented(spec, "/usecases/{name}/invocations", "post", answer)
        assert same(answer.get_json(), {"predictions": expected}), kind
        assert stored_sources(app, before) == [("mlflow", 1)] * len(rows), kind
        assert_stored_with_version(app, ids_since(app, before), name, 1, "mlflow")
    answer = client.post(f"{base(name)}/invocations", data=as_csv(rows),
                         content_type="text/csv; charset=utf-8")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert same(answer.get_json(), {"predictions": expected})


def test_params_may_ask_for_the_native_results(client, app):
    name = NAMES[0]
    rows = examples(app, name)[:2]
    native = client.post(f"{base(name)}/predict", json={"inputs": rows}).get_json()
    full = client.post(f"{base(name)}/invocations",
                       json={"dataframe_records": rows, "params": {"result": "full"}}).get_json()
    assert [p["result"] for p in full["predictions"]] == \
        [p["result"] for p in native["predictions"]]
    assert [p["inputs"] for p in full["predictions"]] == [p["inputs"] for p in native["predictions"]]
    assert all(isinstance(p["id"], int) for p in full["predictions"])


def test_other_media_types_are_415(client, app):
    name = NAMES[0]
    response = client.post(f"{base(name)}/invocations", data="age=50",
                           content_type="application/x-www-form-urlencoded")
    error_of(response, 415, "BAD_REQUEST")
    error_of(client.post(f"{base(name)}/invocations", data=b"{}"), 415, "BAD_REQUEST")
    latin = client.post(f"{base(name)}/invocations", data=as_csv(examples(app, name)),
                        content_type="text/csv; charset=latin-1")
    error_of(latin, 415, "BAD_REQUEST")


@pytest.mark.parametrize("body, code, words", [
    (b"{not json", "MALFORMED_REQUEST", "not valid JSON"),
    (b"[1, 2]", "BAD_REQUEST", "exactly one of"),
    (b"{}", "BAD_REQUEST", "exactly one of"),
    (b'{"inputs": [], "instances": []}', "BAD_REQUEST", "it holds instances, inputs"),
    (b'{"inputs": [{}], "extra": 1}', "BAD_REQUEST", "unknown fields in the body: extra"),
    (b'{"inputs": [[1, 2]]}', "BAD_REQUEST", "not tensors"),
    (b'{"inputs": {"a": [1], "b": [1, 2]}}', "BAD_REQUEST", "one length"),
    (b'{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}', "BAD_REQUEST", "data[0]"),
    (b'{"dataframe_split": {"columns": ["a", "a"], "data": []}}', "BAD_REQUEST", "distinct"),
    (b'{"dataframe_records": {"a": 1}}', "BAD_REQUEST", "list of objects"),
    (b'{"inputs": []}', "BAD_REQUEST", "no rows"),
    (b'{"inputs": [{}], "params": [1]}', "INVALID_PARAMETER_VALUE", "params must be"),
    (b'{"inputs": [{}], "params": {"temperature": 1}}', "INVALID_PARAMETER_VALUE", "temperature"),
    (b'{"inputs": [{}], "params": {"result": "all"}}', "INVALID_PARAMETER_VALUE", "full"),
])
def test_bad_bodies_are_400_in_mlflows_shape(client, app, spec, body, code, words):
    before = last_id(app)
    response = client.post(f"{base(NAMES[0])}/invocations", data=body,
                           content_type="application/json")
    assert words in error_of(response, 400, code)["message"]
    assert_documented(spec, "/usecases/{name}/invocations", "post", response)
    assert last_id(app) == before


def test_invalid_rows_name_the_row_and_field(client, app):
    name = "heart-disease"
    rows = examples(app, name)[:2]
    rows[1] = rows[1] | {"age": 500, "shoe size": 42}
    before = last_id(app)
    error = error_of(client.post(f"{base(name)}/invocations", json={"dataframe_records": rows}),
                     400, "BAD_REQUEST")
    assert set(error["fields"]) == {"inputs[1].age", "inputs[1].shoe size"}
    assert "inputs[1]" in error["message"]
    assert last_id(app) == before  # nothing of the batch is stored


def test_bad_csv_is_400(client, app):
    name = NAMES[0]
    for body, words in [(b"\xff\xfe\x00", "UTF-8"), (b"", "header"),
                        (b"a,b\n1,2,3\n", "line 2 has 3 cells")]:
        response = client.post(f"{base(name)}/invocations", data=body, content_type="text/csv")
        assert words in error_of(response, 400, "MALFORMED_REQUEST")["message"]


def test_a_request_over_the_batch_limit_is_413(client, app):
    name = NAMES[0]
    limit = app.config["MAX_BATCH"]
    rows = examples(app, name)[:1] * (limit + 1)
    before = last_id(app)
    error_of(client.post(f"{base(name)}/invocations", json={"instances": rows}), 413,
             "REQUEST_LIMIT_EXCEEDED")
    assert last_id(app) == before


def test_an_unknown_usecase_or_alias_is_404(client, tokens):
    error_of(client.post(f"{base('no-such-thing')}/invocations", json={"inputs": [{}]}), 404,
             "RESOURCE_DOES_NOT_EXIST")
    admin = bearer(tokens["admin"])
    for alias in ("staging", "0", "99", "１"):
        response = client.post(f"{base(NAMES[0])}@{alias}/invocations",
                               json={"inputs": [{}]}, headers=admin)
        error_of(response, 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize("role, status, code", [(None, 401, "UNAUTHENTICATED"),
                                                ("analyst", 403, "PERMISSION_DENIED")])
@pytest.mark.parametrize("alias", ["1", "challenger"])
def test_a_version_or_the_challenger_needs_an_admin(client, tokens, alias, role, status, code):
    headers = bearer(tokens[role]) if role else {}
    response = client.post(f"{base(NAMES[0])}@{alias}/invocations", json={"inputs": [{}]},
                           headers=headers)
    error_of(response, status, code)
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_production_is_the_default_and_anyones(client, app):
    name = NAMES[0]
    rows = examples(app, name)[:1]
    plain = client.post(f"{base(name)}/invocations", json={"inputs": rows}).get_json()
    named = client.post(f"{base(name)}@production/invocations", json={"inputs": rows}).get_json()
    assert same(plain, named)


def test_an_admin_scores_with_a_version_or_the_challenger(client, app, tokens):
    name = "heart-disease"
    rows = examples(app, name)
    admin = bearer(tokens["admin"])
    with app.app_context():
        number = add_copy_of_production(name)
    expected = native_outputs(client, name, rows)
    before = last_id(app)
    answer = client.post(f"{base(name)}@{number}/invocations", json={"inputs": rows},
                         headers=admin)
    assert same(answer.get_json(), {"predictions": expected})
    assert stored_sources(app, before) == [("mlflow", number)] * len(rows)
    assert_stored_with_version(app, ids_since(app, before), name, number, "mlflow")
    error_of(client.post(f"{base(name)}@challenger/invocations", json={"inputs": rows},
                         headers=admin), 404, "RESOURCE_DOES_NOT_EXIST")
    with app.app_context():
        challenger.name(name, number, 0.0, "admin-user")
    before = last_id(app)
    answer = client.post(f"{base(name)}@challenger/invocations", json={"inputs": rows},
                         headers=admin)
    assert answer.status_code == 200
    assert stored_sources(app, before) == [("mlflow", number)] * len(rows)
    assert_stored_with_version(app, ids_since(app, before), name, number, "mlflow")


def test_ping_health_and_version(client, tokens):
    name = NAMES[0]
    for path in ("ping", "health"):
        answer = client.get(f"{base(name)}/{path}")
        assert answer.status_code == 200 and answer.get_data() == b"\n"
        error_of(client.get(f"{base('no-such-thing')}/{path}"), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(client.get(f"{base(name)}@99/ping", headers=bearer(tokens["admin"])), 404,
             "RESOURCE_DOES_NOT_EXIST")
    version = client.get(f"{base(name)}/version")
    assert version.status_code == 200 and version.mimetype == "text/plain"
    assert version.get_data(as_text=True).strip()


def test_without_a_model_ping_is_404_and_scoring_503(empty_app):
    client = empty_app.test_client()
    for path in ("ping", "health"):
        error_of(client.get(f"{base(NAMES[0])}/{path}"), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(client.post(f"{base(NAMES[0])}/invocations", json={"inputs": [{}]}), 503,
             "TEMPORARILY_UNAVAILABLE")
