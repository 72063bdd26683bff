"""Slow clients: fifty connections that send a prediction's headers and then trickle its body do
not keep the portal from answering, once deploy/nginx.conf's nginx stands in front of gunicorn.
(Each declares Content-Length: 100000, sends a few bytes, then one more every 2 s and never
finishes: bench.slow_clients.slow_clients.)

Without it, each such connection holds one of gunicorn's few sync workers until the body is
whole (or gunicorn kills the worker a minute later), so two of them silence /healthz on a
two-core host. `python -m bench.slow_clients` shows that "before" and this "after" in seconds;
this test passes or fails on answers only, never on timings.

nginx comes from scripts/install-services, which `make test` runs first, as it installs Redis:
where it is missing all the same (pytest run by hand), the test is skipped, saying so, as the
Redis tests are. An nginx that is there but does not start fails the test.
"""
from __future__ import annotations

import json
import os
import select
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from bench import server
from bench.slow_clients import PREDICT, slow_clients
from bench.targets import HEART
from devservices import NginxServer, ServiceError
from devservices.base import program
from registry.database import db
from registry.models import Prediction
from tests.conftest import copy_instance, make_app
from tests.databases import close_connections
from tests.reliability.conftest import example_inputs
from usecases import discover

USECASE = HEART
SLOW_CLIENTS = 50
ANSWER_TIMEOUT = 20.0  # generous: the answers come in well under a second


@dataclass(frozen=True)
class Proxied:
    """The portal under gunicorn, on a copy of the trained instance, behind nginx."""

    folder: Path
    nginx: NginxServer
    access_log: Path  # gunicorn's: one line per request that reached the portal


@pytest.fixture
def proxied(trained_instance, tmp_path) -> Iterator[Proxied]:
    try:
        program("nginx", "/usr/sbin")
    except ServiceError as exc:  # not installed; anything else about nginx is a failure
        pytest.skip(str(exc))
    folder = copy_instance(trained_instance, tmp_path / "instance")
    access_log = tmp_path / "access.log"
    # The deployment's settings: gunicorn.conf.py's workers, and a portal told that one proxy
    # stands in front of it (deploy/nginx.conf says so).
    env = dict(os.environ, MODELHUB_INSTANCE_PATH=str(folder), MODELHUB_PROXY_COUNT="1",
               MODELHUB_ACCESS_LOG=str(access_log))
    with server.serving(server.PORTAL_APP, env, tmp_path / "gunicorn.log") as upstream:
        with NginxServer(upstream.removeprefix("http://")) as nginx:
            yield Proxied(folder, nginx, access_log)


def what_it_got(connection: socket.socket) -> bytes | None:
    """What a slow client has been sent so far, without waiting: None while nothing came and
    the connection is open, b"" once the other side closed (or reset) it, else the first
    bytes."""
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return None
    try:
        return connection.recv(4096)  # at once: there is data, or the end of the stream
    except ConnectionResetError:
        return b""


def ask(url: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One request, failing the test when no answer comes in ANSWER_TIMEOUT."""
    try:
        status, data, _ = server.request(url, body, timeout=ANSWER_TIMEOUT)
    except OSError as exc:
        pytest.fail(f"{url}: no answer in {ANSWER_TIMEOUT:.0f} s while {SLOW_CLIENTS} slow "
                    f"clients were held ({exc!r})")
    return status, data


def portal_saw(access_log: Path, request_line: str, seconds: float = 10) -> list[str]:
    """gunicorn's access log lines for `request_line` ("POST /path"), once at least one is
    there (a worker writes its line just after its answer, so it may come a moment late)."""
    deadline = time.monotonic() + seconds
    while True:
        text = access_log.read_text() if access_log.exists() else ""
        lines = [line for line in text.splitlines() if f'"{request_line} ' in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def test_slow_clients_do_not_starve_the_workers_behind_nginx(proxied):
    usecase = discover().get(USECASE)
    if usecase is None:
        pytest.skip(f"{USECASE} is not installed")
    inputs = example_inputs(usecase)[0]
    nginx = proxied.nginx

    with slow_clients(nginx.port, SLOW_CLIENTS) as held:
        time.sleep(0.5)  # for nginx to accept all of them and read their headers
        health = ask(nginx.url + "/healthz")
        predicted = ask(nginx.url + PREDICT, json.dumps({"inputs": inputs}).encode())
        got = [what_it_got(connection) for connection in held]

    assert health[0] == 200 and json.loads(health[1]) == {"status": "ok"}, health
    status, body = predicted
    assert status == 200, body[:500]
    answer = json.loads(body)
    assert answer["usecase"] == USECASE and answer["version"] == 1, answer
    result = answer["prediction"]["result"]
    assert result["output"] in result["probabilities"], result
    assert 0.0 <= result["probability"] <= 1.0, result

    # nginx held the slow clients itself: none was answered by the portal (their bodies are not
    # JSON, so it would have said 400). Each is still waiting; or, had it fallen silent for
    # client_body_timeout, nginx dropped it (408, which nginx logs and may not send).
    dropped = (None, b"")
    assert all(sent in dropped or sent.startswith(b"HTTP/1.1 408 ") for sent in got), \
        [sent[:80] for sent in got if sent]
    # And gunicorn saw exactly one prediction request: ours, none of theirs.
    assert len(portal_saw(proxied.access_log, f"POST {PREDICT}")) == 1

    # The prediction answered is the one stored, by the production version.
    with make_app(proxied.folder).app_context():
        stored = db.session.get(Prediction, answer["prediction"]["id"])
        assert stored is not None and stored.usecase == USECASE and stored.version == 1
        assert stored.output == result["output"]
        assert stored.inputs == answer["prediction"]["inputs"]
        assert db.session.scalar(db.select(db.func.count()).select_from(Prediction)) == 1
        close_connections()
