"""/api/v1/usecases/<name>/webhooks: admins register, list, remove, and read deliveries."""
from __future__ import annotations

from registry import webhooks
from tests.api.conftest import assert_documented, assert_error, bearer

NAME = "heart-disease"


def test_register_list_read_deliveries_and_remove(client, app, tokens, spec):
    admin = bearer(tokens["admin"])
    url = f"/api/v1/usecases/{NAME}/webhooks"
    made = assert_documented(spec, "/usecases/{name}/webhooks", "post", client.post(
        url, json={"url": "http://127.0.0.1:9/hook", "events": ["promotion"]}, headers=admin))
    assert made["events"] == ["promotion"] and len(made["secret"]) == 64
    listed = assert_documented(spec, "/usecases/{name}/webhooks", "get",
                               client.get(url, headers=admin))
    assert [w["id"] for w in listed["webhooks"]] == [made["id"]]
    assert "secret" not in listed["webhooks"][0]
    with app.app_context():
        assert webhooks.emit(NAME, "promotion", {"to_version": 1}) == 1
    deliveries = assert_documented(
        spec, "/usecases/{name}/webhooks/{webhook_id}/deliveries", "get",
        client.get(f"{url}/{made['id']}/deliveries", headers=admin))
    assert [d["event"] for d in deliveries["deliveries"]] == ["promotion"]
    assert client.delete(f"{url}/{made['id']}", headers=admin).status_code == 204
    assert_error(client.delete(f"{url}/{made['id']}", headers=admin), 404)


def test_bad_registrations_are_named(client, tokens):
    admin = bearer(tokens["admin"])
    url = f"/api/v1/usecases/{NAME}/webhooks"
    assert_error(client.get(url, headers=bearer(tokens["analyst"])), 403)
    assert_error(client.post(url, json={}, headers=admin), 422, fields={"url"})
    assert_error(client.post(url, json={"url": "file:///etc/passwd"}, headers=admin), 422,
                 fields={"url"})
    assert_error(client.post(url, json={"url": "https://example.org", "events": ["x"]},
                             headers=admin), 422, fields={"events"})
    assert_error(client.post(url, json={"url": "https://example.org", "events": "all"},
                             headers=admin), 422, fields={"events"})
