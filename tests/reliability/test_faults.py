"""Faults: a training process killed midway, a broken model file, a locked database, and a
promotion while predictions are being served. The portal keeps serving and loses nothing."""
from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from pathlib import Path

import pytest

from registry import jobs, predictions, serving, versions
from registry.database import db
from registry.jobs.runners import LocalProcess
from registry.sqlite.connections import own_connection
from registry.models import Prediction, TrainingJob
from tests.conftest import make_app
from tests.databases import write_lock_held
from tests.reliability.conftest import (ADMIN, ANALYST, TWIN, DeadJob, add_copy_of_production,
                                        add_people, artifact_files, bearer, copy_instance,
                                        csrf_token_in, example_inputs, form_data, sign_in)
from usecases import discover


# -- a training process that dies midway (the `dead_job` fixture kills it) ---------------------
# tests/registry/test_jobs.py polls the portal that started the job until it notices; here a
# portal started after the death must show the job failed on its very first read.

def read_jobs_page(client, job: DeadJob) -> str:
    sign_in(client, ADMIN)
    page = client.get("/admin/jobs").get_data(as_text=True)
    row = re.search(rf"<tr><td><a [^>]*>#{job.job_id}</a>.*?</tr>", page, re.S)
    assert row, page[-2000:]
    return row.group(0)


def read_job_page(client, job: DeadJob) -> str:
    sign_in(client, ADMIN)
    page = client.get(f"/admin/jobs/{job.job_id}").get_data(as_text=True)
    return re.search(r'data-job-field="status">(\w+)<', page).group(1)


def read_job_api(client, job: DeadJob) -> str:
    response = client.get(f"/api/v1/jobs/{job.job_id}", headers=bearer(job.tokens["admin"]))
    assert response.status_code == 200
    return response.get_json()["status"]


@pytest.mark.parametrize("first_read", [read_jobs_page, read_job_page, read_job_api],
                         ids=["jobs page", "job page", "API"])
def test_a_job_left_running_by_a_killed_worker_is_failed_on_a_new_portals_first_read(
        dead_job, tmp_path, first_read):
    folder = copy_instance(dead_job.folder, tmp_path / "instance")
    # A portal started after the death, deciding that 1 s of silence means a dead worker (the
    # default is 30 s; the test need not wait that long).
    time.sleep(max(0.0, dead_job.last_heartbeat + 1.5 - time.time()))
    portal = make_app(folder, JOB_STALE_SECONDS=1)
    seen = first_read(portal.test_client(), dead_job)
    assert "failed" in seen and "running" not in seen
    with portal.app_context():
        job = db.session.get(TrainingJob, dead_job.job_id)
        assert job.status == "failed" and "no heartbeat" in job.error
        assert job.model_version_id is None and job.finished_at is not None
        # Nothing half-registered: no version, no file, production unchanged.
        assert [v.version for v in versions.list_versions(dead_job.usecase)] == [1]
        assert versions.production_version(dead_job.usecase).version == 1
    assert artifact_files(folder) == dead_job.files


# -- a model file that is missing or corrupted ------------------------------------------------

def file_of_its_own(name: str, number: int) -> Path:
    """The model file of one version alone. A copy of production may share production's file
    (the same bytes have the same content-addressed key), and breaking that would break both."""
    store = versions.artifact_store()
    row = versions.get_version(name, number)
    own = f"{name}/v{number}-own.joblib"
    store.write(own, store.resolve(row.artifact_path).read_bytes())
    row.artifact_path = own
    db.session.commit()
    return store.resolve(own)


def damage(path: Path, how: str) -> None:
    if how == "missing":
        path.unlink()
    else:  # a flipped byte in the middle: the digest no longer matches
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))


def submit(client, page: str, action: str, data: dict[str, str], follow: bool = False):
    """Fill in the form on `page` (taking its CSRF token) and post it to `action` (following
    the answer's redirect, as a browser does, when `follow`)."""
    token = csrf_token_in(client.get(page).get_data(as_text=True))
    return client.post(action, data=data | {"csrf_token": token}, follow_redirects=follow)


