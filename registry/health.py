"""The service's health, for probes and metrics: is the database reachable, can every use case be
served, and how many training jobs the registry holds in each status.

The readiness probe and the metrics scrape both read through here, so neither holds a query.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from registry import serving, versions
from registry.database import db
from registry.models import JOB_STATUSES, TrainingJob
from usecases import all_usecases


@dataclass(frozen=True)
class UseCaseReadiness:
    """Whether one use case can answer predictions right now, and if not, why."""

    name: str
    ready: bool
    message: str
    version: int | None = None
    load_seconds: float | None = None
    # Whether the host is ready only if this use case is: not for a use case made from a table
    # that nobody has put in production yet (its creation must not take hosts out of service).
    required: bool = True

    def to_dict(self) -> dict[str, object]:
        return {"ready": self.ready, "message": self.message, "version": self.version,
                "load_seconds": self.load_seconds, "required": self.required}


@dataclass(frozen=True)
class Readiness:
    """The database's state and every enabled use case's."""

    database: str  # "ok", or what went wrong
    usecases: list[UseCaseReadiness] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.database == "ok" and all(u.ready for u in self.usecases if u.required)

    def to_dict(self) -> dict[str, object]:
        return {"status": "ready" if self.ready else "not ready", "database": self.database,
                "usecases": {u.name: u.to_dict() for u in self.usecases}}


def database_problem() -> str | None:
    """None when a trivial query succeeds, else the reason it did not."""
    try:
        db.session.execute(sa.select(1))
    except SQLAlchemyError as exc:
        db.session.rollback()
        return f"the database cannot be reached: {type(exc).__name__}"
    return None


def readiness() -> Readiness:
    """Can this process serve every enabled use case? Loads each production model (once: the
    serving cache keeps it), so a probe that passes means the first visitor waits for nothing."""
    problem = database_problem()
    if problem is not None:
        return Readiness(problem, [UseCaseReadiness(name, False, "not checked: no database")
                                   for name in all_usecases()])
    return Readiness("ok", [_usecase_readiness(name) for name in all_usecases()])


def _usecase_readiness(name: str) -> UseCaseReadiness:
    try:
        served = serving.cache().production(name)
    except (serving.ModelUnavailable, versions.RegistryError) as exc:
        waiting = name not in current_app.extensions["modelhub.usecases"] and \
            versions.production_version(name) is None
        return UseCaseReadiness(name, False, str(exc), required=not waiting)
    except SQLAlchemyError as exc:
        db.session.rollback()
        return UseCaseReadiness(name, False, f"registry query failed: {type(exc).__name__}")
    return UseCaseReadiness(name, True, "ok", served.version, round(served.load_seconds, 6))


def job_counts() -> dict[str, int]:
    """The number of training jobs in each status, every status present (zero when none).
    Read only: a scrape never writes (a dead job is failed by whoever next reads the jobs)."""
    counts = dict.fromkeys(JOB_STATUSES, 0)
    query = sa.select(TrainingJob.status, sa.func.count()).group_by(TrainingJob.status)
    counts.update({status: n for status, n in db.session.execute(query)})
    return counts
