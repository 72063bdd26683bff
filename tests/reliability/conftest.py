"""Fixtures for the fault and load tests: instance folders to break, people who sign in, a
training job whose process was killed, and a second heart-disease version that answers
differently from the first.

Each test works on its own copy of a template instance folder, so breaking a file or killing a
process in one test leaves the others alone.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from registry import jobs, users, versions
from registry.database import db, utcnow
from registry.models import TrainingJob
from tests.conftest import add_copy_of_production, copy_instance, make_app
from tests.databases import close_connections
from usecases import discover

ROOT = Path(__file__).resolve().parents[2]

PASSWORD = "correct horse battery"
ADMIN, ANALYST = "ada", "ann"

# The use case given two versions that answer differently: the second is trained on a small
# sample, so its probabilities differ visibly from the full model's.
TWIN = "heart-disease"
TWIN_SAMPLE = 120


def add_people(app) -> dict[str, str]:
    """An admin and an analyst, each with an API token; returns role -> token."""
    with app.app_context():
        return {role: users.issue_token(users.create_user(name, PASSWORD, role))
                for role, name in (("admin", ADMIN), ("analyst", ANALYST))}




def example_inputs(usecase) -> list[dict[str, Any]]:
    """A use case's examples as API inputs (unknown values left out)."""
    return [{k: v for k, v in inputs.items() if v is not None}
            for inputs in usecase.examples.values()]


def form_data(inputs: dict[str, Any]) -> dict[str, str]:
    """API inputs as a browser would post them."""
    def as_text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return " ".join(map(str, value))
        return str(value)
    return {key: as_text(value) for key, value in inputs.items()}


def csrf_token_in(page: str) -> str:
    """The CSRF token of the first form on a page ("" when the app does not check them)."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return found.group(1) if found else ""


def sign_in(client, username: str) -> None:
    """Sign a test client in through the login form (with its CSRF token when the app wants one)."""
    token = csrf_token_in(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def artifact_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in (folder / "models").rglob("*"))


@dataclass(frozen=True)
class DeadJob:
    """An instance folder whose training job was left 'running' by a process that was killed."""

    folder: Path
    job_id: int
    usecase: str
    tokens: dict[str, str]
    files: list[str]
    last_heartbeat: float  # time.time() of the job's last heartbeat


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped by init, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def start_from_a_passing_portal(folder: Path, name: str) -> int:
    """Start a training from a portal process that exits right after: the training process
    outlives it, and no portal is left waiting for it (as after a web worker's restart)."""
    code = ("import sys; from portal import create_app; from registry import jobs\n"
            "with create_app().app_context():\n"
            "    print(jobs.start(sys.argv[1], requested_by=sys.argv[2]).id)")
    done = subprocess.run(  # nosec B603: fixed argv
        [sys.executable, "-c", code, name, ADMIN], cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ, MODELHUB_INSTANCE_PATH=str(folder)), timeout=120, check=True)
    return int(done.stdout.split()[-1])


@pytest.fixture(scope="module")
def dead_job(trained_instance, tmp_path_factory) -> DeadJob:
    """Start a real training, SIGKILL its process group once it is training; the portal that
    started it is gone by then."""
    folder = copy_instance(trained_instance, tmp_path_factory.mktemp("dead-job") / "instance")
    app = make_app(folder)
    tokens = add_people(app)
    name = TWIN if TWIN in app.extensions["modelhub.usecases"] else sorted(discover())[0]
    files = artifact_files(folder)
    job_id = start_from_a_passing_portal(folder, name)
    deadline = time.monotonic() + 90
    while True:  # wait until the trainer itself is at work, not just the process started
        with app.app_context():
            row = db.session.get(TrainingJob, job_id)
            assert row.status in ("queued", "running"), (row.status, row.error)
            if row.status == "running" and row.progress >= 0.05:
                pid = row.pid
                break
        assert time.monotonic() < deadline, "the training never got under way"
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with app.app_context():
        row = db.session.get(TrainingJob, job_id)
        assert row.status == "running"  # nobody has noticed yet: the portal has to
        beat = row.heartbeat_at
        close_connections()  # this portal stops; a new one will read the folder
    seconds_ago = (utcnow() - beat).total_seconds()
    return DeadJob(folder, job_id, name, tokens, files, time.time() - seconds_ago)


@pytest.fixture(scope="session")
def twin_training(trained_instance, tmp_path_factory):
    """A copy of the trained instance in which a second heart-disease version is being trained,
    by a real job in its own process, on a small sample (so that it answers differently from
    version 1). Yields (folder, app, job id), or None when heart-disease is not installed."""
    folder = copy_instance(trained_instance, tmp_path_factory.mktemp("twins") / "instance")
    app = make_app(folder, TRAINING_SAMPLE=TWIN_SAMPLE)
    if TWIN not in app.extensions["modelhub.usecases"]:
        yield None
        return
    with app.app_context():
        job_id = jobs.start(TWIN, requested_by="reliability").id
    yield folder, app, job_id
    with app.app_context():  # a training nobody waited for is not left running
        job = db.session.get(TrainingJob, job_id)
        if job.status == "running" and job.pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(job.pid, signal.SIGKILL)


@pytest.fixture(scope="session", autouse=True)
def _train_twin_early(request) -> None:
    """Start that training as the folder's first test begins, when some test will need it: it
    runs in its own process while the other tests run (the test that needs it comes last)."""
    if any("twin_instance" in item.fixturenames for item in request.session.items):
        request.getfixturevalue("twin_training")


@pytest.fixture(scope="session")
def twin_instance(twin_training) -> Path:
    """The instance folder with heart-disease versions 1 (production) and 2 (a candidate)."""
    if twin_training is None:
        pytest.skip(f"{TWIN} is not installed")
    folder, app, job_id = twin_training
    deadline = time.monotonic() + 300
    while True:
        with app.app_context():
            job = jobs.get_job(job_id)
            if job.finished:
                assert job.status == "succeeded", job.error
                assert [v.version for v in versions.list_versions(TWIN)] == [2, 1]
                close_connections()
                return folder
        assert time.monotonic() < deadline, "the second version took too long to train"
        time.sleep(0.2)

