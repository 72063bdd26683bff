"""Use cases made from a table: created, listed, disabled and deleted here, and built on every host
from their stored spec.

The portal's list of use cases is the installed plug-ins plus the enabled ones of these. Each
process keeps them built and looks at the table again at most every REFRESH_SECONDS (and at once
for a name it does not know), so a use case created on one host is served by all of them.
"""
from __future__ import annotations

import re
import threading
import time
from typing import Any, Iterable, Mapping

import sqlalchemy as sa
from flask import Flask, current_app

from registry import datasets, jobs, versions
from registry.database import db, utcnow
from registry.datasets import uploads
from registry.models import (DatasetVersion, ModelCard, ModelVersion, Prediction, Promotion,
                             ReferenceProfile, TableUseCase, TrainingJob)
from usecases import CATALOGUE, discover
from usecases.base import UseCase
from usecases.tabular.usecase import SpecError, TabularUseCase, examples_from

REFRESH_SECONDS = 2.0
MISS_SECONDS = 0.2
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_NAME = 64
# Words the portal's own routes use after /usecases/, /admin/models/ or /api/v1/usecases/.
RESERVED = frozenset({"new", "create", "upload", "uploads", "static", "api", "admin", "history",
                      "auth", "datasets", "compare", "jobs", "train", "versions", "outcomes"})


