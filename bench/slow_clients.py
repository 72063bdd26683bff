"""Slow clients, before and after nginx: how long /healthz and one prediction take while 50
connections hold a prediction's body back.

From the repository's root, with a trained instance folder (`make run` leaves one in instance/;
it is copied, never changed):

    python -m bench.slow_clients --instance instance

Each slow client sends the headers of POST /api/v1/usecases/heart-disease/predict with
Content-Length: 100000, then the first bytes of the body and one more byte every 2 s, and never
finishes. Meanwhile GET /healthz and one real prediction are timed, each given 15 s:
  (a) straight to gunicorn, as `make serve` runs it: each sync worker waits for a body that never
      comes, so nothing is answered (the "before");
  (b) through deploy/nginx.conf's nginx in front of a gunicorn started the same way: nginx
      holds the slow clients itself, and gunicorn only sees whole requests (the "after").
Each runs on a fresh gunicorn; the same two requests with no slow client come first, for
reference. The figures are printed; nothing is judged.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from flask import Config

from bench import server, training, workload
from bench.run import child_env, step
from bench.targets import HEART
from devservices import NginxServer
from portal.config import layered, web_workers
from usecases import discover

PREDICT = f"/api/v1/usecases/{HEART}/predict"
CLIENTS = 50
DECLARED_LENGTH = 100_000   # what each slow client says its body holds...
FIRST_BYTES = b'{"inputs": '  # ...what it sends of it at once...
TRICKLE_SECONDS = 2.0       # ...then one byte this often: under any server's idle timeout
TIMEOUT = 15.0              # how long the timed requests wait for an answer
WARM_UP = 8                 # predictions at once before timing, to load every worker's model


@contextlib.contextmanager
def slow_clients(port: int, count: int = CLIENTS, path: str = PREDICT
                 ) -> Iterator[list[socket.socket]]:
    """`count` connections to 127.0.0.1:`port`, each having sent the headers of a POST to `path`
    and the first bytes of its body, then one more byte every TRICKLE_SECONDS while the block
    runs: never silent long enough to be dropped, never done. All closed when the block ends."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {server.HOST}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {DECLARED_LENGTH}\r\n\r\n")
    done = threading.Event()

    def trickle(sockets: list[socket.socket]) -> None:
        while not done.wait(TRICKLE_SECONDS):
            for connection in sockets:
                with contextlib.suppress(OSError):  # one the server dropped stays dropped
                    connection.sendall(b" ")  # JSON allows any amount of white space

    with contextlib.ExitStack() as stack:
        sockets = []
        for _ in range(count):
            connection = stack.enter_context(
                socket.create_connection((server.HOST, port), timeout=5))
            # (A server that has no worker free still completes the connection: the kernel
            # queues it until a worker accepts it, and takes these bytes meanwhile.)
            connection.sendall(head.encode() + FIRST_BYTES)
            sockets.append(connection)
        trickler = threading.Thread(target=trickle, args=(sockets,), daemon=True)
        trickler.start()
        try:
            yield sockets
        finally:
            done.set()
            trickler.join()


def timed(url: str, body: bytes | None = None) -> str:
    """One request, as a cell of the table: its seconds and status, or that none came."""
    try:
        status, _, seconds = server.request(url, body, timeout=TIMEOUT)
    except OSError:  # the timeout, or a connection the server dropped
        return f"no answer in {TIMEOUT:.0f} s"
    return f"{seconds:.3f} s ({status})"


def both(base: str, prediction: bytes) -> tuple[str, str]:
    return timed(base + "/healthz"), timed(base + PREDICT, prediction)


def scenario(base: str, prediction: bytes, rows: list[tuple[str, str, str]], name: str) -> None:
    """Time both requests against the server at `base` ("http://127.0.0.1:PORT"): idle first,
    then while slow clients hold connections to that same server."""
    # Warm up: the first prediction a worker serves loads the model, which is not what is timed
    # here. Several at once, so that every worker gets some.
    with ThreadPoolExecutor(WARM_UP) as pool:
        list(pool.map(lambda _: server.request(base + PREDICT, prediction, timeout=60),
                      range(2 * WARM_UP)))
    rows.append((f"{name}, no slow client", *both(base, prediction)))
    step(f"{name}: {CLIENTS} slow clients held")
    with slow_clients(urlsplit(base).port or 80):
        time.sleep(0.5)  # for the server to accept them and read their headers
        rows.append((f"{name}, {CLIENTS} slow clients", *both(base, prediction)))


def table(rows: list[tuple[str, str, str]]) -> str:
    header = ("", "GET /healthz", f"POST {HEART} predict")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header, *rows]]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def run(instance: Path, folder: Path) -> str:
    """Both scenarios on a copy of a trained instance; the table of their figures."""
    env = child_env(instance)
    usecase = discover().get(HEART)
    if usecase is None:
        raise SystemExit(f"{HEART} is not installed")
    prediction = json.dumps({"inputs": workload.first_example(usecase)}).encode()
    workers = env.get("WEB_CONCURRENCY") or web_workers(layered(Config(instance)))
    rows: list[tuple[str, str, str]] = []

    step(f"(a) gunicorn alone, {workers} sync workers (gunicorn.conf.py)")
    with server.serving(server.PORTAL_APP, env, folder / "before.log") as base:
        scenario(base, prediction, rows, "(a) gunicorn alone")

    step("(b) nginx (deploy/nginx.conf) in front of a gunicorn started the same way")
    proxied = env | {"MODELHUB_PROXY_COUNT": "1"}  # as deploy/nginx.conf asks
    with server.serving(server.PORTAL_APP, proxied, folder / "after.log") as upstream, \
            NginxServer(upstream.removeprefix("http://")) as nginx:
        scenario(nginx.url, prediction, rows, "(b) nginx -> gunicorn")
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slow_clients",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--instance", type=Path, required=True,
                        help="a trained instance folder (copied; `hub bootstrap` trains one)")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="modelhub-slow-clients-"))
    try:
        instance = folder / "instance"
        step(f"copying the trained instance {args.instance}")
        training.prepare(instance, child_env(instance), args.instance)
        text = run(instance, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nEach slow client: the headers of POST {PREDICT} with Content-Length: "
          f"{DECLARED_LENGTH}, then a byte every {TRICKLE_SECONDS:.0f} s; each request "
          f"below waited at most {TIMEOUT:.0f} s.\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
