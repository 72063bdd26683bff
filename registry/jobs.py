"""Training jobs: each runs in its own operating-system process and keeps a heartbeat.

A web request only writes a queued row and starts `python -m registry.worker JOB_ID` in a new
session, so a restarted web worker does not take the training with it and a crashing training does
not take a web worker with it. A job whose heartbeat stops is marked failed when next read.
"""
from __future__ import annotations

import json
import os
import subprocess  # nosec B404: runs the training worker only, with a fixed argv
import sys
import threading
import time
import traceback
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from registry import versions
from registry.database import db, utcnow
from registry.models import TrainingJob
from usecases import get_usecase

# Settings a worker process needs to reach the same database, artifacts and use cases.
FORWARDED_SETTINGS = ("SQLALCHEMY_DATABASE_URI", "ARTIFACT_DIR", "S3_ENDPOINT_URL", "USECASES",
                      "TRAINING_SAMPLE", "JOB_HEARTBEAT_SECONDS")


class JobConflict(Exception):
    """A training of this use case is already queued or running."""


def enqueue(usecase: str, *, requested_by: str, promote: bool = False) -> TrainingJob:
    """Write a queued job row; refuse while the same use case is already training."""
    get_usecase(usecase)
    reap_stale()
    busy = db.session.scalar(sa.select(TrainingJob).where(
        TrainingJob.usecase == usecase, TrainingJob.status.in_(("queued", "running"))))
    if busy is not None:
        raise JobConflict(f"{usecase} is already training (job {busy.id})")
    job = TrainingJob(usecase=usecase, requested_by=requested_by, promote=promote)
    db.session.add(job)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another request queued one between our check and insert
        db.session.rollback()
        raise JobConflict(f"{usecase} is already training") from None
    return job


def start(usecase: str, *, requested_by: str, promote: bool = False) -> TrainingJob:
    """Queue a job and start its worker process; return at once."""
    job = enqueue(usecase, requested_by=requested_by, promote=promote)
    spawn(job.id)
    return job


def spawn(job_id: int) -> subprocess.Popen:
    """Start the worker process for a queued job, detached from this process's session."""
    config = current_app.config
    env = dict(os.environ, MODELHUB_INSTANCE_PATH=current_app.instance_path)
    for key in FORWARDED_SETTINGS:
        value = config.get(key)
        if value is not None:
            env[f"MODELHUB_{key}"] = value if isinstance(value, str) else json.dumps(value)
    log_dir = Path(current_app.instance_path) / "jobs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{job_id}.log", "ab") as log:
        process = subprocess.Popen(  # nosec B603: fixed argv, no shell
            [sys.executable, "-m", "registry.worker", str(job_id)], env=env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=str(Path(__file__).resolve().parent.parent))
    # Reap the child when it ends, so no zombie is left behind in a long-lived web worker.
    threading.Thread(target=process.wait, daemon=True).start()
    return process


def run(job_id: int) -> TrainingJob:
    """Do a job's work in this process: load data, train, register (and promote if asked)."""
    job = db.session.get(TrainingJob, job_id)
    if job is None or job.status != "queued":
        raise ValueError(f"job {job_id} is not queued")
    job.status, job.started_at, job.heartbeat_at = "running", utcnow(), utcnow()
    job.pid, job.message = os.getpid(), "starting"
    db.session.commit()
    beat = Heartbeat(job_id, float(current_app.config["JOB_HEARTBEAT_SECONDS"]))
    beat.start()
    try:
        usecase = get_usecase(job.usecase)
        report(job, 0.02, "loading data")
        began = time.perf_counter()
        data = usecase.load_data()
        sample = current_app.config.get("TRAINING_SAMPLE")
        if sample:
            data = data.sample(int(sample), int(sample))
        trained = usecase.train(data, lambda f, m: report(job, 0.05 + 0.85 * f, m))
        seconds = time.perf_counter() - began
        report(job, 0.92, "saving the model")
        row = versions.register_version(
            job.usecase, trained.model, trained_by=job.requested_by, params=trained.params,
            metrics=trained.metrics, leaderboard=trained.leaderboard,
            data_fingerprint=data.fingerprint, train_rows=len(data.train),
            test_rows=len(data.test), training_seconds=seconds)
        if job.promote:
            versions.promote(job.usecase, row.version, actor=job.requested_by,
                             reason="trained and promoted on request")
        job.status, job.progress, job.model_version_id = "succeeded", 1.0, row.id
        job.message = f"version {row.version} registered" + (" and promoted" if job.promote else "")
    except Exception:
        db.session.rollback()
        job = db.session.get(TrainingJob, job_id)
        job.status, job.message = "failed", "training failed"
        job.error = traceback.format_exc(limit=8)[-4000:]
    finally:
        beat.stop()
        job.finished_at = utcnow()
        db.session.commit()
    return job


_last_report: dict[int, float] = {}


def report(job: TrainingJob, fraction: float, message: str) -> None:
    """Record progress; written at most twice a second so a chatty trainer costs little."""
    now = time.monotonic()
    if now - _last_report.get(job.id, 0.0) < 0.5 and fraction < 0.9:
        return
    _last_report[job.id] = now
    job.progress, job.message, job.heartbeat_at = round(min(fraction, 1.0), 3), message[:300], utcnow()
    db.session.commit()


class Heartbeat:
    """A thread that stamps the job's heartbeat while the training computes."""

    def __init__(self, job_id: int, every: float) -> None:
        self.job_id, self.every = job_id, every
        self.app = current_app._get_current_object()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        # A separate app context gives this thread its own session and connection.
        with self.app.app_context():
            while not self._stop.wait(self.every):
                db.session.execute(sa.update(TrainingJob).where(TrainingJob.id == self.job_id)
                                   .values(heartbeat_at=utcnow()))
                db.session.commit()


def reap_stale() -> int:
    """Mark failed every unfinished job whose heartbeat (or queueing) is too old."""
    limit = utcnow() - timedelta(seconds=float(current_app.config["JOB_STALE_SECONDS"]))
    stale = sa.update(TrainingJob).where(
        TrainingJob.status.in_(("queued", "running")),
        sa.func.coalesce(TrainingJob.heartbeat_at, TrainingJob.created_at) < limit,
    ).values(status="failed", message="the training process stopped responding",
             error="no heartbeat: the worker process died or was killed", finished_at=utcnow())
    count = db.session.execute(stale).rowcount
    db.session.commit()
    return count


def get_job(job_id: int) -> TrainingJob | None:
    reap_stale()
    return db.session.get(TrainingJob, job_id)


def recent_jobs(usecase: str | None = None, limit: int = 20) -> list[TrainingJob]:
    reap_stale()
    query = sa.select(TrainingJob).order_by(TrainingJob.id.desc()).limit(limit)
    if usecase:
        query = query.where(TrainingJob.usecase == usecase)
    return list(db.session.scalars(query))
