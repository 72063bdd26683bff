"""Training on the Redis queue: a real Redis, real `hub worker` processes, real trainings."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devservices import RedisServer
from registry import jobs, versions
from tests.conftest import make_app
from tests.registry.test_jobs import wait_for

ROOT = Path(__file__).resolve().parents[2]
NAME = "heart-disease"
SECRET_KEY = "the installation's shared secret key"  # required with a job queue


@pytest.fixture(scope="module")
def redis_url():
    server = RedisServer().start()
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture
def queued_app(app, redis_url):
    """The trained app, its jobs going to the queue (emptied first: tests share the Redis)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return make_app(Path(app.instance_path), JOB_QUEUE_URL=redis_url, JOB_STALE_SECONDS=1,
                    SECRET_KEY=SECRET_KEY)


def start_worker(app, *args: str) -> subprocess.Popen:
    """`flask --app portal hub worker` on the app's instance folder, as another host would;
    its output goes to worker.log there."""
    env = dict(os.environ, MODELHUB_INSTANCE_PATH=app.instance_path,
               MODELHUB_JOB_QUEUE_URL=app.config["JOB_QUEUE_URL"], MODELHUB_SECRET_KEY=SECRET_KEY)
    with open(Path(app.instance_path) / "worker.log", "ab") as output:
        return subprocess.Popen(  # nosec B603: fixed argv
            [sys.executable, "-m", "flask", "--app", "portal", "hub", "worker", *args],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def stop(worker: subprocess.Popen, app) -> str:
    """Stop the worker (SIGINT: RQ's warm shutdown) and return what it printed."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
    return (Path(app.instance_path) / "worker.log").read_text(errors="replace")


def empty_the_queue(app) -> tuple[subprocess.Popen, str]:
    """`hub worker --burst`: run every queued job, then stop; the worker and what it printed."""
    worker = start_worker(app, "--burst")
    try:
        assert worker.wait(240) == 0
    finally:
        output = stop(worker, app)
    return worker, output


def test_a_queued_job_waits_for_a_worker_however_long(queued_app):
    with queued_app.app_context():
        job = jobs.start(NAME, requested_by="t")
        assert job.runner == "queue"
    time.sleep(2.5)  # more than JOB_STALE_SECONDS: a local job would be failed by now
    with queued_app.app_context():
        assert jobs.get_job(job.id).status == "queued"


def test_a_worker_trains_the_job_and_writes_its_log_to_the_registry(queued_app):
    with queued_app.app_context():
        job = jobs.start(NAME, requested_by="tester")
    worker, output = empty_the_queue(queued_app)
    with queued_app.app_context():
        done = jobs.get_job(job.id)
        assert done.status == "succeeded", (done.error, output)
        assert versions.get_version(NAME, 2).trained_by == "tester"
        assert done.pid != worker.pid  # trained in a work horse, not the worker itself
        assert "claimed by process" in done.log and "version 2 registered" in done.log


def test_a_killed_work_horse_fails_the_job_at_once_and_leaves_production(queued_app):
    with queued_app.app_context():
        job = jobs.start(NAME, requested_by="t")
    slow = make_app(Path(queued_app.instance_path), JOB_QUEUE_URL=queued_app.config[
        "JOB_QUEUE_URL"], SECRET_KEY=SECRET_KEY)  # JOB_STALE_SECONDS at its default: no guess
    worker = start_worker(queued_app)
    try:
        wait_for(slow, job.id, until=lambda j: j.status == "running" and j.pid, seconds=60)
        with slow.app_context():
            os.kill(jobs.get_job(job.id).pid, signal.SIGKILL)
        seen = wait_for(slow, job.id, seconds=10)
    finally:
        output = stop(worker, queued_app)
    assert seen[-1][0] == "failed", output
    with slow.app_context():
        failed = jobs.get_job(job.id)
        assert "killed" in failed.message and "signal 9" in failed.error
        assert [v.version for v in versions.list_versions(NAME)] == [1]
        assert versions.production_version(NAME).version == 1


def test_a_redelivered_job_is_not_trained_twice(queued_app):
    with queued_app.app_context():
        job = jobs.start(NAME, requested_by="t")
        jobs.runner().queue().enqueue("registry.jobs.queue.train", job.id)  # a second delivery
    worker, output = empty_the_queue(queued_app)
    with queued_app.app_context():
        assert jobs.get_job(job.id).status == "succeeded", output
        assert [v.version for v in versions.list_versions(NAME)] == [2, 1]


def test_the_worker_command_needs_a_queue(app):
    result = app.test_cli_runner().invoke(args=["hub", "worker", "--burst"])
    assert result.exit_code != 0 and "JOB_QUEUE_URL" in result.output
