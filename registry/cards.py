"""Model cards: what the registry knows of a version, the sections an admin writes, and the
version's held-out figures by group, measured through the serving path and stored once.

A card is a dict (the API's JSON, the page and the README are made from it). Public cards name
no admin: promotions say "an admin".
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from registry import datasets, serving, versions
from registry.database import db, utcnow
from registry.models import ModelCard, ModelVersion, Promotion
from registry.monitoring import live
from registry.predictions import answer_probability, reduce_output
from usecases.base import UseCase

# The sections an admin writes: key -> heading.
SECTIONS = {"intended_use": "Intended use", "out_of_scope": "Out-of-scope uses",
            "limitations": "Limitations", "ethical_considerations": "Ethical considerations"}
MAX_SECTION = 5000
PREDICT_BATCH = 1000  # rows per predict() call: bounded memory on large held-out sets
AN_ADMIN = "an admin"


@dataclass(frozen=True)
class HeldOut:
    """Held-out rows as predict() received them, what it answered, and the true targets."""

    inputs: list[dict[str, Any]]
    results: list[dict[str, Any]]
    targets: list[Any]

    def __len__(self) -> int:
        return len(self.targets)


def held_out_frame(usecase: UseCase, version: ModelVersion) -> pd.DataFrame:
    """The held-out test rows a version was measured on, in the trainer's columns: its dataset
    version's `test` part (the built-in split for versions without one), sampled as training
    sampled it when it measured on fewer rows."""
    if version.dataset is not None:
        frame = datasets.rows(version.dataset)[datasets.TEST]
    else:
        frame = usecase.load_data().test
    if version.test_rows < len(frame):  # trained with TRAINING_SAMPLE: Dataset.sample's rows
        frame = frame.sample(version.test_rows, random_state=0)
    return frame


def held_out_predictions(usecase: UseCase, model: Any, frame: pd.DataFrame) -> HeldOut:
    """Labelled rows through predict(), as a request would send them: each distinct input is
    predicted once, in batches."""
    inputs, targets = usecase.labelled_inputs(frame)
    keys = [json.dumps(row, sort_keys=True, default=str) for row in inputs]
    first: dict[str, dict[str, Any]] = {}
    for key, row in zip(keys, inputs):
        first.setdefault(key, row)
    distinct = list(first)
    answers: dict[str, dict[str, Any]] = {}
    for start in range(0, len(distinct), PREDICT_BATCH):
        chunk = distinct[start:start + PREDICT_BATCH]
        answers.update(zip(chunk, usecase.predict(model, [first[k] for k in chunk])))
    return HeldOut(inputs, [answers[key] for key in keys], targets)


def score(usecase: UseCase, held_out: HeldOut) -> dict[str, dict[str, Any]]:
    """The live metrics' figures (count and 95% interval each) on held-out predictions."""
    reduced = [reduce_output(result["output"]) for result in held_out.results]
    rows = live.Labelled(
        days=[""] * len(held_out), value=[value for value, _ in reduced],
        label=[label for _, label in reduced],
        probability=[answer_probability(result) for result in held_out.results],
        output=[result["output"] for result in held_out.results]
        if usecase.task == "recommendation" else [],
        outcome=list(held_out.targets))
    return live.measure(usecase, rows)


def measure_groups(usecase: UseCase, model: Any, frame: pd.DataFrame) -> dict[str, Any]:
    """The model's held-out figures overall and in each group the use case names (e.g. by sex
    and age band), each group's rows counted: small groups show wide intervals."""
    held_out = held_out_predictions(usecase, model, frame)
    groups = []
    for name, labels in usecase.groups(frame).items():
        members: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            members.setdefault(str(label), []).append(i)
        groups.append({"name": name, "groups": [
            {"label": label, "rows": len(index),
             "metrics": score(usecase, _subset(held_out, index))}
            for label, index in sorted(members.items(), key=lambda kv: -len(kv[1]))]})
    return {"rows": len(held_out), "fingerprint": datasets.fingerprint({datasets.TEST: frame}),
            "overall": score(usecase, held_out), "by": groups}


def _subset(held_out: HeldOut, index: list[int]) -> HeldOut:
    return HeldOut([held_out.inputs[i] for i in index], [held_out.results[i] for i in index],
                   [held_out.targets[i] for i in index])


def _save(version: ModelVersion, **values: Any) -> ModelCard:
    """Set columns of a version's card row, made if it has none yet."""
    for _attempt in range(2):
        row = db.session.get(ModelCard, version.id)
        if row is None:
            row = ModelCard(model_version_id=version.id)
            db.session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        try:
            db.session.commit()
            return row
        except sa.exc.IntegrityError:
            # Another request made the row between our read and our write: update theirs.
            db.session.rollback()
    raise versions.RegistryError(f"could not save the card of {version.usecase} "
                                 f"v{version.version}: too many at once")


