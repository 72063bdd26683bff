"""What a training run trains on: the chosen dataset versions and recorded outcomes, combined.

Every version of a use case is measured on the built-in held-out rows (the `test` part of its
first dataset version), whatever it was trained on; data that came later keeps a held-out share
of its own (`new-test`) once it has enough rows, measured on too. No row that is held out
anywhere is trained on.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from registry import outcomes
from registry.database import db
from registry.datasets import (NEW_TEST, TEST, TRAIN, built_in, fingerprint, get_by_id,
                               register, rows)
from registry.models import DatasetVersion
from registry.versions import RegistryError
from usecases.base import Dataset, UseCase
from usecases.training import SEED

NEW_HELD_OUT_MIN = 100  # rows of new data before a share of them is held out
NEW_HELD_OUT_SHARE = 0.2
OUTCOMES = "outcomes"


@dataclass
class TrainingData:
    version: DatasetVersion
    data: Dataset
    new_test: pd.DataFrame  # held-out rows of new data (maybe none)


def split_new(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """New rows as stored: a fixed-seed share held out when there are enough of them."""
    if len(frame) < NEW_HELD_OUT_MIN:
        return {TRAIN: frame}
    held = np.random.default_rng(SEED).random(len(frame)) < NEW_HELD_OUT_SHARE
    return {TRAIN: frame[~held], NEW_TEST: frame[held]}


def checked_options(usecase: UseCase, options: dict) -> dict:
    """A training choice in its stored form; RegistryError (NotFound) names what is wrong."""
    unknown = set(options) - {"datasets", "include_outcomes"}
    if unknown:
        raise RegistryError(f"unknown training option(s): {', '.join(sorted(map(str, unknown)))}")
    ids = options.get("datasets") or []
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                            for i in ids):
        raise RegistryError("datasets must be a list of dataset version ids")
    include = options.get("include_outcomes", False)
    if not isinstance(include, bool):
        raise RegistryError("include_outcomes must be true or false")
    if (ids or include) and usecase.target is None:
        raise RegistryError(f"{usecase.name} trains on its built-in data only")
    for dataset_id in ids:
        if get_by_id(usecase.name, dataset_id).archived:
            raise RegistryError(f"dataset {dataset_id} is archived: restore it to train on it")
    out: dict = {}
    if ids:
        out["datasets"] = list(dict.fromkeys(ids))
    if include:
        out["include_outcomes"] = True
    return out


def choose(usecase: UseCase, dataset_ids: list[int], include_outcomes: bool, actor: str
           ) -> TrainingData:
    """The dataset version to train on, registering the combination when it is new."""
    base = built_in(usecase, actor)
    chosen = [get_by_id(usecase.name, int(i)) for i in dict.fromkeys(dataset_ids)] or [base]
    for version in chosen:
        if version.archived:
            raise RegistryError(f"dataset version {version.version} of {usecase.name} is "
                                "archived: restore it to train on it")
    if chosen == [base] and not include_outcomes:
        return _training(base)
    base_parts = rows(base)
    # (rows, where from): the built-in rows as they are, then everything that came later.
    train: list[tuple[pd.DataFrame, str]] = []
    new_test: list[pd.DataFrame] = []
    sources: set[str] = set()
    for version in chosen:
        parts = base_parts if version.id == base.id else rows(version)
        train.append((parts[TRAIN], "built-in" if version.id == base.id else
                      f"dataset version {version.version}"))
        new_test.append(parts[NEW_TEST])
        sources |= set(version.sources)
    if include_outcomes:
        frame, ids = outcomes.labelled(usecase.name)
        if len(frame):
            held = outcomes.held_out(ids, NEW_HELD_OUT_SHARE).to_numpy() \
                if len(frame) >= NEW_HELD_OUT_MIN else np.zeros(len(frame), dtype=bool)
            train.append((frame[~held], OUTCOMES))
            new_test.append(frame[held])
            sources.add(OUTCOMES)
    columns = list(base_parts[TEST].columns)
    held_new = pd.concat([f.reindex(columns=columns) for f in new_test if len(f)] or
                         [pd.DataFrame(columns=columns)], ignore_index=True).drop_duplicates()
    held_out = pd.concat([base_parts[TEST]] + ([held_new] if len(held_new) else []),
                         ignore_index=True)
    kept, details = _combined([(f.reindex(columns=columns), where) for f, where in train
                               if len(f)], held_out, usecase.row_key)
    if kept.empty:
        raise RegistryError(f"nothing to train {usecase.name} on: the chosen data has no "
                            "training rows")
    parts = {TRAIN: kept, TEST: base_parts[TEST], NEW_TEST: held_new}
    # The same rows chosen again are the same data: train on the version already registered.
    known = db.session.scalar(sa.select(DatasetVersion).where(
        DatasetVersion.usecase == usecase.name, DatasetVersion.fingerprint == fingerprint(parts),
        DatasetVersion.archived.is_(False)).order_by(DatasetVersion.version).limit(1))
    version = known or register(usecase.name, parts, sources=sorted(sources), created_by=actor,
                                parents=[v.id for v in chosen], details=details)
    return TrainingData(version, Dataset(train=kept, test=base_parts[TEST],
                                         source=f"dataset version {version.version}"), held_new)


def _combined(parts: list[tuple[pd.DataFrame, str]], held_out: pd.DataFrame,
              key: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, dict]:
    """The training rows of all parts, in order. The built-in rows are kept as they are (their
    repeats are real, and every earlier version trained on them); a later row is dropped when
    it repeats a row before it or is one of the held-out rows (compared on the use case's
    row key when it has one: a later rating of a held-out movie by the same user is still
    that held-out rating)."""
    if not parts:
        return pd.DataFrame(), {"rows_by_source": {}, "outcomes": 0}
    every = pd.concat([frame for frame, _ in parts], ignore_index=True)
    where = np.concatenate([np.full(len(frame), name, dtype=object) for frame, name in parts])
    later = where != "built-in"
    repeat = every.duplicated().to_numpy() & later
    columns = list(key) if key else list(every.columns)
    held = _rows_in(every[columns], held_out[columns]) & later & ~repeat
    kept = every[~(repeat | held)].reset_index(drop=True)
    counts = pd.Series(where[~(repeat | held)]).value_counts()
    details = {"rows_by_source": {str(k): int(v) for k, v in counts.items()},
               "outcomes": int(counts.get(OUTCOMES, 0)),
               "repeats_dropped": int(repeat.sum()), "held_out_rows_dropped": int(held.sum())}
    return kept, details


def _training(version: DatasetVersion) -> TrainingData:
    parts = rows(version)
    return TrainingData(version, Dataset(train=parts[TRAIN], test=parts[TEST],
                                         source=f"dataset version {version.version}"),
                        parts[NEW_TEST])


def _rows_in(frame: pd.DataFrame, others: pd.DataFrame) -> np.ndarray:
    """Which rows of `frame` also appear, all columns equal, in `others`."""
    if frame.empty or others.empty:
        return np.zeros(len(frame), dtype=bool)
    mine = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    theirs = pd.util.hash_pandas_object(others.reindex(columns=frame.columns),
                                        index=False).to_numpy()
    return np.isin(mine, theirs)
