"""POST /usecases/{name}/predict: one input, a batch, a chosen version, and every refusal."""
import pytest

from registry import history, predictions, versions
from usecases import discover

from tests.conftest import assert_stored_with_version
from tests.api.conftest import add_copy_of_production, assert_documented, assert_error, \
    bearer, same

NAMES = sorted(discover())
PREDICT = "/usecases/{name}/predict"


def url(name):
    return f"/api/v1/usecases/{name}/predict"


def first_example(app, name):
    return next(iter(app.extensions["modelhub.usecases"][name].examples.values()))


def stored(app, ids):
    """The stored predictions with these ids, by id."""
    with app.app_context():
        rows = history.page(history.HistoryFilter(), limit=history.MAX_PAGE_SIZE).rows
        return {row.id: (row.source, row.version, row.inputs) for row in rows if row.id in ids}


@pytest.mark.parametrize("name", NAMES)
def test_each_example_predicts_with_an_explanation_and_is_stored(client, app, spec, name):
    for title, inputs in app.extensions["modelhub.usecases"][name].examples.items():
        body = assert_documented(spec, f"/usecases/{name}/predict", "post",
                                 client.post(url(name), json={"inputs": inputs}))
        made = body["prediction"]
        assert body["version"] == 1 and made["result"]["summary"], title
        assert isinstance(made["result"]["explanation"], list)
        assert stored(app, {made["id"]}) == {made["id"]: ("api", 1, made["inputs"])}
        assert_stored_with_version(app, {made["id"]}, name, 1, "api")


@pytest.mark.parametrize("name", NAMES)
def test_a_batch_scores_like_the_same_inputs_one_by_one(client, app, spec, name):
    rows = list(app.extensions["modelhub.usecases"][name].examples.values())
    rows = rows + rows[::-1]  # repeats and another order: each row is scored on its own
    batch = assert_documented(spec, f"/usecases/{name}/predict", "post",
                              client.post(url(name), json={"inputs": rows}))
    singles = [client.post(url(name), json={"inputs": row}).get_json()["prediction"]
               for row in rows]
    assert len(batch["predictions"]) == len(rows)
    for in_batch, alone in zip(batch["predictions"], singles):
        assert same(in_batch["result"], alone["result"])
        assert in_batch["inputs"] == alone["inputs"]
    ids = [p["id"] for p in batch["predictions"]]
    assert len(set(ids)) == len(rows)
    assert stored(app, set(ids)) == {p["id"]: ("batch", 1, p["inputs"])
                                     for p in batch["predictions"]}
    assert_stored_with_version(app, ids, name, 1, "batch")


def test_invalid_single_input_names_its_fields(client, app):
    name = NAMES[0]
    fields = app.extensions["modelhub.usecases"][name].fields
    bad = dict(first_example(app, name)) | {fields[0].name: {"not": "valid"}, "nonsense": 1}
    error = assert_error(client.post(url(name), json={"inputs": bad}), 422, "invalid_input",
                         {fields[0].name, "nonsense"})
    assert error["fields"]["nonsense"] == "is not a field of this use case"
    with app.app_context():
        assert predictions.count() == 0


def test_invalid_batch_rows_are_named_by_index(client, app):
    name = NAMES[0]
    first = app.extensions["modelhub.usecases"][name].fields[0].name
    good = first_example(app, name)
    rows = [good, dict(good) | {first: {"x": 1}}, "not an object", good]
    error = assert_error(client.post(url(name), json={"inputs": rows}), 422, "invalid_input")
    assert set(error["fields"]) == {f"inputs[1].{first}", "inputs[2]"}
    with app.app_context():
        assert predictions.count() == 0  # all or nothing


@pytest.mark.parametrize("body, field", [
    ({}, "inputs"),
    ({"inputs": None}, "inputs"),
    ({"inputs": "age=50"}, "inputs"),
    ({"inputs": 3}, "inputs"),
    ({"inputs": []}, "inputs"),
    ({"inputs": {}, "explain": True}, "explain"),
    ({"inputs": {}, "version": "latest"}, "version"),
    ({"inputs": {}, "version": 0}, "version"),
    ({"inputs": {}, "version": True}, "version"),
    ({"inputs": {}, "version": 2**63}, "version"),
])
def test_body_of_the_wrong_shape_is_422_naming_the_key(client, body, field):
    assert_error(client.post(url(NAMES[0]), json=body), 422, fields={field})


