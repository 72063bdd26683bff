"""PUT/GET/DELETE /api/v1/usecases/<name>/challenger."""
from __future__ import annotations

from registry.monitoring import challenger
from tests.api.conftest import add_copy_of_production, assert_documented, assert_error, bearer

NAME = "heart-disease"
PATH = "/usecases/{name}/challenger"


def test_name_read_and_stop_a_challenger(client, app, tokens, spec):
    with app.app_context():
        number = add_copy_of_production(NAME)
    admin = bearer(tokens["admin"])
    url = f"/api/v1/usecases/{NAME}/challenger"
    assert_error(client.get(url, headers=admin), 404, "not_found")
    answer = client.put(url, json={"version": number, "share": 1}, headers=admin)
    body = assert_documented(spec, PATH, "put", answer)
    assert body["version"] == number and body["share"] == 1.0
    example = next(iter(app.extensions["modelhub.usecases"][NAME].examples.values()))
    client.post(f"/api/v1/usecases/{NAME}/predict", json={"inputs": [example] * 3})
    with app.app_context():
        assert challenger.shadow().drain()
    state = assert_documented(spec, PATH, "get",
                              client.get(url, headers=bearer(tokens["analyst"])))
    assert state["comparison"]["compared"] == 3 and state["comparison"]["agreement"] == 1.0
    assert client.delete(url, headers=admin).status_code == 204
    assert_error(client.delete(url, headers=admin), 404)


def test_bad_choices_are_named(client, app, tokens):
    admin = bearer(tokens["admin"])
    url = f"/api/v1/usecases/{NAME}/challenger"
    assert_error(client.put(url, json={"version": 2, "share": 0.5}), 401)
    assert_error(client.put(url, json={"version": 2, "share": 0.5},
                            headers=bearer(tokens["analyst"])), 403)
    assert_error(client.put(url, json={"share": 0.5}, headers=admin), 422, fields={"version"})
    assert_error(client.put(url, json={"version": 1, "share": "half"}, headers=admin), 422,
                 fields={"share"})
    assert_error(client.put(url, json={"version": 1, "share": True}, headers=admin), 422,
                 fields={"share"})
    assert_error(client.put(url, json={"version": 1, "share": 0.5, "x": 1}, headers=admin),
                 422)
    assert_error(client.put(url, json={"version": 9, "share": 0.5}, headers=admin), 404)
    refused = assert_error(client.put(url, json={"version": 1, "share": 0.5}, headers=admin),
                           409)
    assert "in production" in refused["message"]


def test_a_policy_gates_promotion_through_the_api(client, app, tokens, spec):
    with app.app_context():
        number = add_copy_of_production(NAME)
    admin = bearer(tokens["admin"])
    policy = f"/api/v1/usecases/{NAME}/policy"
    assert_error(client.get(policy, headers=admin), 404)
    assert_error(client.put(policy, json={"min_labelled": -1}, headers=admin), 422,
                 fields={"min_labelled"})
    body = assert_documented(spec, "/usecases/{name}/policy", "put", client.put(
        policy, json={"min_labelled": 20, "not_worse": True}, headers=admin))
    assert body["min_labelled"] == 20 and body["updated_by"] == "admin-user"
    verdict = assert_documented(spec, "/usecases/{name}/versions/{number}/gate", "get",
                                client.get(f"/api/v1/usecases/{NAME}/versions/{number}/gate",
                                           headers=bearer(tokens["analyst"])))
    assert verdict["passes"] is False and verdict["evidence"]["offline"]["same_rows"]
    promote = f"/api/v1/usecases/{NAME}/versions/{number}/promote"
    refused = assert_error(client.post(promote, json={"reason": "try"}, headers=admin), 409,
                           "policy_not_met", {"min_labelled", "not_worse"})
    assert "not met" in refused["message"]
    assert_error(client.post(promote, json={"reason": "x", "override": "yes"}, headers=admin),
                 422, fields={"override"})
    done = assert_documented(spec, "/usecases/{name}/versions/{number}/promote", "post",
                             client.post(promote, json={"reason": "hotfix", "override": True},
                                         headers=admin))
    assert done["against_policy"] is True and done["gate"]["passes"] is False
    assert client.delete(policy, headers=admin).status_code == 204