def version_groups(usecase: UseCase, version: ModelVersion,
                   frame: pd.DataFrame | None = None, model: Any = None) -> dict[str, Any]:
    """A version's figures by group: stored ones, else measured now (on `model` when the
    caller has the stored artifact loaded already, else loaded as serving loads it) and
    stored."""
    found = db.session.get(ModelCard, version.id)
    if found is not None and found.groups is not None:
        return found.groups
    if model is None:
        model = serving.cache().version(version).model
    usecase = usecase.for_schema(version.input_schema)
    measured = measure_groups(usecase, model,
                              held_out_frame(usecase, version) if frame is None else frame)
    measured = json.loads(json.dumps(measured))  # plain JSON: numpy scalars become numbers
    _save(version, groups=measured)
    return measured


def written_sections(version: ModelVersion) -> dict[str, Any]:
    """The sections shown on a version's card: its own, else the latest an admin wrote for an
    earlier version of the use case (carried over), else none."""
    query = (sa.select(ModelCard, ModelVersion.version).join(ModelVersion)
             .where(ModelVersion.usecase == version.usecase,
                    ModelVersion.version <= version.version,
                    ModelCard.sections.is_not(None))
             .order_by(ModelVersion.version.desc()).limit(1))
    found = db.session.execute(query).first()
    if found is None:
        return {"sections": {}, "from_version": None, "carried_over": False,
                "updated_by": None, "updated_at": None}
    card, number = found
    return {"sections": dict(card.sections), "from_version": number,
            "carried_over": number != version.version, "updated_by": card.updated_by,
            "updated_at": card.updated_at.isoformat() + "Z" if card.updated_at else None}


def default_sections(usecase: UseCase) -> dict[str, str]:
    """What a card says before an admin writes anything: drawn from the use case itself."""
    return {"intended_use": usecase.description,
            "limitations": f"Trained and measured on: {usecase.data_source} It knows only what "
                           "those rows show; people unlike them may be served worse (see the "
                           "figures by group)."}


def edit_sections(version: ModelVersion, sections: dict[str, str], actor: str) -> ModelCard:
    """Store a version's own sections (each key of SECTIONS; blank ones are left out)."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown section(s): {', '.join(sorted(unknown))}")
    return _save(version, sections={key: text.strip()[:MAX_SECTION]
                                    for key, text in sections.items() if text and text.strip()},
                 updated_by=actor, updated_at=utcnow())


def stage_history(version: ModelVersion, *, public: bool) -> list[dict[str, Any]]:
    """The version's registration and every promotion or rollback into or out of it, oldest
    first; public cards say "an admin" instead of a name."""
    out = [{"at": version.created_at.isoformat() + "Z", "action": "registered",
            "stage": "candidate", "reason": "trained", "by": AN_ADMIN if public
            else version.trained_by, "against_policy": False}]
    query = (sa.select(Promotion).where(sa.or_(Promotion.to_version_id == version.id,
                                               Promotion.from_version_id == version.id))
             .order_by(Promotion.id))
    for record in db.session.scalars(query):
        into = record.to_version_id == version.id
        out.append({"at": record.created_at.isoformat() + "Z", "action": record.action,
                    "stage": "production" if into else "archived",
                    "reason": record.reason, "by": AN_ADMIN if public else record.actor,
                    "against_policy": record.against_policy})
    return out


def card(usecase: UseCase, version: ModelVersion, *, public: bool = True) -> dict[str, Any]:
    """Everything a version's model card shows."""
    written = written_sections(version)
    shown = written["sections"] or default_sections(usecase)
    live_report = live.report(usecase, version)
    dataset = version.dataset
    return {
        "usecase": usecase.name, "title": usecase.title, "version": version.version,
        "stage": version.stage, "created_at": version.created_at.isoformat() + "Z",
        "task": usecase.task, "description": usecase.description,
        "algorithm": version.params.get("algorithm"),
        "parameters": {k: v for k, v in version.params.items() if k != "evaluation"},
        "input_schema": version.input_schema or [f.describe() for f in usecase.fields],
        "training_data": {
            "source": usecase.data_source,
            "dataset_version": dataset.version if dataset else None,
            "sources": dataset.sources if dataset else [datasets.BUILT_IN],
            "train_rows": version.train_rows, "test_rows": version.test_rows,
            "fingerprint": version.data_fingerprint},
        "metrics": {"primary": usecase.primary_metric,
                    "higher_is_better": usecase.higher_is_better,
                    "held_out": version.metrics,
                    "live": live_report["metrics"] if live_report["count"] else None,
                    "live_count": live_report["count"]},
        "groups": version_groups(usecase, version),
        "history": stage_history(version, public=public),
        "library_versions": version.library_versions,
        "artifact": {"sha256": version.artifact_sha256, "size": version.artifact_size},
        "sections": {key: shown.get(key, "") for key in SECTIONS},
        "sections_from": {"version": written["from_version"],
                          "carried_over": written["carried_over"],
                          "default": not written["sections"],
                          "updated_at": written["updated_at"]}
        | ({} if public else {"updated_by": written["updated_by"]}),
    }