def test_a_batch_over_the_limit_is_refused_before_scoring(client, app):
    app.config["MAX_BATCH"] = 3
    rows = [first_example(app, NAMES[0])] * 4
    error = assert_error(client.post(url(NAMES[0]), json={"inputs": rows}), 413,
                         "batch_too_large", {"inputs"})
    assert "at most 3" in error["message"]
    assert client.post(url(NAMES[0]), json={"inputs": rows[:3]}).status_code == 200


def test_more_text_than_a_request_may_hold_is_413_in_every_protocol(client, app):
    """MAX_REQUEST_TEXT counts the characters of every input's text in a request: beyond it
    nothing is read or stored, whichever protocol the rows came by."""
    app.config["MAX_REQUEST_TEXT"] = 12_000
    reviews = [{"review": f"Review {i}: " + "lovely tea, would buy again. " * 100}
               for i in range(5)]  # about 14,500 characters in all
    with app.app_context():
        before = predictions.count("sentiment")
    error = assert_error(client.post(url("sentiment"), json={"inputs": reviews}), 413,
                         "text_too_large", {"inputs"})
    assert "at most 12,000" in error["message"]
    mlflow = client.post("/api/v1/usecases/sentiment/invocations",
                         json={"dataframe_records": reviews})
    assert (mlflow.status_code, mlflow.get_json()["error_code"]) == \
        (413, "REQUEST_LIMIT_EXCEEDED")
    oip = client.post("/v2/models/sentiment/infer", json={"inputs": [
        {"name": "review", "datatype": "BYTES", "shape": [5],
         "data": [row["review"] for row in reviews]}]})
    assert oip.status_code == 413 and "12,000" in oip.get_json()["error"]
    with app.app_context():
        assert predictions.count("sentiment") == before
    assert client.post(url("sentiment"), json={"inputs": reviews[:4]}).status_code == 200


@pytest.mark.parametrize("value", ["10" * 200, "1" + "0" * 5000, "-1e999", "1e400"])
def test_numbers_too_big_for_a_double_are_invalid_not_a_crash(client, app, value):
    name = NAMES[0]
    first = app.extensions["modelhub.usecases"][name].fields[0].name
    body = '{"inputs": {"%s": %s}}' % (first, value)
    response = client.post(url(name), data=body, content_type="application/json")
    assert_error(response, 422, "invalid_input")


def test_unknown_usecase_is_404(client):
    assert_error(client.post(url("no-such-thing"), json={"inputs": {}}), 404, "not_found")


def test_without_a_model_the_api_answers_503(empty_app):
    name = NAMES[0]
    response = empty_app.test_client().post(url(name), json={"inputs": {}})
    error = assert_error(response, 503, "model_unavailable")
    assert "no production model" in error["message"]


def test_an_admin_scores_with_another_version_without_promoting_it(client, app, tokens, spec):
    name = NAMES[0]
    with app.app_context():
        number = add_copy_of_production(name)
    body = {"inputs": first_example(app, name), "version": number}
    answer = assert_documented(spec, f"/usecases/{name}/predict", "post",
                               client.post(url(name), json=body, headers=bearer(tokens["admin"])))
    assert answer["version"] == number
    assert_stored_with_version(app, {answer["prediction"]["id"]}, name, number, "api")
    batch = client.post(url(name), json={"inputs": [body["inputs"]] * 3, "version": number},
                        headers=bearer(tokens["admin"])).get_json()
    assert batch["version"] == number
    assert_stored_with_version(app, [p["id"] for p in batch["predictions"]], name, number,
                               "batch")
    with app.app_context():
        assert versions.production_version(name).version == 1
    assert client.post(url(name), json={"inputs": body["inputs"]}).get_json()["version"] == 1


@pytest.mark.parametrize("role, status", [(None, 401), ("analyst", 403)])
def test_choosing_a_version_needs_an_admin(client, tokens, role, status):
    headers = bearer(tokens[role]) if role else {}
    response = client.post(url(NAMES[0]), json={"inputs": {}, "version": 1}, headers=headers)
    assert_error(response, status)


def test_an_unknown_version_is_404(client, app, tokens):
    body = {"inputs": first_example(app, NAMES[0]), "version": 99}
    response = client.post(url(NAMES[0]), json=body, headers=bearer(tokens["admin"]))
    assert "no version 99" in assert_error(response, 404, "not_found")["message"]
