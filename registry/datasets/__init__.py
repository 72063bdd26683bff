"""Versioned labelled data: each version's rows are a Parquet file in the artifact store.

A dataset version holds rows in the use case's trainer columns, each row marked with its part:
`train` (trained on), `test` (the built-in held-out rows every version is measured on) or
`new-test` (a held-out share of data that came later, measured on too when it is large enough).
Version 1 of a use case is its built-in data, registered the first time it is trained on.
Uploads and recorded outcomes become versions of their own; training on a choice of them
registers the combined, deduplicated version the model is then linked to.
"""
from __future__ import annotations

import hashlib
import io
from typing import Any, Iterable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from registry.artifacts import ArtifactError
from registry.database import db
from registry.models import DatasetVersion, ModelVersion
from registry.versions import NotFound, RegistryError, artifact_store
from usecases.base import Dataset, UseCase

PART = "_part"  # the column that marks each stored row's part
TRAIN, TEST, NEW_TEST = "train", "test", "new-test"
PARTS = (TRAIN, TEST, NEW_TEST)
BUILT_IN = "built-in"


class DatasetInUse(RegistryError):
    """A dataset version a model version was trained on: kept, for lineage."""


def fingerprint(parts: dict[str, pd.DataFrame]) -> str:
    """sha256 of the rows part by part: the built-in data's value equals `Dataset.fingerprint`."""
    digest = hashlib.sha256()
    for part in PARTS:
        frame = parts.get(part)
        if frame is None or (part == NEW_TEST and frame.empty):
            continue
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def to_parquet(parts: dict[str, pd.DataFrame]) -> bytes:
    frames = [frame.assign(**{PART: part}) for part, frame in parts.items() if not frame.empty]
    buffer = io.BytesIO()
    pd.concat(frames).to_parquet(buffer, index=True)
    return buffer.getvalue()


def from_parquet(data: bytes) -> dict[str, pd.DataFrame]:
    whole = pd.read_parquet(io.BytesIO(data))
    for name in whole.columns:
        # Parquet reads a missing text value back as None; the trainers' marker is NaN.
        if whole[name].dtype == object:
            whole[name] = whole[name].where(whole[name].notna(), np.nan)
    return {part: whole[whole[PART] == part].drop(columns=PART) for part in PARTS}


def register(usecase: str, parts: dict[str, pd.DataFrame], *, sources: list[str],
             created_by: str, parents: Iterable[int] = (), details: dict[str, Any] | None = None
             ) -> DatasetVersion:
    """Store rows as the next dataset version of `usecase`."""
    parts = {part: parts.get(part, pd.DataFrame()) for part in PARTS}
    data = to_parquet(parts)
    digest = hashlib.sha256(data).hexdigest()
    key = f"{usecase}/datasets/{digest}.parquet"
    store = artifact_store()
    if not store.exists(key):
        store.write(key, data)
    columns = [str(c) for c in next(f for f in parts.values() if not f.empty).columns]
    for _attempt in range(3):
        current = db.session.scalar(sa.select(sa.func.max(DatasetVersion.version))
                                    .where(DatasetVersion.usecase == usecase))
        row = DatasetVersion(
            usecase=usecase, version=(current or 0) + 1, sources=sorted(set(sources)),
            parents=list(parents), rows=len(parts[TRAIN]),
            held_out_rows=len(parts[TEST]) + len(parts[NEW_TEST]),
            fingerprint=fingerprint(parts), columns=columns, details=details or {},
            created_by=created_by, artifact_path=key, artifact_size=len(data),
            artifact_sha256=digest)
        db.session.add(row)
        try:
            db.session.commit()
            return row
        except sa.exc.IntegrityError:  # another writer took the number: take the next
            db.session.rollback()
    raise RegistryError(f"could not register a dataset version of {usecase}: too many at once")


def rows(version: DatasetVersion) -> dict[str, pd.DataFrame]:
    """A version's rows by part, after checking the file is the one registered."""
    data = artifact_store().read(version.artifact_path)
    actual = hashlib.sha256(data).hexdigest()
    if actual != version.artifact_sha256:
        raise ArtifactError(f"dataset file {version.artifact_path!r} does not match its "
                            f"registered sha256 (found {actual[:12]}...)")
    return from_parquet(data)


def list_versions(usecase: str) -> list[DatasetVersion]:
    return list(db.session.scalars(sa.select(DatasetVersion).where(
        DatasetVersion.usecase == usecase).order_by(DatasetVersion.version.desc())))


def get(usecase: str, version: int) -> DatasetVersion:
    row = db.session.scalar(sa.select(DatasetVersion).where(
        DatasetVersion.usecase == usecase, DatasetVersion.version == version))
    if row is None:
        raise NotFound(f"{usecase} has no dataset version {version}")
    return row


def get_by_id(usecase: str, dataset_id: int) -> DatasetVersion:
    row = db.session.get(DatasetVersion, dataset_id)
    if row is None or row.usecase != usecase:
        raise NotFound(f"{usecase} has no dataset with id {dataset_id}")
    return row


def trained_on(version: DatasetVersion) -> list[int]:
    """Numbers of the model versions trained on this dataset version, or on one combined
    from it."""
    ids = {version.id} | {row.id for row in list_versions(version.usecase)
                          if version.id in (row.parents or [])}
    return list(db.session.scalars(sa.select(ModelVersion.version).where(
        ModelVersion.dataset_version_id.in_(ids)).order_by(ModelVersion.version)))


def archive(version: DatasetVersion, archived: bool = True) -> DatasetVersion:
    version.archived = archived
    db.session.commit()
    return version


def delete(version: DatasetVersion) -> None:
    """Remove a version nothing was trained on (its file too, unless another version shares
    it); a version with lineage raises DatasetInUse."""
    used = trained_on(version)
    if used:
        raise DatasetInUse(f"dataset version {version.version} of {version.usecase} cannot be "
                           f"deleted: model version(s) {', '.join(map(str, used))} were trained "
                           "on it (archive it instead)")
    key = version.artifact_path
    db.session.delete(version)
    db.session.commit()
    if db.session.scalar(sa.select(DatasetVersion.id).where(
            DatasetVersion.artifact_path == key).limit(1)) is None:
        artifact_store().remove(key)


def built_in(usecase: UseCase, actor: str, data: Dataset | None = None) -> DatasetVersion:
    """The dataset version of the use case's packaged data, registered if it is not yet."""
    data = data if data is not None else usecase.load_data()
    known = fingerprint({TRAIN: data.train, TEST: data.test})
    row = db.session.scalar(sa.select(DatasetVersion).where(
        DatasetVersion.usecase == usecase.name, DatasetVersion.fingerprint == known)
        .order_by(DatasetVersion.version).limit(1))
    if row is not None:
        return row
    return register(usecase.name, {TRAIN: data.train, TEST: data.test}, sources=[BUILT_IN],
                    created_by=actor, details={"source": data.source, **_plain(data.extra)})


def as_dataset(version: DatasetVersion, source: str = "") -> tuple[Dataset, pd.DataFrame]:
    """A version as the trainer takes it, and its `new-test` rows (maybe none)."""
    parts = rows(version)
    return (Dataset(train=parts[TRAIN], test=parts[TEST],
                    source=source or f"dataset version {version.version}"), parts[NEW_TEST])


def _plain(extra: dict[str, Any]) -> dict[str, Any]:
    """`Dataset.extra` as JSON: numbers and strings kept, numpy scalars made plain."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value.item() if hasattr(value, "item") else value
    return plain(extra)
