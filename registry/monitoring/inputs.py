"""Live inputs against a version's reference profile: the profile kept when it was trained
(built from its stored dataset for versions trained before profiles were kept), the inputs of
a window of predictions, and the drift report of the two."""
from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from registry import datasets, history
from registry.database import db, utcnow
from registry.models import DriftState, ModelVersion, Prediction, ReferenceProfile
from registry.monitoring import drift, profiles
from usecases.base import UseCase

DEFAULT_LAST = 1000
MAX_LAST = 100_000


class NoReference(LookupError):
    """The version has no reference profile and no stored data to build one from."""


def reference(usecase: UseCase, version: ModelVersion) -> dict[str, Any]:
    """The version's reference profile; built from its dataset (and kept) when missing."""
    found = db.session.get(ReferenceProfile, version.id)
    if found is not None:
        return found.profile
    if version.dataset is None:
        raise NoReference(f"{version.usecase} v{version.version} was trained before reference "
                          "profiles were kept, on data that was not stored: retrain it")
    data, _ = datasets.as_dataset(version.dataset)
    taken = usecase.for_schema(version.input_schema)
    profile = profiles.build(taken.fields, taken.reference_inputs(data.train))
    db.session.add(ReferenceProfile(model_version_id=version.id, profile=profile))
    db.session.commit()
    return profile


def window(usecase: str, *, last: int | None = None, since: date | None = None,
           until: date | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The inputs of the use case's latest `last` predictions (within the days, when given),
    newest first, and what the window covered."""
    chosen = history.HistoryFilter(usecase=usecase, since=since, until=until)
    limit = last or DEFAULT_LAST
    found = db.session.execute(chosen.where(
        sa.select(Prediction.inputs, Prediction.created_at))
        .order_by(Prediction.created_at.desc(), Prediction.id.desc()).limit(limit)).all()
    times = [row[1] for row in found]
    return [row[0] for row in found], {
        "last": limit, "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None, "predictions": len(found),
        "from": min(times).isoformat() + "Z" if times else None,
        "to": max(times).isoformat() + "Z" if times else None}


def report(usecase: UseCase, version: ModelVersion, *, last: int | None = None,
           since: date | None = None, until: date | None = None) -> dict[str, Any]:
    """How the window's live inputs compare with the version's training inputs."""
    profile = reference(usecase, version)
    inputs, covered = window(version.usecase, last=last, since=since, until=until)
    # The fields as this version takes them (a use case made from a table may change its own).
    fields = usecase.for_schema(version.input_schema).fields
    compared = drift.compare(fields, profile, inputs)
    return {"usecase": version.usecase, "version": version.version,
            "reference_rows": profile["rows"], "window": covered} | compared


def note_state(usecase: str, found: dict[str, Any]) -> bool:
    """Remember whether the use case's latest inputs drift (a report of the production version
    on the default window); when that changes, send drift.started or drift.ended. Whether it
    changed."""
    from registry import webhooks  # (webhooks reads the versions module, which reads this)

    row = db.session.get(DriftState, usecase)
    drifting = bool(found["drifting"])
    if row is not None and row.drifting == drifting:
        return False
    first = row is None
    if first:
        row = DriftState(usecase=usecase, drifting=drifting)
        db.session.add(row)
    row.drifting, row.changed_at = drifting, utcnow()
    db.session.commit()
    if first and not drifting:
        return False  # the first look finding nothing is not news
    webhooks.emit(usecase, "drift.started" if drifting else "drift.ended", {
        "version": found["version"], "fields_drifting": found["fields_drifting"],
        "fields_tested": found["fields_tested"],
        "fields": sorted({f["field"] for f in found["fields"] if f["drifting"]}),
        "window": found["window"]})
    return True
