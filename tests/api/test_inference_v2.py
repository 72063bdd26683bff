"""The Open Inference Protocol v2 at /v2: a real client of the protocol (Triton's HTTP client)
against the portal on a loopback port, and the protocol's errors through the test client."""
from __future__ import annotations

import gc
import json
import threading

import numpy as np
import pytest
import sqlalchemy as sa
import tritonclient.http as httpclient
from werkzeug.serving import make_server

from registry import users
from registry.database import db
from registry.models import Prediction
from tests.api.conftest import add_copy_of_production, same
from tests.conftest import assert_stored_with_version, copy_instance, make_app
from tests.databases import close_connections
from usecases import discover
from usecases.fields import Boolean, ItemList, Number

NAMES = sorted(discover())


@pytest.fixture(scope="module")
def served(trained_instance, tmp_path_factory):
    """The portal served by a real HTTP server in a thread; its app and host:port."""
    folder = copy_instance(trained_instance, tmp_path_factory.mktemp("v2") / "instance")
    app = make_app(folder)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    # Its connections closed here, not left to the garbage collector in a later test.
    app.extensions["modelhub.webhooks"].stop()
    with app.app_context():
        close_connections()
    gc.collect()  # the request threads' own connections are closed as their threads go


@pytest.fixture
def triton(served):
    client = httpclient.InferenceServerClient(url=served[1])
    yield httpclient, client
    client.close()


def tensor_of(httpclient, field, value):
    """One input of one row as the protocol carries it (see portal/inference)."""
    if isinstance(field, ItemList):
        array, kind = np.array([" ".join(map(str, value))], dtype=object), "BYTES"
    elif isinstance(field, Boolean):
        array, kind = np.array([value], dtype=bool), "BOOL"
    elif isinstance(field, Number):
        kind = "INT64" if field.integer else "FP64"
        array = np.array([value], dtype=np.int64 if field.integer else np.float64)
    else:
        array, kind = np.array([str(value)], dtype=object), "BYTES"
    tensor = httpclient.InferInput(field.name, [1], kind)
    tensor.set_data_from_numpy(array, binary_data=False)
    return tensor


def native(app, name, inputs):
    answer = app.test_client().post(f"/api/v1/usecases/{name}/predict", json={"inputs": inputs})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["prediction"]["result"]


def test_server_metadata_and_health(triton):
    _, client = triton
    assert client.is_server_live() and client.is_server_ready()
    assert client.get_server_metadata()["name"] == "modelhub"


@pytest.mark.parametrize("name", NAMES)
def test_a_real_client_gets_the_native_answers(served, triton, name):
    app, _ = served
    httpclient, client = triton
    usecase = app.extensions["modelhub.usecases"][name]
    assert client.is_model_ready(name)
    described = client.get_model_metadata(name)
    fields = {f.name: f for f in usecase.fields}
    assert [i["name"] for i in described["inputs"]] == list(fields)
    assert described["versions"] and "output" in [o["name"] for o in described["outputs"]]
    for inputs in usecase.examples.values():
        given = {k: v for k, v in inputs.items() if v is not None}  # a left-out field: not given
        expected = native(app, name, given)
        wanted = [httpclient.InferRequestedOutput(o["name"], binary_data=False)
                  for o in described["outputs"]]
        result = client.infer(name, [tensor_of(httpclient, fields[k], v) for k, v in given.items()],
                              outputs=wanted, request_id="r-1")
        answer = result.get_response()
        assert answer["model_name"] == name and answer["id"] == "r-1"
        output = result.as_numpy("output")[0]
        output = output.decode() if isinstance(output, bytes) else output
        if isinstance(expected["output"], list):
            output = json.loads(output)
        assert same(output if not isinstance(output, np.generic) else output.item(),
                    expected["output"]), (name, inputs)
        summary = result.as_numpy("summary")[0]
        assert (summary.decode() if isinstance(summary, bytes) else summary) == \
            expected["summary"]
    with app.app_context():
        newest = db.session.scalar(sa.select(sa.func.max(Prediction.id))
                                   .where(Prediction.usecase == name))
    assert_stored_with_version(app, {newest}, name, int(answer["model_version"]), "oip")