class CreateError(ValueError):
    """A use case that cannot be created as asked; `field` names the part at fault."""

    def __init__(self, message: str, status: int = 422, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.field = message, status, field


class NotFound(LookupError):
    pass


class InUse(ValueError):
    """A use case that predictions refer to: it can be disabled, not deleted."""


# -- names ------------------------------------------------------------------------------------
def check_name(name: Any) -> str:
    """A free URL slug for a new use case, or CreateError saying why not."""
    if not isinstance(name, str) or not name:
        raise CreateError("a use case needs a name", field="name")
    if len(name) > MAX_NAME or not NAME.match(name):
        raise CreateError("the name must be a URL slug: lower-case letters and digits in words "
                          f"joined by single hyphens, starting with a letter, at most {MAX_NAME} "
                          "characters (e.g. exam-scores)", field="name")
    if name in RESERVED:
        raise CreateError(f"{name!r} is a word the portal's own pages use: choose another name",
                          field="name")
    if name in discover():
        raise CreateError(f"{name!r} is a built-in use case: choose another name", status=409,
                          field="name")
    if db.session.scalar(sa.select(TableUseCase.id).where(TableUseCase.name == name)):
        raise CreateError(f"a use case named {name!r} exists already", status=409, field="name")
    return name


# -- proposing --------------------------------------------------------------------------------
def propose(data: bytes, target: str, *, task: str | None = None, exclude: Iterable[str] = (),
            include: Iterable[str] = ()) -> Any:
    """Read a table and propose how to model `target` (a usecases.tabular.profile.Proposal);
    CreateError when the file is not a table this portal can read."""
    from usecases.tabular import profile

    frame = _read(data)
    if task not in (None, "", "regression", "classification"):
        raise CreateError("task must be regression or classification", field="task")
    return profile.propose(frame, target, task=task or None, exclude=list(exclude),
                           include=list(include))


def columns_of(data: bytes) -> list[str]:
    """The columns of a table, in order; CreateError when it is not a table."""
    return list(_read(data).columns)


def _read(data: bytes) -> Any:
    from usecases.tabular import table

    config = current_app.config
    try:
        return table.read_table(data, max_bytes=int(config["TABLE_MAX_BYTES"]),
                                max_rows=int(config["TABLE_MAX_ROWS"]),
                                max_columns=int(config["TABLE_MAX_COLUMNS"]))
    except table.TableError as exc:
        raise CreateError(exc.message, status=exc.status, field=exc.column or "file") from None


# What an admin may change in a proposed input before creating.
EDITABLE = {"label": 120, "help": 500, "unit": 40}


def spec_from(proposal: Any, edits: Mapping[str, Mapping[str, Any]] | None = None
              ) -> dict[str, Any]:
    """The spec a proposal describes, with an admin's edits: input name -> {label, help, unit}
    (an edited label or help is trimmed; an empty one keeps the proposal's)."""
    if proposal.errors:
        raise CreateError("the table cannot become a use case as proposed: "
                          + "; ".join(issue.message for issue in proposal.errors),
                          field=proposal.errors[0].column or "file")
    inputs = []
    for field in proposal.inputs:
        changed = dict(field)
        for key, limit in EDITABLE.items():
            value = (edits or {}).get(field["name"], {}).get(key)
            if isinstance(value, str) and value.strip():
                if key == "unit" and field["kind"] != "number":
                    continue
                changed[key] = value.strip()[:limit]
        inputs.append(changed)
    return {"task": proposal.task, "target": dict(proposal.target), "inputs": inputs,
            "ignored_columns": [item["column"] for item in proposal.excluded]}


# -- creating ---------------------------------------------------------------------------------
def build(row: TableUseCase) -> TabularUseCase:
    """The use case a stored row describes, reading its data from dataset version 1."""
    name = row.name

    def load() -> Any:
        data, _ = datasets.as_dataset(datasets.get(name, 1), source=row.spec.get("source", ""))
        return data

    return TabularUseCase(row.spec | {"name": name, "title": row.title}, loader=load)


def create(name: str, title: str, spec: dict[str, Any], data: bytes, *, actor: str,
           filename: str = "", promote: bool = False, inline: bool = False
           ) -> tuple[TableUseCase, TrainingJob]:
    """Make a use case from a table's bytes and an accepted spec, store the table as its
    dataset version 1, and queue its first training (with `inline`, only enqueue it for the
    caller to run). Nothing is left behind when it fails before the job is queued."""
    check_name(name)
    title = (title or "").strip() or name
    if len(title) > 120:
        raise CreateError("the title must be at most 120 characters", field="title")
    source = f"{filename or 'a table'} uploaded by {actor}"
    try:
        usecase = TabularUseCase(spec | {"name": name, "title": title, "source": source})
    except (SpecError, ValueError) as exc:
        raise CreateError(str(exc), field="spec") from None
    try:
        report = uploads.read(usecase, data, kind=uploads.CSV,
                              ignore=set(spec.get("ignored_columns") or ()))
    except uploads.UploadError as exc:
        raise CreateError(exc.message, status=exc.status, field="file") from None
    if report.frame is None or report.accepted < 20:
        raise CreateError(f"only {report.accepted} of the table's {report.rows} rows passed "
                          "the fields' checks; at least 20 are needed", field="file")
    frame = report.frame
    split = usecase.split(frame, source)
    stored = dict(usecase.spec) | {
        "source": source, "examples": examples_from(usecase, split.train),
        "rows": {"accepted": report.accepted, "refused": report.refused_rows}}
    row = TableUseCase(name=name, title=title, spec=stored, created_by=actor)
    db.session.add(row)
    try:
        datasets.register(name, {datasets.TRAIN: split.train, datasets.TEST: split.test},
                          sources=[datasets.BUILT_IN], created_by=actor,
                          details={"filename": filename[:200], "source": source,
                                   "report": report.to_dict()})
    except Exception:
        db.session.rollback()
        raise
    refresh()
    if inline:
        return row, jobs.enqueue(name, requested_by=actor, promote=promote)
    return row, jobs.start(name, requested_by=actor, promote=promote)


# -- listing and changing ---------------------------------------------------------------------
def list_all() -> list[TableUseCase]:
    return list(db.session.scalars(sa.select(TableUseCase).order_by(TableUseCase.name)))


def get(name: str) -> TableUseCase:
    row = db.session.scalar(sa.select(TableUseCase).where(TableUseCase.name == name))
    if row is None:
        raise NotFound(f"no use case made from a table is named {name!r}")
    return row


def set_enabled(name: str, enabled: bool) -> TableUseCase:
    row = get(name)
    row.enabled, row.updated_at = enabled, utcnow()
    db.session.commit()
    refresh()
    return row


def delete(name: str) -> None:
    """Remove a use case, its versions, jobs and data, unless a stored prediction refers to it
    (InUse: disable it instead, and the history keeps its meaning)."""
    if name in discover():
        raise InUse(f"{name!r} is a built-in use case: it cannot be deleted")
    row = get(name)
    if db.session.scalar(sa.select(Prediction.id).where(Prediction.usecase == name).limit(1)):
        raise InUse(f"predictions of {name!r} are stored: disable it instead (the history "
                    "keeps them)")
    active = db.session.scalar(sa.select(TrainingJob.id).where(
        TrainingJob.usecase == name, TrainingJob.status.in_(jobs.ACTIVE)).limit(1))
    if active:
        raise InUse(f"{name!r} is training (job {active}): wait for it to finish")
    keys = [key for (key,) in db.session.execute(
        sa.select(ModelVersion.artifact_path).where(ModelVersion.usecase == name))]
    data_keys = [version.artifact_path for version in datasets.list_versions(name)]
    db.session.execute(sa.delete(TrainingJob).where(TrainingJob.usecase == name))
    db.session.execute(sa.delete(Promotion).where(Promotion.usecase == name))
    for table in (ReferenceProfile, ModelCard):
        db.session.execute(sa.delete(table).where(table.model_version_id.in_(
            sa.select(ModelVersion.id).where(ModelVersion.usecase == name))))
    db.session.execute(sa.delete(ModelVersion).where(ModelVersion.usecase == name))
    db.session.execute(sa.delete(DatasetVersion).where(DatasetVersion.usecase == name))
    db.session.delete(row)
    db.session.commit()
    for key in keys:
        versions.remove_unreferenced(key)
    store = versions.artifact_store()
    for key in data_keys:
        store.remove(key)
    refresh()


# -- every host's view ------------------------------------------------------------------------
class Catalogue:
    """The installed use cases plus the enabled ones made from tables, rebuilt when the table
    changes. One per app; its dict is replaced whole, never changed in place."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.built: dict[str, tuple[Any, UseCase]] = {}  # name -> (updated_at, use case)
        self.merged: dict[str, UseCase] = dict(app.extensions["modelhub.usecases"])
        self.checked = -REFRESH_SECONDS
        self.lock = threading.Lock()

    def __call__(self) -> dict[str, UseCase]:
        # One thread looks again; the others go on with the list they have.
        if time.monotonic() - self.checked >= REFRESH_SECONDS and \
                self.lock.acquire(blocking=False):
            try:
                self._refresh()
            finally:
                self.lock.release()
        return self.merged

    def may_look_again(self) -> bool:
        """Whether an unknown name may send us to the table now: at most a few times a
        second, so made-up names cannot turn every request into a query."""
        return time.monotonic() - self.checked >= MISS_SECONDS

    def refresh(self) -> None:
        with self.lock:
            self._refresh()

    def _refresh(self) -> None:
        """Rebuild what changed since the last look (the caller holds the lock)."""
        self.checked = time.monotonic()
        try:
            rows = list(db.session.execute(sa.select(
                TableUseCase.name, TableUseCase.updated_at, TableUseCase.enabled)))
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):
            db.session.rollback()  # not migrated yet (e.g. during `flask db upgrade`)
            return
        installed = self.app.extensions["modelhub.usecases"]
        built: dict[str, tuple[Any, UseCase]] = {}
        for name, updated, enabled in rows:
            if not enabled or name in installed:
                continue
            known = self.built.get(name)
            if known is not None and known[0] == updated:
                built[name] = known
                continue
            try:
                built[name] = (updated, build(get(name)))
            except (SpecError, ValueError) as exc:
                self.app.logger.error("use case %r cannot be built: %s", name, exc)
        self.built = built
        self.merged = dict(installed) | {name: made for name, (_, made)
                                         in sorted(built.items())}


def refresh() -> None:
    """Look at the table again now (after a change made by this process)."""
    catalogue = current_app.extensions.get(CATALOGUE)
    if catalogue is not None:
        catalogue.refresh()


def init_app(app: Flask) -> None:
    app.extensions[CATALOGUE] = Catalogue(app)
