"""What a worker does with a job: claim it, train, register, and say so in the job's log.

Called by whichever runner delivered the job (a local process, or a queue worker on any host),
always inside an app context on the installation's registry.
"""
from __future__ import annotations

import os
import threading
import time
import traceback

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from flask import current_app

from registry import cards, datasets, versions, webhooks
from registry.datasets import combine
from registry.database import db, unavailable, utcnow
from registry.models import TrainingJob
from registry.monitoring import gate, profiles
from usecases import get_usecase

LOG_CHARS = 20_000  # the log keeps its last lines up to this size


def claim(job_id: int) -> bool:
    """Move a queued job to running; False when it is not queued (finished, or claimed by
    another delivery), so a job handed out twice is trained once."""
    now = utcnow()
    claimed = db.session.execute(sa.update(TrainingJob).where(
        TrainingJob.id == job_id, TrainingJob.status == "queued").values(
        status="running", started_at=now, heartbeat_at=now, pid=os.getpid(),
        message="starting"))
    db.session.commit()
    return claimed.rowcount == 1


def run(job_id: int) -> TrainingJob:
    """Do a job's work in this process: load data, train, register (and promote if asked).

    A job that is not queued any more is left as it is and returned.
    """
    if not claim(job_id):
        job = db.session.get(TrainingJob, job_id)
        if job is None:
            raise ValueError(f"there is no job {job_id}")
        return job
    job = db.session.get(TrainingJob, job_id)
    log(job, f"claimed by process {os.getpid()} on {os.uname().nodename}")
    beat = Heartbeat(job_id, float(current_app.config["JOB_HEARTBEAT_SECONDS"]))
    beat.start()
    try:
        usecase = get_usecase(job.usecase)
        report(job, 0.02, "loading data")
        began = time.perf_counter()
        options = job.options or {}
        chosen = combine.choose(usecase, list(options.get("datasets") or []),
                                bool(options.get("include_outcomes")), job.requested_by)
        log(job, f"training on dataset version {chosen.version.version} "
                 f"({', '.join(chosen.version.sources)}; {chosen.version.rows:,} rows)")
        data, new_test = chosen.data, chosen.new_test
        sample = current_app.config.get("TRAINING_SAMPLE")
        if sample:
            data = data.sample(int(sample), int(sample))
        trained = usecase.train(data, lambda f, m: report(job, 0.05 + 0.85 * f, m))
        seconds = time.perf_counter() - began
        report(job, 0.9, "saving the model")
        artifact = versions.artifact_store().save(trained.model, job.usecase)
        # What is recorded is measured on the stored artifact, through the serving code.
        report(job, 0.93, "measuring the stored model on the held-out rows")
        try:
            served = versions.artifact_store().load(artifact.key, artifact.sha256,
                                                    artifact.signature)
            metrics = trained.metrics | usecase.evaluate(served, data.test)
        except Exception:
            versions.remove_unreferenced(artifact.key)  # nothing will name it
            raise
        note_differences(job, trained.metrics, metrics)
        params = trained.params | {"evaluation": evaluation(usecase, served, data, new_test)}
        row = versions.register_version(
            job.usecase, trained.model, artifact=artifact, trained_by=job.requested_by,
            params=params, metrics=metrics, leaderboard=trained.leaderboard,
            data_fingerprint=data.fingerprint, train_rows=len(data.train),
            test_rows=len(data.test), training_seconds=seconds,
            dataset_version_id=chosen.version.id,
            input_schema=[field.describe() for field in usecase.fields],
            reference=profiles.build(usecase.fields, usecase.reference_inputs(data.train)))
        report(job, 0.95, "measuring the held-out rows by group (model card)")
        try:
            cards.version_groups(usecase, row, frame=data.test, model=served)
        except Exception as exc:  # the card measures it on first view instead; the version
            db.session.rollback()  # stands
            log(job, f"figures by group not measured: {str(exc)[:300]}")
        promoted = False
        if job.promote:
            try:
                gate.promote(usecase, row.version, actor=job.requested_by,
                             reason="trained and promoted on request")
                promoted = True
            except gate.GateClosed as exc:  # a new version has no live evidence yet
                log(job, f"not promoted: {exc}")
        job.status, job.progress, job.model_version_id = "succeeded", 1.0, row.id
        job.message = f"version {row.version} registered" + (
            " and promoted" if promoted else
            "; not promoted: the promotion policy needs live evidence" if job.promote else "")
        log(job, f"{job.message} in {seconds:.1f} s")
    except Exception:
        db.session.rollback()
        job = db.session.get(TrainingJob, job_id)
        job.status, job.message = "failed", "training failed"
        job.error = traceback.format_exc(limit=8)[-4000:]
        log(job, "failed: " + job.error.strip().splitlines()[-1])
    finally:
        beat.stop()
        job.finished_at = utcnow()
        db.session.commit()
    try:
        webhooks.emit(job.usecase, f"training.{job.status}", {
            "job": job.id, "requested_by": job.requested_by, "message": job.message,
            "version": job.model_version.version if job.model_version else None})
    except SQLAlchemyError:  # the job's outcome is recorded; a lost notice must not undo it
        db.session.rollback()
    return job


