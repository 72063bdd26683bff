"""Liveness, readiness and metrics, outside /api/v1."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from registry import jobs, versions
from usecases import discover

from tests.api.conftest import assert_documented, bearer
from tests.conftest import METRICS_TOKEN, copy_instance, make_app

NAMES = sorted(discover())
ROOT = Path(__file__).resolve().parents[2]


def samples(client):
    """The /metrics answer as {(name, labels as a sorted tuple): value}."""
    response = client.get("/metrics", headers=bearer(METRICS_TOKEN))
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def value(found, name, **labels):
    return found.get((name, tuple(sorted(labels.items()))))


def test_healthz(client, spec):
    assert assert_documented(spec, "/healthz", "get", client.get("/healthz")) == \
        {"status": "ok"}


def test_ready_when_every_model_loads(client, spec):
    body = assert_documented(spec, "/readyz", "get", client.get("/readyz"))
    assert body["status"] == "ready" and body["database"] == "ok"
    assert set(body["usecases"]) == set(NAMES)
    assert all(u["ready"] and u["version"] == 1 for u in body["usecases"].values())


def test_not_ready_names_the_usecase_and_why(client, app, spec):
    with app.app_context():
        row = versions.production_version(NAMES[0])
        path = versions.artifact_store().resolve(row.artifact_path)
        path.unlink()
    response = client.get("/readyz")
    body = assert_documented(spec, "/readyz", "get", response)
    assert response.status_code == 503 and body["status"] == "not ready"
    assert not body["usecases"][NAMES[0]]["ready"]
    assert "missing" in body["usecases"][NAMES[0]]["message"]
    assert all(body["usecases"][name]["ready"] for name in NAMES[1:])
    # Nobody learns where artifacts are kept: not from the probe, the API or the page.
    example = next(iter(app.extensions["modelhub.usecases"][NAMES[0]].examples.values()))
    answers = [response, client.post(f"/api/v1/usecases/{NAMES[0]}/predict",
                                     json={"inputs": example}),
               client.post(f"/usecases/{NAMES[0]}/", data={
                   k: form_value(v) for k, v in example.items() if v is not None})]
    assert [a.status_code for a in answers] == [503, 503, 503]
    for answer in answers:
        text = answer.get_data(as_text=True)
        for secret in (row.artifact_path, path.name, str(path.parent), row.artifact_sha256):
            assert secret not in text, (answer.request.path, secret)


def test_not_ready_without_models(empty_app):
    response = empty_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert all("no production model" in u["message"]
               for u in response.get_json()["usecases"].values())


def test_not_ready_without_a_database(tmp_path):
    app = make_app(tmp_path / "instance",
                   SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such/dir/hub.db")
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "cannot be reached" in response.get_json()["database"]
    assert client.get("/healthz").status_code == 200  # alive, just not ready
    assert value(samples(client), "modelhub_database_up") == 0


def test_metrics_count_requests_by_endpoint_not_path(client, app):
    example = next(iter(app.extensions["modelhub.usecases"][NAMES[0]].examples.values()))
    client.post(f"/api/v1/usecases/{NAMES[0]}/predict", json={"inputs": example})
    client.post(f"/api/v1/usecases/{NAMES[0]}/predict", json={"inputs": []})
    for n in range(3):
        client.get(f"/api/v1/no-such-route-{n}")
    found = samples(client)
    count = "modelhub_http_request_duration_seconds_count"
    assert value(found, count, endpoint="api.predict", method="POST", status="200") == 1
    assert value(found, count, endpoint="api.predict", method="POST", status="422") == 1
    assert value(found, count, endpoint="unmatched", method="GET", status="404") == 3
    assert not any("no-such-route" in str(labels) for _, labels in found)


def test_metrics_answer_the_scrape_token_and_admins_only(app, client, tokens, spec):
    for headers, status in [({}, 401), (bearer("scrape-wrong"), 401), (bearer(tokens["analyst"]), 403),
                            (bearer(tokens["admin"]), 200), (bearer(METRICS_TOKEN), 200)]:
        response = client.get("/metrics", headers=headers)
        assert response.status_code == status, headers
        if status != 200:
            assert "modelhub_" not in response.get_data(as_text=True)
            assert_documented(spec, "/metrics", "get", response)
    app.config["METRICS_TOKEN"] = None  # no token set: admins only, never an empty bearer
    try:
        assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
        assert client.get("/metrics", headers=bearer(tokens["admin"])).status_code == 200
    finally:
        app.config["METRICS_TOKEN"] = METRICS_TOKEN


def test_a_scrape_reads_no_predictions_and_writes_nothing(client, app):
    """A scrape's cost does not grow with the stored predictions: no statement reads the
    predictions table, none writes."""
    import sqlalchemy as sa
    from registry.database import db

    samples(client)  # drift measured once per DRIFT_METRICS_SECONDS: the next scrape is cached
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, *rest: seen.append(statement)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        samples(client)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert seen, "the scrape asks the database whether it is up"
    assert not [s for s in seen if "predictions" in s.lower()]
    assert not [s for s in seen if s.lstrip().split()[0].upper() in
                {"INSERT", "UPDATE", "DELETE"}]


def test_metrics_count_predictions_and_jobs_from_the_registry(client, app):
    name = NAMES[0]
    example = next(iter(app.extensions["modelhub.usecases"][name].examples.values()))
    client.post(f"/api/v1/usecases/{name}/predict", json={"inputs": [example, example]})
    form = {key: form_value(v) for key, v in example.items() if v is not None}
    assert client.post(f"/usecases/{name}/", data=form, follow_redirects=True).status_code == 200
    with app.app_context():
        jobs.enqueue(name, requested_by="test")
    found = samples(client)
    assert value(found, "modelhub_predictions_total", usecase=name, version="1",
                 source="batch") == 2
    assert value(found, "modelhub_predictions_total", usecase=name, version="1",
                 source="form") == 1  # counted as stored: pages' predictions too
    assert value(found, "modelhub_training_jobs", status="queued") == 1
    assert value(found, "modelhub_training_jobs", status="running") == 0
    assert value(found, "modelhub_database_up") == 1
    assert value(found, "modelhub_model_load_seconds", usecase=name, version="1") > 0


def form_value(value):
    """An input as a browser's form sends it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def test_each_app_has_its_own_metrics(app, tmp_path):
    folder = copy_instance(app.instance_path, tmp_path / "second")
    first, second = app.test_client(), make_app(folder).test_client()
    first.get("/healthz")
    found = samples(second)
    assert value(found, "modelhub_http_request_duration_seconds_count", endpoint="ops.healthz",
                 method="GET", status="200") is None


def test_multiprocess_mode_adds_up_every_worker(app, tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR set (as under gunicorn), two apps standing for two workers
    write to the shared folder and one scrape reports both."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    script = textwrap.dedent(f"""
        from tests.conftest import make_app
        workers = [make_app({app.instance_path!r}).test_client() for _ in range(2)]
        for worker in workers:
            assert worker.get("/healthz").status_code == 200
        print(workers[0].get("/metrics", headers={{"Authorization": "Bearer {METRICS_TOKEN}"}})
              .get_data(as_text=True))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELHUB_")}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True,
                            env=env | {"PROMETHEUS_MULTIPROC_DIR": str(shared)})
    families = {f.name: f for f in text_string_to_metric_families(result.stdout)}
    counts = [s for s in families["modelhub_http_request_duration_seconds"].samples
              if s.name.endswith("_count") and s.labels["endpoint"] == "ops.healthz"]
    assert [s.value for s in counts] == [2.0]
    assert "modelhub_training_jobs" in families and any(shared.iterdir())
