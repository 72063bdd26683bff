"""Anonymous quotas: clients without a token or a session have their scored inputs counted per
address over every protocol, and send small batches only; a refusal is a 429 (or 401) in the
protocol's own shape and stores nothing. Answers to made-up fields do not grow without bound."""
from __future__ import annotations

from pathlib import Path

import pytest

from devservices import RedisServer, ServiceError
from portal.config import DEFAULTS
from tests.api.conftest import bearer
from tests.conftest import copy_instance, make_app
from tests.security.conftest import add_people, row_counts, signed_in

REVIEW = {"review": "Fresh beans, rich and smooth."}
NATIVE = "/api/v1/usecases/sentiment/predict"
MLFLOW = "/api/v1/usecases/sentiment/invocations"
OIP = "/v2/models/sentiment/infer"
FORM = "/usecases/sentiment/"


def oip_body(reviews: list[str]) -> dict:
    return {"inputs": [{"name": "review", "shape": [len(reviews)], "datatype": "BYTES",
                        "data": reviews}]}


def send(client, protocol: str, rows: int = 1, headers: dict | None = None):
    """Score `rows` reviews through `protocol`."""
    reviews = [REVIEW["review"]] * rows
    if protocol == "native":
        inputs = REVIEW if rows == 1 else [REVIEW] * rows
        return client.post(NATIVE, json={"inputs": inputs}, headers=headers)
    if protocol == "mlflow":
        return client.post(MLFLOW, json={"dataframe_records": [REVIEW] * rows}, headers=headers)
    if protocol == "oip":
        return client.post(OIP, json=oip_body(reviews), headers=headers)
    assert rows == 1
    return client.post(FORM, data=REVIEW, headers=headers, follow_redirects=True)


PROTOCOLS = ("native", "mlflow", "oip", "form")


@pytest.fixture
def quota_app(trained_instance, tmp_path):
    """An app with anonymous quotas as production has them, but 4 inputs a minute."""
    return make_app(copy_instance(trained_instance, tmp_path / "instance"),
                    PREDICTION_RATE_LIMIT="4 per minute", ANONYMOUS_MAX_BATCH=2)


def stored(app) -> int:
    return row_counts(app)["predictions"]


def test_inputs_are_counted_across_every_protocol(quota_app):
    client = quota_app.test_client()
    for protocol in PROTOCOLS:
        assert send(client, protocol).status_code == 200, protocol
    before = stored(quota_app)
    for protocol in PROTOCOLS:
        answer = send(client, protocol)
        assert answer.status_code == 429, protocol
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
        text = answer.get_data(as_text=True)
        assert "4 inputs scored per 1 minute" in text, protocol
    assert stored(quota_app) == before  # refused: nothing scored, nothing stored
    assert send(client, "native").get_json()["error"]["code"] == "rate_limited"
    assert send(client, "mlflow").get_json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert "error" in send(client, "oip").get_json()
    assert 'role="alert"' in send(client, "form").get_data(as_text=True)


def test_a_batch_costs_its_inputs(quota_app):
    client = quota_app.test_client()
    assert send(client, "native", rows=2).status_code == 200
    assert send(client, "oip", rows=2).status_code == 200
    assert send(client, "mlflow").status_code == 429


def test_other_addresses_and_known_callers_have_their_own_quota(quota_app):
    tokens = add_people(quota_app)
    client = quota_app.test_client()
    for _ in range(4):
        send(client, "native")
    assert send(client, "native").status_code == 429
    elsewhere = client.post(NATIVE, json={"inputs": REVIEW},
                            environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert elsewhere.status_code == 200
    token = bearer(tokens["analyst"])
    for protocol in ("native", "mlflow", "oip"):
        assert send(client, protocol, rows=5, headers=token).status_code == 200, protocol
    assert send(signed_in(quota_app, "analyst"), "form").status_code == 200


def test_large_batches_need_a_token(quota_app):
    tokens = add_people(quota_app)
    client = quota_app.test_client()
    before = stored(quota_app)
    for protocol in ("native", "mlflow", "oip"):
        answer = send(client, protocol, rows=3)
        assert answer.status_code == 401, protocol
        assert "more than 2 inputs needs an API token" in answer.get_data(as_text=True)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert send(client, "native").get_json()["prediction"]  # the quota was not charged
    assert stored(quota_app) == before + 1
    assert send(client, "native", rows=3, headers=bearer(tokens["admin"])).status_code == 200


def test_the_defaults_hold_anonymous_batches_to_a_few_inputs(trained_instance, tmp_path):
    app = make_app(copy_instance(trained_instance, tmp_path / "instance"),
                   PREDICTION_RATE_LIMIT=DEFAULTS["PREDICTION_RATE_LIMIT"],
                   ANONYMOUS_MAX_BATCH=DEFAULTS["ANONYMOUS_MAX_BATCH"])
    client = app.test_client()
    limit = DEFAULTS["ANONYMOUS_MAX_BATCH"]
    assert send(client, "native", rows=limit).status_code == 200
    assert send(client, "native", rows=limit + 1).status_code == 401


@pytest.fixture(scope="module")
def redis_url():
    try:
        server = RedisServer().start()
    except ServiceError as exc:
        pytest.skip(str(exc))
    yield server.url
    server.close()


def test_hosts_sharing_a_redis_share_the_count(quota_app, redis_url):
    """Two hosts (two apps on one registry) with the counts in one Redis: an address gets one
    quota, not one per host."""
    folder = Path(quota_app.instance_path)
    host_a, host_b = (make_app(folder, PREDICTION_RATE_LIMIT="3 per minute",
                               RATELIMIT_STORAGE_URI=redis_url) for _ in range(2))
    a, b = host_a.test_client(), host_b.test_client()
    assert [send(a, "native").status_code, send(b, "native").status_code,
            send(a, "oip").status_code] == [200, 200, 200]
    assert send(b, "native").status_code == 429
    assert send(a, "mlflow").status_code == 429


def test_a_form_with_thousands_of_made_up_fields_gets_a_short_answer(shared):
    client = shared["app"].test_client()
    form = {f"made-up-{n}": "x" for n in range(20_000)} | REVIEW
    answer = client.post(FORM, data=form)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert len(page) < 50_000
    assert "made-up-0 is not a field" in page and "19,990 more keys" in page


def test_api_errors_list_a_bounded_number_of_problems(shared):
    client = shared["app"].test_client()
    row = {f"made-up-{n}": 1 for n in range(5_000)} | REVIEW
    answer = client.post(NATIVE, json={"inputs": row})
    assert answer.status_code == 422
    fields = answer.get_json()["error"]["fields"]
    assert len(fields) == 11 and "4,990 more keys" in fields["inputs"]
    batch = [{"review": "", "stars": n} for n in range(1_000)]
    answer = client.post(NATIVE, json={"inputs": batch}, headers=bearer(shared["tokens"]["admin"]))
    assert answer.status_code == 422
    fields = answer.get_json()["error"]["fields"]
    assert len(fields) == 101 and "1,900 more problems" in fields["inputs"]
    body = {f"key-{n}": 1 for n in range(5_000)} | {"inputs": REVIEW}
    fields = client.post(NATIVE, json=body).get_json()["error"]["fields"]
    assert len(fields) == 11 and "4,990 more keys" in fields["body"]