def note_differences(job: TrainingJob, trained: dict[str, float],
                     served: dict[str, float]) -> None:
    """Say in the job's log where the trainer's figures and the stored model's differ (the
    stored model's are recorded): a compiled fast path or a serialisation that is not faithful
    shows here."""
    for name, value in trained.items():
        again = served.get(name)
        if isinstance(value, (int, float)) and isinstance(again, (int, float)) \
                and abs(value - again) > 1e-9 * max(1.0, abs(value)):
            log(job, f"{name}: the trainer measured {value:.6g}, the stored model "
                     f"{again:.6g} (recorded)")


def evaluation(usecase, model, data, new_test) -> dict:
    """Which rows the metrics were measured on, and the metrics on new data's held-out rows."""
    found = {"held_out": {"rows": len(data.test),
                          "fingerprint": datasets.fingerprint({datasets.TEST: data.test})}}
    if len(new_test):
        try:
            measured = usecase.evaluate(model, new_test)
        except Exception as exc:  # e.g. one class only (no ROC AUC), or no rows it can score:
            measured = {}         # the held-out figures still stand; say why these do not
            found["new_data_error"] = str(exc)[:300]
        found["new_data"] = {"rows": len(new_test), "metrics": measured,
                             "fingerprint": datasets.fingerprint({datasets.TEST: new_test})}
    return found


_last_report: dict[int, float] = {}


def report(job: TrainingJob, fraction: float, message: str) -> None:
    """Record progress; written at most twice a second so a chatty trainer costs little."""
    now = time.monotonic()
    if now - _last_report.get(job.id, 0.0) < 0.5 and fraction < 0.9:
        return
    _last_report[job.id] = now
    job.progress, job.message = round(min(fraction, 1.0), 3), message[:300]
    job.heartbeat_at = utcnow()
    log(job, f"{job.progress:4.0%} {message}")
    db.session.commit()


def log(job: TrainingJob, line: str) -> None:
    """Add a time-stamped line to the job's log (committed with the caller's next commit)."""
    text = (job.log or "") + f"{utcnow():%H:%M:%S} {line}\n"
    job.log = text[-LOG_CHARS:]


class Heartbeat:
    """A thread that stamps the job's heartbeat while the training computes."""

    def __init__(self, job_id: int, every: float) -> None:
        self.job_id, self.every = job_id, every
        # Called through the proxy, app_context() makes a context for the app itself, which
        # the thread enters to get its own session and connection.
        self.app_context = current_app.app_context
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with self.app_context():
            while not self._stop.wait(self.every):
                try:
                    db.session.execute(sa.update(TrainingJob).where(
                        TrainingJob.id == self.job_id).values(heartbeat_at=utcnow()))
                    db.session.commit()
                except sa.exc.DBAPIError as error:
                    # Busy (the training itself holds SQLite's write lock a while) or a
                    # server restarting: skip this beat; a missed one or two do no harm.
                    db.session.rollback()
                    if not unavailable(error):
                        raise
