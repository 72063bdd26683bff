"""Training on a Redis queue (RQ): any host with the code and the settings runs the jobs.

A request pushes the job's id onto the queue; `flask --app portal hub worker` takes jobs off it,
one at a time, each in a forked work horse. Failures are the queue's to notice: a horse that dies
(killed, out of memory) is reported by its worker at once, which fails the job in the registry;
a job the queue itself marks failed, stopped or lost is failed when next read. Jobs waiting for a
free worker stay queued however long they wait.
"""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, Iterable, Iterator

from flask import Flask

from registry.database import db, utcnow
from registry.jobs.runners import Lost, Runner
from registry.models import TrainingJob

QUEUE = "modelhub-training"
TIMEOUT_SECONDS = 6 * 3600  # a training still running after this is stopped by its worker
KEEP_FAILED_SECONDS = 7 * 86400

_worker_app: Flask | None = None  # the app of the `hub worker` command in this process


def _rq_id(job_id: int) -> str:
    return f"train-{job_id}"


class RedisQueue(Runner):
    name = "queue"

    def __init__(self, app: Flask, url: str) -> None:
        from redis import Redis

        self.app = app
        self.connection = Redis.from_url(url)
        kwargs = self.connection.connection_pool.connection_kwargs
        # For messages: where the queue is, without any password the URL holds.
        self.connection_name = (f"{QUEUE} on {kwargs.get('host', kwargs.get('path'))}:"
                                f"{kwargs.get('port', '')}/{kwargs.get('db', 0)}")

    def queue(self):
        from rq import Queue

        return Queue(QUEUE, connection=self.connection)

    def submit(self, job_id: int) -> None:
        self.queue().enqueue(train, job_id, job_id=_rq_id(job_id), job_timeout=TIMEOUT_SECONDS,
                             failure_ttl=KEEP_FAILED_SECONDS,
                             description=f"training job {job_id}")

    def lost(self, unfinished: Iterable[TrainingJob]) -> Iterator[Lost]:
        from rq.job import Job, JobStatus
        from rq.registry import StartedJobRegistry

        # A job queued in the last seconds may not be on the queue yet (submit follows commit).
        settled = utcnow() - timedelta(seconds=10)
        unfinished = [job for job in unfinished if job.created_at < settled]
        if not unfinished:
            return
        # Jobs whose whole worker vanished are moved to the failed ones by the queue itself.
        StartedJobRegistry(QUEUE, connection=self.connection).cleanup()
        found = Job.fetch_many([_rq_id(job.id) for job in unfinished],
                               connection=self.connection)
        for job, queued in zip(unfinished, found):
            if queued is None:
                yield job.id, "the queue lost the job", "no such job on the queue"
                continue
            status = queued.get_status(refresh=False)
            if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                reason = (queued.latest_result().exc_string if queued.latest_result() else "")
                yield (job.id, f"the queue reports the job {status.value}",
                       reason or f"the queue's status: {status.value}")

    def work(self, *, burst: bool = False) -> bool:
        """Take jobs off the queue until stopped (or, with `burst`, until it is empty)."""
        from rq import Worker

        global _worker_app
        _worker_app = self.app
        worker = Worker([self.queue()], connection=self.connection,
                        work_horse_killed_handler=self._horse_killed)
        return worker.work(burst=burst, with_scheduler=False)

    def _horse_killed(self, queued: Any, pid: int, status: int, _rusage: Any) -> None:
        """The work horse of `queued` died: fail its job now, in the registry."""
        from registry import jobs

        how = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"code {os.waitstatus_to_exitcode(status)}")
        with self.app.app_context():
            jobs.fail(queued.args[0], "the training process was killed",
                      f"the work horse (pid {pid}) running this job died with {how}")


def train(job_id: int) -> str:
    """The queue's task, run in a worker's forked work horse."""
    from registry import jobs

    app = _worker_app
    if app is None:  # a worker started without `hub worker`: make the app from the settings
        from portal import create_app

        app = create_app()
    with app.app_context():
        # The fork copied the worker's pooled connections: leave them to the parent.
        for engine in db.engines.values():
            engine.dispose(close=False)
        job = jobs.run(job_id)
        return job.status
