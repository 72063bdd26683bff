"""Training jobs run in their own process, report progress, and fail cleanly."""
import os
import signal
import time
from datetime import timedelta

import pytest

from registry import jobs, serving, versions
from registry.database import db, utcnow
from registry.models import TrainingJob
from tests.conftest import assert_progress_was_reported, make_app, migrated_app
from tests.databases import TEST_SECRET_KEY
from tests.registry.conftest import stored_keys


def wait_for(app, job_id, *, seconds=180, until=lambda job: job.finished):
    """Poll a job's row until `until` holds; return the snapshots seen."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            job = jobs.get_job(job_id)
            seen.append((job.status, job.progress, job.message, job.pid))
            if until(job):
                return seen
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not get there in {seconds} s: {seen[-3:]}")


def test_a_job_trains_in_its_own_process(app):
    with app.app_context():
        job = jobs.start("heart-disease", requested_by="tester")
        assert job.status == "queued"
    seen = wait_for(app, job.id)
    status, progress, message, pid = seen[-1]
    assert status == "succeeded" and progress == 1.0 and "version 2 registered" in message
    assert pid is not None and pid != os.getpid()
    with app.app_context():
        assert_progress_was_reported(jobs.get_job(job.id).log)
    with app.app_context():
        row = versions.get_version("heart-disease", 2)
        assert row.stage == "candidate" and row.trained_by == "tester"
        assert versions.production_version("heart-disease").version == 1
        # The version keeps the inputs it was trained to take.
        fields = app.extensions["modelhub.usecases"]["heart-disease"].fields
        assert row.input_schema == [field.describe() for field in fields]


def test_a_second_training_of_the_same_usecase_is_refused(app):
    with app.app_context():
        jobs.enqueue("heart-disease", requested_by="t")
        with pytest.raises(jobs.JobConflict, match="already training"):
            jobs.enqueue("heart-disease", requested_by="t")


def test_a_failing_training_leaves_production_alone(app, tmp_path):
    # Three rows cannot be cross-validated: the trainer really fails.
    broken = make_app(app.instance_path, TRAINING_SAMPLE=3)
    with broken.app_context():
        job = jobs.enqueue("heart-disease", requested_by="t", promote=True)
        job = jobs.run(job.id)
        assert job.status == "failed" and "Traceback" in job.error
        assert versions.production_version("heart-disease").version == 1
        assert [v.version for v in versions.list_versions("heart-disease")] == [1]


def test_a_job_whose_heartbeat_stopped_is_marked_failed(app):
    with app.app_context():
        silent = TrainingJob(usecase="heart-disease", requested_by="t", status="running",
                             heartbeat_at=utcnow() - timedelta(hours=1))
        db.session.add(silent)
        db.session.commit()
        job = jobs.get_job(silent.id)
        assert job.status == "failed" and "stopped responding" in job.message


def test_a_killed_worker_leaves_no_version_and_is_failed_at_once(app):
    with app.app_context():
        job = jobs.start("heart-disease", requested_by="t")
    # Killed once it has said it claimed the job (the claim and that line are two writes).
    wait_for(app, job.id, seconds=60, until=lambda j: j.status == "running" and j.pid
             and "claimed by process" in (j.log or ""))
    with app.app_context():
        os.killpg(db.session.get(TrainingJob, job.id).pid, signal.SIGKILL)
    # The runner waits for its process and fails the job when it exits unfinished: no 30 s
    # heartbeat guess (JOB_STALE_SECONDS keeps its default here).
    seen = wait_for(app, job.id, seconds=10)
    assert seen[-1][0] == "failed"
    with app.app_context():
        failed = jobs.get_job(job.id)
        assert "signal 9" in failed.error and "ended before its job" in failed.message
        assert "claimed by process" in failed.log
        assert [v.version for v in versions.list_versions("heart-disease")] == [1]
        assert versions.production_version("heart-disease").version == 1


def test_a_job_is_trained_once_however_often_it_is_delivered(app):
    with app.app_context():
        job = jobs.enqueue("heart-disease", requested_by="t")
        first = jobs.run(job.id)
        assert first.status == "succeeded"
        again = jobs.run(job.id)  # delivered a second time: nothing to do
        assert again.status == "succeeded" and again.model_version_id == first.model_version_id
        assert [v.version for v in versions.list_versions("heart-disease")] == [2, 1]
        assert first.log.count("claimed by process") == 1


def test_the_database_allows_one_active_job_per_usecase(app):
    """Even two requests that both pass enqueue's check cannot queue two trainings."""
    import sqlalchemy as sa

    with app.app_context():
        jobs.enqueue("heart-disease", requested_by="t")
        db.session.add(TrainingJob(usecase="heart-disease", requested_by="racer"))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.add(TrainingJob(usecase="heart-disease", requested_by="t", status="failed"))
        db.session.commit()  # finished jobs are not limited


def test_a_job_stores_its_model_where_the_portal_keeps_artifacts(s3_bucket, tmp_path):
    """The worker process gets the artifact settings (and the AWS credentials) of its portal."""
    app = migrated_app(tmp_path / "instance", ARTIFACT_DIR=s3_bucket.url(),
                       S3_ENDPOINT_URL=s3_bucket.endpoint, TRAINING_SAMPLE=200,
                       SECRET_KEY=TEST_SECRET_KEY)
    with app.app_context():
        job = jobs.start("heart-disease", requested_by="tester", promote=True)
    assert wait_for(app, job.id)[-1][0] == "succeeded"
    with app.app_context():
        row = versions.production_version("heart-disease")
        # The model, and the data it was trained on (the built-in data's first version).
        assert stored_keys(versions.artifact_store()) == sorted(
            [row.artifact_path, row.dataset.artifact_path])
        assert row.dataset.sources == ["built-in"] and row.dataset.version == 1
        assert serving.production_model("heart-disease")[0] == 1
    assert not (tmp_path / "instance" / "models").exists()
