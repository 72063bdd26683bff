"""GET /usecases and /usecases/{name}: what is on offer, and how to call it."""
import jsonschema
import pytest

from usecases import discover
from usecases.fields import json_schema

from tests.api.conftest import assert_documented, assert_error

NAMES = sorted(discover())


def test_list_has_every_usecase_with_production_version_and_metric(client, app, spec):
    body = assert_documented(spec, "/usecases", "get", client.get("/api/v1/usecases"))
    listed = {entry["name"]: entry for entry in body["usecases"]}
    assert listed.keys() == app.extensions["modelhub.usecases"].keys()
    for name, usecase in app.extensions["modelhub.usecases"].items():
        entry = listed[name]
        assert (entry["title"], entry["task"]) == (usecase.title, usecase.task)
        assert entry["production_version"] == 1
        assert entry["primary_metric"]["name"] == usecase.primary_metric
        assert isinstance(entry["primary_metric"]["value"], float)


def test_list_without_models_says_so(empty_app):
    body = empty_app.test_client().get("/api/v1/usecases").get_json()
    assert body["usecases"] and all(entry["production_version"] is None
                                    and entry["primary_metric"]["value"] is None
                                    for entry in body["usecases"])


@pytest.mark.parametrize("name", NAMES)
def test_detail_gives_schema_examples_and_metrics(client, app, spec, name):
    usecase = app.extensions["modelhub.usecases"][name]
    body = assert_documented(spec, "/usecases/{name}", "get",
                             client.get(f"/api/v1/usecases/{name}"))
    assert body["input_schema"] == json_schema(usecase.fields)
    assert body["examples"].keys() == usecase.examples.keys()
    for example in body["examples"].values():
        jsonschema.validate(example, body["input_schema"])
    assert usecase.primary_metric in body["metrics"]
    assert body["predict_url"].endswith(f"/api/v1/usecases/{name}/predict")


@pytest.mark.parametrize("url", ["/api/v1/usecases/no-such-thing",
                                 "/api/v1/usecases/no-such-thing/versions"])
def test_unknown_usecase_is_404(client, url):
    error = assert_error(client.get(url), 404, "not_found")
    assert "no-such-thing" in error["message"]
