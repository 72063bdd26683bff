"""Who runs a queued job: the interface, the local process runner, and the choice by setting."""
from __future__ import annotations

import json
import os
import subprocess  # nosec B404: runs the training process only, with a fixed argv
import sys
import threading
from pathlib import Path
from typing import Iterable, Iterator

from flask import Flask

from registry.models import TrainingJob

# Settings a training process needs to reach the same database, artifacts and use cases (and
# the secret key, which an app shared across hosts must be given: see portal.shared_across_hosts).
FORWARDED_SETTINGS = ("SQLALCHEMY_DATABASE_URI", "ARTIFACT_DIR", "S3_ENDPOINT_URL", "USECASES",
                      "TRAINING_SAMPLE", "JOB_HEARTBEAT_SECONDS", "SECRET_KEY")
ROOT = Path(__file__).resolve().parent.parent.parent

Lost = tuple[int, str, str]  # (job id, message, error) of a job that ended unfinished


class Runner:
    """Runs queued jobs somewhere, and knows which of them died."""

    name = "runner"  # stored with each job it is given

    def submit(self, job_id: int) -> None:
        """Have the job run soon; return at once."""
        raise NotImplementedError

    def lost(self, unfinished: Iterable[TrainingJob]) -> Iterator[Lost]:
        """Those of its unfinished jobs that this runner knows will never finish."""
        return iter(())


class LocalProcess(Runner):
    """A new operating-system process per job on this host (`python -m registry.jobs.process`).

    The process runs in a session of its own, so a restarted web worker does not take the
    training with it, and a crashing training does not take a web worker with it. A thread
    waits for it; if it exits without finishing its job, the job is failed with its exit code.
    """

    name = "local"

    def __init__(self, app: Flask) -> None:
        self.app = app

    def submit(self, job_id: int) -> subprocess.Popen:
        config = self.app.config
        env = dict(os.environ, MODELHUB_INSTANCE_PATH=self.app.instance_path)
        for key in FORWARDED_SETTINGS:
            value = config.get(key)
            if value is not None:
                env[f"MODELHUB_{key}"] = value if isinstance(value, str) else json.dumps(value)
        log_dir = Path(self.app.instance_path) / "jobs"
        log_dir.mkdir(parents=True, exist_ok=True)
        with open(log_dir / f"{job_id}.log", "ab") as output:
            process = subprocess.Popen(  # nosec B603: fixed argv, no shell
                [sys.executable, "-m", "registry.jobs.process", str(job_id)], env=env,
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=str(ROOT))
        threading.Thread(target=self._wait, args=(job_id, process), daemon=True).start()
        return process

    def _wait(self, job_id: int, process: subprocess.Popen) -> None:
        """Reap the process (no zombie in a long-lived web worker); fail its job if it is
        still unfinished then."""
        code = process.wait()
        from registry import jobs

        try:
            with self.app.app_context():
                jobs.fail(job_id, "the training process ended before its job",
                          f"the training process (pid {process.pid}) exited with "
                          + (f"signal {-code}" if code < 0 else f"code {code}"))
        except Exception:  # the registry is unreachable: the heartbeat's reaper will see to it
            self.app.logger.exception("could not record the end of training job %s", job_id)


def open_runner(app: Flask) -> Runner:
    """The runner JOB_QUEUE_URL names: a Redis queue for redis:// or rediss:// URLs, and the
    local process runner when it is unset."""
    url = app.config.get("JOB_QUEUE_URL")
    if not url:
        return LocalProcess(app)
    scheme = url.split(":", 1)[0]
    if scheme in ("redis", "rediss", "unix"):
        from registry.jobs.queue import RedisQueue

        return RedisQueue(app, url)
    raise ValueError(f"JOB_QUEUE_URL: no job queue for the scheme {scheme!r} "
                     "(use a redis:// URL, or leave it unset for local processes)")
