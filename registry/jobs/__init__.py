"""Training jobs: a request writes a queued row and hands the job to the installation's runner.

Two runners, one interface (`registry.jobs.runners.Runner`), chosen by JOB_QUEUE_URL's scheme:
- none set: a local process per job on the web host (`registry.jobs.runners.LocalProcess`);
- `redis://...`: a Redis queue that `flask --app portal hub worker` empties on any host with the
  code and the settings (`registry.jobs.queue.RedisQueue`).
Either way the training itself is `registry.jobs.training.run`, which claims the queued row
atomically (so a job delivered twice is trained once), keeps a heartbeat and writes its log to
the registry, where every host's job page reads it.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from registry.database import db, utcnow
from registry.datasets import combine
from registry.jobs.runners import Runner, open_runner
from registry.jobs.training import run  # noqa: F401  (the service API: what a worker calls)
from registry.models import TrainingJob
from usecases import get_usecase

ACTIVE = ("queued", "running")
EXTENSION = "modelhub.jobs"


class JobConflict(Exception):
    """A training of this use case is already queued or running: `job_id` is that job's."""

    def __init__(self, message: str, job_id: int | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id


def init_app(app: Flask) -> None:
    """Give the app the runner its settings name."""
    app.extensions[EXTENSION] = open_runner(app)


def runner() -> Runner:
    return current_app.extensions[EXTENSION]


def enqueue(usecase: str, *, requested_by: str, promote: bool = False,
            runner_name: str = "inline", options: dict[str, Any] | None = None) -> TrainingJob:
    """Write a queued job row; refuse while the same use case is already training.

    `runner_name` says who will run it ("inline": the caller, with `run`); `options` what to
    train on ({"datasets": [ids], "include_outcomes": bool}), checked here so that a wrong
    choice is refused at once rather than failing the job."""
    options = combine.checked_options(get_usecase(usecase), options or {})
    reap_stale()
    busy = db.session.scalar(sa.select(TrainingJob).where(
        TrainingJob.usecase == usecase, TrainingJob.status.in_(ACTIVE)))
    if busy is not None:
        raise JobConflict(f"{usecase} is already training (job {busy.id})", busy.id)
    job = TrainingJob(usecase=usecase, requested_by=requested_by, promote=promote,
                      runner=runner_name, options=options)
    db.session.add(job)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another request queued one between our check and insert
        db.session.rollback()
        busy = db.session.scalar(sa.select(TrainingJob.id).where(
            TrainingJob.usecase == usecase, TrainingJob.status.in_(ACTIVE)))
        raise JobConflict(f"{usecase} is already training"
                          + (f" (job {busy})" if busy else ""), busy) from None
    return job


def start(usecase: str, *, requested_by: str, promote: bool = False,
          options: dict[str, Any] | None = None) -> TrainingJob:
    """Queue a job and hand it to the runner; return at once."""
    job = enqueue(usecase, requested_by=requested_by, promote=promote,
                  runner_name=runner().name, options=options)
    try:
        runner().submit(job.id)
    except Exception as exc:
        fail(job.id, "the job could not be handed to the runner", f"{type(exc).__name__}: {exc}")
        raise
    return job


def fail(job_id: int, message: str, error: str) -> bool:
    """Mark a job failed unless it has finished already; whether it was still unfinished."""
    done = db.session.execute(sa.update(TrainingJob).where(
        TrainingJob.id == job_id, TrainingJob.status.in_(ACTIVE)).values(
        status="failed", message=message[:300], error=error[-4000:], finished_at=utcnow()))
    db.session.commit()
    return done.rowcount == 1


def reap_stale() -> int:
    """Mark failed what the runner knows has died, and every running job whose heartbeat is too
    old (the last resort when a whole worker host is lost). A queued job is failed for waiting
    only where nothing should make it wait (the local runner starts it at once)."""
    unfinished = list(db.session.scalars(sa.select(TrainingJob)
                                         .where(TrainingJob.status.in_(ACTIVE))))
    if not unfinished:
        return 0
    count = sum(fail(job_id, message, error) for job_id, message, error in runner().lost(
        [job for job in unfinished if job.runner == runner().name]))
    limit = utcnow() - timedelta(seconds=float(current_app.config["JOB_STALE_SECONDS"]))
    silent = sa.func.coalesce(TrainingJob.heartbeat_at, TrainingJob.created_at) < limit
    # Queued jobs of a queue may wait for a free worker as long as it takes.
    waiting = sa.or_(TrainingJob.status == "running", TrainingJob.runner != "queue")
    stale = sa.update(TrainingJob).where(TrainingJob.status.in_(ACTIVE), waiting, silent).values(
        status="failed", message="the training process stopped responding",
        error="no heartbeat: the worker process died or was killed", finished_at=utcnow())
    count += db.session.execute(stale).rowcount
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