def test_a_batch_and_requested_outputs(served):
    app, _ = served
    client = app.test_client()
    body = {"inputs": [{"name": "review", "shape": [2, 1], "datatype": "BYTES",
                        "data": ["Best coffee I ever had.", "Stale and flat."]}],
            "outputs": [{"name": "probability"}]}
    answer = client.post("/v2/models/sentiment/infer", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    outputs = answer.get_json()["outputs"]
    assert [o["name"] for o in outputs] == ["probability"] and outputs[0]["shape"] == [2]
    native_batch = client.post("/api/v1/usecases/sentiment/predict", json={"inputs": [
        {"review": text} for text in body["inputs"][0]["data"]]}).get_json()
    assert same(outputs[0]["data"], [max(p["result"]["probability"], 1 - p["result"]["probability"])
                                     for p in native_batch["predictions"]])


@pytest.mark.parametrize("body, words", [
    ({}, "list of"),
    ({"inputs": [{"name": "review", "shape": [1], "datatype": "FP64", "data": [1.0]}]},
     "must have datatype BYTES"),
    ({"inputs": [{"name": "nope", "shape": [1], "datatype": "BYTES", "data": ["x"]}]},
     "unknown input"),
    ({"inputs": [{"name": "review", "shape": [2], "datatype": "BYTES", "data": ["x"]}]},
     "1 elements for shape [2]"),
    ({"inputs": [{"name": "review", "shape": [1, 3], "datatype": "BYTES", "data": ["x"]}]},
     "shape [rows] or [rows, 1]"),
    ({"inputs": [{"name": "review", "shape": [1], "datatype": "BYTES", "data": [""]}]},
     "row 0 review"),
    ({"inputs": [{"name": "review", "shape": [1], "datatype": "BYTES", "data": ["x"]}],
      "outputs": [{"name": "logits"}]}, "unknown output"),
])
def test_bad_requests_are_400_in_the_protocols_shape(client, app, body, words):
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Prediction))
    answer = client.post("/v2/models/sentiment/infer", json=body)
    assert answer.status_code == 400 and set(answer.get_json()) == {"error"}
    assert words in answer.get_json()["error"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Prediction)) == before


def test_unknown_models_and_versions_are_404(client, app):
    with app.app_context():
        token = users.issue_token(users.create_user("admin-user", "long password", "admin"))
    admin = {"Authorization": f"Bearer {token}"}
    assert client.get("/v2/models/no-such-model").status_code == 404
    assert client.get("/v2/models/sentiment/versions/99", headers=admin).status_code == 404
    assert client.get("/v2/models/sentiment/versions/x", headers=admin).status_code == 404
    assert "error" in client.get("/v2/models/no-such-model/ready").get_json()


def test_another_version_is_for_admins(client, app):
    name = "heart-disease"
    with app.app_context():
        number = add_copy_of_production(name)
        token = users.issue_token(users.create_user("admin-user", "long password", "admin"))
        analyst = users.issue_token(users.create_user("analyst-user", "long password",
                                                      "analyst"))
    path = f"/v2/models/{name}/versions/{number}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": f"Bearer {analyst}"}).status_code == 403
    body = {"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [58]},
                       {"name": "sex", "shape": [1], "datatype": "BYTES", "data": ["Male"]},
                       {"name": "cp", "shape": [1], "datatype": "BYTES",
                        "data": ["asymptomatic"]}]}
    answer = client.post(f"{path}/infer", json=body,
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.get_json()["model_version"] == str(number)
    with app.app_context():
        newest = db.session.scalar(sa.select(sa.func.max(Prediction.id)))
    assert_stored_with_version(app, {newest}, name, number, "oip")
