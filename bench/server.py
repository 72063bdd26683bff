"""Serving under gunicorn on loopback, the way the README runs the portal in production.

GUNICORN_OPTIONS is the one place the benchmark's server settings live: the portal and the bare
endpoint are both started with exactly these, so their figures compare like with like.
"""
from __future__ import annotations

import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# As `make serve`: the repository's gunicorn.conf.py (read from ROOT, the servers' working
# folder) decides the rest, so the workers are as many as a deployment on the same database gets.
GUNICORN_OPTIONS: tuple[str, ...] = ()
PORTAL_APP = "portal:create_app()"
BARE_APP = "bench.bare:create_app()"
START_TIMEOUT = 120.0


def gunicorn_command(app_spec: str, port: int | str) -> list[str]:
    """The gunicorn command line for `app_spec` on loopback port `port`."""
    return [sys.executable, "-m", "gunicorn", *GUNICORN_OPTIONS, "--bind", f"{HOST}:{port}",
            app_spec]


def shown(command: list[str]) -> str:
    """A command as a person would type it (the interpreter shown as `python`)."""
    words = ["python" if word == sys.executable else word for word in command]
    return shlex.join(words)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def serving(app_spec: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """Run gunicorn with `app_spec` until the block ends; yields the base URL once it answers."""
    port = free_port()
    with open(log, "ab") as out:
        # Its own session, so stopping it (by its pid) also stops the workers it forked.
        process = subprocess.Popen(gunicorn_command(app_spec, port), cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://{HOST}:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        _stop(process)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            if request(url + "/healthz", timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {url} within {START_TIMEOUT:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM lets gunicorn stop its workers gracefully; SIGKILL the group if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def request(url: str, body: bytes | None = None, timeout: float = 120.0
            ) -> tuple[int, bytes, float]:
    """One HTTP request (a POST of JSON when `body` is given): status, body and seconds taken."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    began = time.perf_counter()
    try:
        if body is None:
            connection.request("GET", parts.path)
        else:
            connection.request("POST", parts.path, body=body,
                               headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return response.status, data, time.perf_counter() - began
