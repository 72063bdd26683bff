"""Load: several gunicorn workers, 16 clients for a bounded time, predictions (most of the
traffic), history reads and promotions mixed. No 5xx, and every prediction answered is stored
exactly once, naming the version the answer named.

LOADTEST_SECONDS sets how long the clients run (12 s by default, for CI; `make loadtest` runs
120 s). The figures are printed; the test passes or fails on correctness only, never on timings.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from registry import predictions, versions
from registry.database import db
from registry.models import Prediction
from tests.conftest import NO_QUOTAS_ENV, make_app
from tests.databases import close_connections
from tests.reliability import load
from tests.reliability.conftest import (ANALYST, PASSWORD, add_copy_of_production, add_people,
                                        copy_instance)

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 16
WORKERS = 3
SECONDS = float(os.environ.get("LOADTEST_SECONDS", "12"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_ready(url: str, server: subprocess.Popen, seconds: float = 90) -> None:
    """Poll /readyz until it answers 200 (every use case loaded in the worker that answers)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn stopped while starting"
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=10) as answer:  # nosec B310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the portal was not ready within {seconds} s")


@dataclass(frozen=True)
class Served:
    folder: Path
    target: load.Target
    log: Path
    promotions_before: int


@pytest.fixture
def served(trained_instance, tmp_path):
    """A gunicorn portal on a copy of the trained instance, with a second version of one use case
    to switch to and people with tokens; no prediction stored yet."""
    folder = copy_instance(trained_instance, tmp_path / "instance")
    app = make_app(folder)
    tokens = add_people(app)
    with app.app_context():
        promoted = sorted(app.extensions["modelhub.usecases"])[0]
        spare = add_copy_of_production(promoted)
        assert predictions.count() == 0
        promotions_before = len(versions.promotions(promoted, limit=10**6))
        close_connections()
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = dict(os.environ, MODELHUB_INSTANCE_PATH=str(folder), MODELHUB_MODEL_CACHE_SECONDS="0.5",
               **NO_QUOTAS_ENV)
    with open(log, "wb") as output:
        server = subprocess.Popen(  # nosec B603: fixed argv
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS),
             "--bind", f"127.0.0.1:{port}", "portal:create_app()"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", server)
        target = load.Target("127.0.0.1", port, (ANALYST, PASSWORD), tokens["analyst"],
                             tokens["admin"], promoted, (spare - 1, spare))
        yield Served(folder, target, log, promotions_before)
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def test_under_load_nothing_fails_and_every_prediction_is_stored_once(served, capsys):
    report = load.run(served.target, clients=CLIENTS, seconds=SECONDS)
    with capsys.disabled():
        print(f"\n{WORKERS} gunicorn sync workers; " + report.text())

    failures = [o for o in report.outcomes if o.status != 200]
    assert [o for o in failures if o.status >= 500 or o.status == 0] == [], failures[:5]
    assert failures == [], failures[:5]
    kinds = report.by_kind()
    assert set(kinds) >= set(load.PREDICTIONS) | {"history api", "history page"}
    switches = len(kinds.get("promote", [])) + len(kinds.get("rollback", []))
    assert kinds.get("promote") and kinds.get("rollback"), "no promotion was tried"

    answered = report.prediction_ids()
    claimed = {pid: o.version for o in report.outcomes if o.kind in load.PREDICTIONS
               for pid in o.ids}
    with make_app(served.folder).app_context():
        stored = {row.id: row.version for row in db.session.scalars(db.select(Prediction))}
        trail = versions.promotions(served.target.promoted, limit=10**6)
        audit = len(trail) - served.promotions_before
    assert len(answered) == len(set(answered))  # no id handed out twice
    assert len(stored) == len(answered)         # nothing lost, nothing counted twice
    assert stored == claimed                    # each names the version its answer named
    assert audit == switches                    # every promotion answered is in the audit trail
    assert "Traceback" not in served.log.read_text()
