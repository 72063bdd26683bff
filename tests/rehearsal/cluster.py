"""A multi-host Model Hub on one machine: PostgreSQL, Redis, an S3 API, two web hosts, a worker.

Every part is the real program a deployment runs (docs/deploy.md): Debian's PostgreSQL and Redis
in throwaway folders, moto's S3 server (the one stand-in: no S3 server installs here), two
gunicorn masters with instance folders of their own, and `flask --app portal hub worker`. The
hosts share nothing but the settings that name those services, as separate machines would.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess  # nosec B404: starts the portal's own programs with fixed argv
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devservices import PostgresServer, RedisServer, S3Server
from devservices.base import free_port
from devservices.s3 import CREDENTIALS

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "models"
USECASES = ["heart-disease", "student-score"]
CACHE_SECONDS = 2.0
ADMIN, ANALYST, PASSWORD = "ada", "alan", "rehearsal-password-1"


@dataclass
class Host:
    """A web host: a gunicorn master on its own port and instance folder."""

    name: str
    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Cluster:
    def __init__(self, workers_per_host: int = 2) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="modelhub-rehearsal-"))
        self.postgres = PostgresServer()  # durable settings: the restart must lose nothing
        self.redis = RedisServer()
        self.s3 = S3Server()
        self.hosts = [Host(name, self.folder / f"host-{name}", free_port()) for name in "AB"]
        self.worker_folder = self.folder / "worker"
        self.worker: subprocess.Popen | None = None
        self.workers_per_host = workers_per_host
        self.tokens: dict[str, str] = {}

    # -- the settings every host is given -------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return {"SQLALCHEMY_DATABASE_URI": self.postgres.url("modelhub"),
                "JOB_QUEUE_URL": self.redis.url,
                "ARTIFACT_DIR": f"s3://{BUCKET}/hub",
                "S3_ENDPOINT_URL": self.s3.endpoint,
                "SECRET_KEY": self._secret,
                "USECASES": USECASES,
                "MODEL_CACHE_SECONDS": CACHE_SECONDS,
                # The 16 clients are one address; the quota's shared count has its own test.
                "PREDICTION_RATE_LIMIT": None, "ANONYMOUS_MAX_BATCH": None}

    def env(self, folder: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODELHUB_")}
        env |= CREDENTIALS | {"MODELHUB_INSTANCE_PATH": str(folder)}
        for key, value in self.settings().items():
            env[f"MODELHUB_{key}"] = value if isinstance(value, str) else json.dumps(value)
        return env

    # -- lifetime -------------------------------------------------------------------------
    def start(self) -> "Cluster":
        self._secret = secrets.token_hex(32)
        for server in (self.postgres, self.redis, self.s3):
            server.start()
        self.postgres.create_database("modelhub")
        self.s3.create_bucket(BUCKET)
        for folder in [h.folder for h in self.hosts] + [self.worker_folder]:
            folder.mkdir(parents=True)
        first = self.hosts[0].folder
        self.flask(first, "db", "upgrade")
        self.flask(first, "hub", "bootstrap")
        for role, name in (("admin", ADMIN), ("analyst", ANALYST)):
            self.flask(first, "user", "create", name, "--role", role, "--password-stdin",
                       stdin=PASSWORD + "\n")
            self.tokens[role] = self.flask(first, "user", "token", name).split()[-1]
        for host in self.hosts:
            self.start_host(host)
        self.start_worker()
        return self

    def close(self) -> None:
        for host in self.hosts:
            _stop(host.process)
        _stop(self.worker, signal.SIGINT)
        for server in (self.s3, self.redis, self.postgres):
            server.close()

    def flask(self, folder: Path, *args: str, stdin: str | None = None,
              seconds: float = 300) -> str:
        """Run a `flask --app portal` command as that host; past `seconds` it is stopped with
        SIGABRT, so that faulthandler prints where it was stuck."""
        process = subprocess.Popen(  # nosec B603: fixed argv
            [sys.executable, "-X", "faulthandler", "-m", "flask", "--app", "portal", *args],
            cwd=ROOT, env=self.env(folder), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            out, err = process.communicate(stdin, timeout=seconds)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            out, err = process.communicate()
            raise RuntimeError(f"flask {' '.join(args)} took over {seconds:g} s:\n{out}\n{err}")
        if process.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{out}\n{err}")
        return out

    def start_host(self, host: Host) -> None:
        log = open(host.folder / "gunicorn.log", "ab")
        with log:
            host.process = subprocess.Popen(  # nosec B603: fixed argv
                [sys.executable, "-m", "gunicorn", "--workers", str(self.workers_per_host),
                 "--bind", f"127.0.0.1:{host.port}", "portal:create_app()"],
                cwd=ROOT, env=self.env(host.folder), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not _ready(host.url):
            if host.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"host {host.name} did not start:\n"
                                   + (host.folder / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.2)

    def start_worker(self) -> None:
        with open(self.worker_folder / "worker.log", "ab") as log:
            self.worker = subprocess.Popen(  # nosec B603: fixed argv
                [sys.executable, "-m", "flask", "--app", "portal", "hub", "worker"],
                cwd=ROOT, env=self.env(self.worker_folder), stdout=log,
                stderr=subprocess.STDOUT)

    # -- asking the hosts -----------------------------------------------------------------
    def api(self, host: Host, method: str, path: str, body: Any = None,
            role: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(host.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if role:
            request.add_header("Authorization", f"Bearer {self.tokens[role]}")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # nosec B310
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b"null")

    def logs(self) -> str:
        parts = [(h.folder / "gunicorn.log") for h in self.hosts]
        parts.append(self.worker_folder / "worker.log")
        return "\n".join(f"== {p}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in parts if p.exists())


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=10) as answer:  # nosec B310
            return answer.status == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen | None, how: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