# Both kinds of damage, each on a different use case (every pair would cost time, not insight).
BREAKAGES = [(sorted(discover())[0], "missing"), (sorted(discover())[-1], "corrupted")]


@pytest.mark.parametrize(("name", "how"), BREAKAGES)
def test_a_broken_model_file_is_503_for_its_usecase_alone_until_an_admin_rolls_back(
        trained_instance, tmp_path, name, how):
    folder = copy_instance(trained_instance, tmp_path / "instance")
    setup = make_app(folder)
    add_people(setup)
    with setup.app_context():
        broken = add_copy_of_production(name)
        versions.promote(name, broken, actor=ADMIN, reason="a version to break")
        damage(file_of_its_own(name, broken), how)
    reason = "missing" if how == "missing" else "sha256"  # what the message must name

    # A portal (with CSRF checks on, as in production) started with the file already broken.
    app = make_app(folder, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    usecases = app.extensions["modelhub.usecases"]
    inputs = {n: example_inputs(u)[0] for n, u in usecases.items()}
    form = f"/usecases/{name}/"
    page = submit(client, form, form, form_data(inputs[name]))
    assert page.status_code == 503
    assert "is unavailable" in page.get_data(as_text=True)
    assert reason in page.get_data(as_text=True)
    answer = client.post(f"/api/v1/usecases/{name}/predict", json={"inputs": inputs[name]})
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "model_unavailable"
    assert f"{name} version {broken}" in answer.get_json()["error"]["message"]
    assert reason in answer.get_json()["error"]["message"]
    ready = client.get("/readyz")
    assert ready.status_code == 503
    states = ready.get_json()["usecases"]
    assert not states[name]["ready"] and reason in states[name]["message"]
    for other in set(usecases) - {name}:
        assert states[other]["ready"], states[other]
        served = client.post(f"/api/v1/usecases/{other}/predict", json={"inputs": inputs[other]})
        assert served.status_code == 200, served.get_data(as_text=True)[:300]
    with app.app_context():
        assert predictions.count(name) == 0

    # The admin's page still works, and its rollback form puts the earlier version back.
    sign_in(client, ADMIN)
    admin_page = f"/admin/models/{name}"
    assert client.get(admin_page).status_code == 200
    done = submit(client, admin_page, f"{admin_page}/rollback", {"reason": "model file broken"})
    assert done.status_code == 302
    assert f"rolled back to version {broken - 1}" in client.get(admin_page).get_data(as_text=True)
    page = submit(client, form, form, form_data(inputs[name]), follow=True)
    assert page.status_code == 200
    assert f"Made by model version {broken - 1}" in page.get_data(as_text=True)
    answer = client.post(f"/api/v1/usecases/{name}/predict", json={"inputs": inputs[name]})
    assert answer.status_code == 200 and answer.get_json()["version"] == broken - 1
    assert client.get("/readyz").status_code == 200


# -- the database locked by another writer ----------------------------------------------------

HOLD_SECONDS = 1.5


def test_requests_wait_for_another_writer_then_succeed(app, monkeypatch):
    tokens = add_people(app)
    monkeypatch.setattr(LocalProcess, "submit", lambda _r, job_id: None)  # queue, run nothing
    name = sorted(app.extensions["modelhub.usecases"])[0]
    inputs = example_inputs(app.extensions["modelhub.usecases"][name])[0]
    with app.app_context():
        spare = add_copy_of_production(name)
    analyst = app.test_client()
    sign_in(analyst, ANALYST)
    admin, reader = bearer(tokens["admin"]), bearer(tokens["analyst"])
    api = f"/api/v1/usecases/{name}"
    calls = {  # name -> (request, expected status, whether it writes)
        "API predict": (lambda c: c.post(f"{api}/predict", json={"inputs": inputs}), 200, True),
        "API batch": (lambda c: c.post(f"{api}/predict", json={"inputs": [inputs] * 3}), 200,
                      True),
        "form": (lambda c: c.post(f"/usecases/{name}/", data=form_data(inputs),
                                  follow_redirects=True), 200, True),
        "promote": (lambda c: c.post(f"{api}/versions/{spare}/promote", headers=admin,
                                     json={"reason": "while locked"}), 200, True),
        "train": (lambda c: c.post(f"{api}/train", headers=admin), 202, True),
        "history API": (lambda c: c.get("/api/v1/predictions", headers=reader), 200, False),
        "history page": (lambda _: analyst.get("/history/"), 200, False),
        "readyz": (lambda c: c.get("/readyz"), 200, False),
    }
    answers: dict[str, tuple[int, float, str]] = {}  # label -> (status, finished at, body)
    started = threading.Barrier(len(calls) + 1)

    def call(label: str) -> None:
        started.wait(timeout=60)
        try:
            response = calls[label][0](app.test_client())
            status, body = response.status_code, response.get_data(as_text=True)[:300]
        except Exception as exc:  # what would have been a 500 (the test app propagates errors)
            status, body = 500, repr(exc)
        answers[label] = (status, time.perf_counter(), body)

    threads = [threading.Thread(target=call, args=(label,)) for label in calls]
    # Another process takes the write lock (and on SQLite writes too).
    with write_lock_held(app.config["SQLALCHEMY_DATABASE_URI"]):
        for thread in threads:
            thread.start()
        started.wait(timeout=60)  # every request is on its way while the lock is held
        time.sleep(HOLD_SECONDS)  # time for them to reach it; nothing is judged by it
        released = time.perf_counter()
    for thread in threads:
        thread.join(60)

    assert set(answers) == set(calls)
    for label, (status, finished, body) in answers.items():
        assert status == calls[label][1], (label, status, body)
        if calls[label][2]:  # a writer waited for the lock rather than failing (or writing)
            assert finished > released, f"{label} was answered while another held the lock"
    with app.app_context():
        assert predictions.count() == 5
        assert versions.production_version(name).version == spare
        assert jobs.recent_jobs(name)[0].status == "queued"


@pytest.mark.sqlite_only
def test_predictions_queue_behind_a_writer_holding_its_turn(app):
    """Writers of predictions take turns on a lock file beside the database (the kernel wakes
    the next at once, where SQLite's own lock has it sleep and retry): one holding its turn
    holds the others off until it is done, and then they all store."""
    # As served: the production model cached between checks, so a prediction reads nothing
    # through the session and stores through its thread's own connection.
    app = make_app(Path(app.instance_path), MODEL_CACHE_SECONDS=600)
    name = sorted(app.extensions["modelhub.usecases"])[0]
    inputs = example_inputs(app.extensions["modelhub.usecases"][name])[0]
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    queue = os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT)
    answers: list[tuple[int, float]] = []  # (status, finished at)

    def predict() -> None:
        response = app.test_client().post(f"/api/v1/usecases/{name}/predict",
                                          json={"inputs": inputs})
        answers.append((response.status_code, time.perf_counter()))

    predict()  # loads the model
    with app.app_context():
        before = predictions.count()
    answers.clear()
    try:
        fcntl.flock(queue, fcntl.LOCK_EX)  # another writer's turn
        threads = [threading.Thread(target=predict) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(HOLD_SECONDS)  # time for them to reach the lock; nothing is judged by it
        assert answers == []  # all waiting their turn
        released = time.perf_counter()
        fcntl.flock(queue, fcntl.LOCK_UN)
        for thread in threads:
            thread.join(30)
        # And a writer inside its turn holds this one off in the same way.
        with app.app_context():
            own = own_connection(db.engine)
            with own:
                with pytest.raises(BlockingIOError):
                    fcntl.flock(queue, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(queue)
    assert [status for status, _ in answers] == [200] * 3
    assert min(finished for _, finished in answers) > released  # none stored during the turn
    with app.app_context():
        assert predictions.count() == before + 3


# -- promotion while predictions are being served ---------------------------------------------

def test_each_prediction_made_during_promotions_names_the_version_that_made_it(
        twin_instance, tmp_path):
    from usecases.fields import validate

    app = make_app(copy_instance(twin_instance, tmp_path / "instance"))
    admin = bearer(add_people(app)["admin"])
    usecase = app.extensions["modelhub.usecases"][TWIN]
    with app.app_context():
        twins = {v: versions.get_version(TWIN, v) for v in (1, 2)}
        ids = {v: row.id for v, row in twins.items()}
        models = {v: serving.cache().version(row).model for v, row in twins.items()}

    def answers(version: int, rows: list[dict]) -> list[tuple]:
        """What a version says for each row (validated values), in one batch."""
        return [(r["output"], r["summary"]) for r in usecase.predict(models[version], rows)]

    # Inputs the two versions answer differently, so an answer tells which version made it.
    tried = [x | {"age": age} for x in example_inputs(usecase) for age in range(30, 80, 7)]
    values = [validate(usecase.fields, x).values for x in tried]
    telling = [x for x, one, two in zip(tried, answers(1, values), answers(2, values))
               if one != two]
    assert len(telling) >= 3, "the two versions should disagree on some inputs"

    stop = threading.Event()
    made: list[tuple[str, int, int | None, list[int]]] = []  # kind, status, version, ids

    def serve(worker: int) -> None:
        try:
            serve_until_stopped(worker)
        except Exception as exc:  # what would have been a 500 (the test app propagates errors)
            made.append(("error", 500, None, []))
            raise AssertionError(f"serving failed: {exc!r}") from exc

    def serve_until_stopped(worker: int) -> None:
        client, turn = app.test_client(), worker
        while not stop.is_set():
            turn += 1
            chosen = telling[turn % len(telling)]
            if turn % 3 == 0:
                page = client.post(f"/usecases/{TWIN}/", data=form_data(chosen),
                                   follow_redirects=True)
                found = re.search(r"model version (\d+) · prediction #(\d+)",
                                  page.get_data(as_text=True))
                made.append(("form", page.status_code, found and int(found.group(1)),
                             [int(found.group(2))] if found else []))
                continue
            batch = turn % 3 == 1
            response = client.post(f"/api/v1/usecases/{TWIN}/predict",
                                   json={"inputs": telling[:3] if batch else chosen})
            body = response.get_json() if response.status_code == 200 else {}
            rows = body.get("predictions") or [body["prediction"]] if body else []
            made.append(("api", response.status_code, body.get("version"),
                         [row["id"] for row in rows]))

    servers = [threading.Thread(target=serve, args=(i,)) for i in range(3)]
    for thread in servers:
        thread.start()
    promotions = []
    for target in (2, 1, 2, 1, 2, 1):
        seen = len(made)
        deadline = time.monotonic() + 30
        while len(made) < seen + 8 and time.monotonic() < deadline:
            time.sleep(0.01)  # let each version serve a while before switching
        response = app.test_client().post(f"/api/v1/usecases/{TWIN}/versions/{target}/promote",
                                          headers=admin, json={"reason": "switching"})
        promotions.append(response.status_code)
    time.sleep(0.2)
    stop.set()
    for thread in servers:
        thread.join(30)

    assert promotions == [200] * 6
    assert [m for m in made if m[1] != 200] == []
    assert {m[2] for m in made} == {1, 2}
    with app.app_context():
        stored = {p.id: p for p in db.session.scalars(db.select(Prediction))}
        claimed = {pid: version for _, _, version, made_ids in made for pid in made_ids}
        assert sorted(stored) == sorted(claimed)  # nothing lost, nothing stored twice
        rows = list(stored.values())
        said = {v: answers(v, [row.inputs for row in rows]) for v in (1, 2)}
        for i, row in enumerate(rows):
            assert row.version == claimed[row.id]
            assert row.model_version_id == ids[row.version]
            assert (row.output, row.summary) == said[row.version][i]
            assert (row.output, row.summary) != said[3 - row.version][i]
