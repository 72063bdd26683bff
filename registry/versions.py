"""Model versions: register, list, promote, roll back. The only door to the model_versions table."""
from __future__ import annotations


import platform
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import sqlalchemy as sa
from flask import current_app

from registry.artifacts import ArtifactStore, DigestMismatch, StoredArtifact, open_store
from registry.database import db, utcnow
from registry.models import Challenger, ModelVersion, Promotion, ReferenceProfile

# Libraries whose versions decide whether an artifact loads and predicts the same way.
TRACKED_LIBRARIES = ("scikit-learn", "numpy", "pandas", "scipy", "joblib", "nltk")


class RegistryError(Exception):
    """A registry request that cannot be done as asked (unknown version, nothing to roll back to)."""


class NotFound(RegistryError):
    """The use case or version asked for does not exist."""


def artifact_store() -> ArtifactStore:
    """The app's artifact store, made once per setting and kept in the app: an S3 client takes
    ~50 ms to make, too long to pay on every request that loads a model."""
    config = current_app.config
    setting = (config["ARTIFACT_DIR"], config.get("S3_ENDPOINT_URL"),
               config.get("ARTIFACT_KEY"), config.get("SECRET_KEY"),
               tuple(config.get("SECRET_KEY_FALLBACKS") or ()))
    stores = current_app.extensions.setdefault("modelhub.artifacts", {})
    if setting not in stores:
        stores[setting] = open_store(setting[0], config)
    return stores[setting]


def close_artifact_stores() -> None:
    """Close the connections of the stores the current app made (an app that is done, in tests:
    an S3 client's pooled sockets are otherwise left to the garbage collector)."""
    for store in current_app.extensions.pop("modelhub.artifacts", {}).values():
        store.close()


def library_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def hub_version() -> str:
    """The installed Model Hub's version ("unknown" for a checkout run without installing)."""
    try:
        return metadata.version("modelhub")
    except metadata.PackageNotFoundError:
        return "unknown"


def register_version(usecase: str, model: Any, *, trained_by: str, params: dict[str, Any],
                     metrics: dict[str, float], leaderboard: list[dict[str, Any]],
                     data_fingerprint: str, train_rows: int, test_rows: int,
                     training_seconds: float, dataset_version_id: int | None = None,
                     input_schema: list[dict[str, Any]] | None = None,
                     reference: dict[str, Any] | None = None,
                     artifact: StoredArtifact | None = None) -> ModelVersion:
    """Store a trained model as the next version of its use case, in stage 'candidate', with
    the reference profile of its training inputs when given. `artifact` is the model already
    in the store (saved by the caller to measure it), else it is saved here."""
    # Saved once: the key names the content, not the version number, so it does not change
    # when another trainer takes our number and we try the next one.
    if artifact is None:
        artifact = artifact_store().save(model, usecase)
    for _attempt in range(3):
        number = next_version_number(usecase)
        row = ModelVersion(usecase=usecase, version=number, stage="candidate",
                           trained_by=trained_by, params=params, metrics=metrics,
                           leaderboard=leaderboard, data_fingerprint=data_fingerprint,
                           train_rows=train_rows, test_rows=test_rows,
                           library_versions=library_versions(),
                           training_seconds=round(training_seconds, 3),
                           artifact_path=artifact.key, artifact_size=artifact.size,
                           artifact_sha256=artifact.sha256,
                           artifact_signature=artifact.signature,
                           dataset_version_id=dataset_version_id, input_schema=input_schema)
        db.session.add(row)
        if reference is not None:
            db.session.add(ReferenceProfile(model_version=row, profile=reference))
        try:
            db.session.commit()
            return row
        except sa.exc.IntegrityError:
            # Another trainer took this number between our read and our write (the unique
            # constraint caught it): take the next number.
            db.session.rollback()
    remove_unreferenced(artifact.key)
    raise RegistryError(f"could not register a new version of {usecase}: too many concurrent")


def sign_artifacts(usecase: str | None = None, *, again: bool = False) -> list[ModelVersion]:
    """Sign the artifacts of versions that have no signature (registered before signatures, or
    under a secret key since rotated away when `again`), after checking each file's digest:
    the admin who runs this vouches for them. Returns the versions signed; raises ArtifactError
    naming the first whose file is missing or is not the one registered, signing none."""
    store = artifact_store()
    query = sa.select(ModelVersion).order_by(ModelVersion.usecase, ModelVersion.version)
    if usecase is not None:
        query = query.where(ModelVersion.usecase == usecase)
    rows = [row for row in db.session.scalars(query)
            if again or not row.artifact_signature]
    for row in rows:
        try:
            store.verified_bytes(row.artifact_path, row.artifact_sha256)
        except DigestMismatch:
            raise DigestMismatch(f"{row.usecase} version {row.version}: its artifact is not the "
                                 "file that was registered; nothing was signed") from None
    for row in rows:
        row.artifact_signature = store.signer.sign(row.artifact_sha256)
    db.session.commit()
    return rows


def remove_unreferenced(key: str) -> None:
    """Remove an artifact unless a version refers to it: the same model registered twice
    shares one content-addressed key, and removing it would break the other version."""
    if db.session.scalar(sa.select(ModelVersion.id).where(ModelVersion.artifact_path == key)
                         .limit(1)) is None:
        artifact_store().remove(key)


def next_version_number(usecase: str) -> int:
    current = db.session.scalar(
        sa.select(sa.func.max(ModelVersion.version)).where(ModelVersion.usecase == usecase))
    return (current or 0) + 1


def list_versions(usecase: str) -> list[ModelVersion]:
    """Every version of a use case, newest first."""
    return list(db.session.scalars(sa.select(ModelVersion).where(ModelVersion.usecase == usecase)
                                   .order_by(ModelVersion.version.desc())))


def get_version(usecase: str, version: int) -> ModelVersion:
    row = db.session.scalar(sa.select(ModelVersion).where(ModelVersion.usecase == usecase,
                                                          ModelVersion.version == version))
    if row is None:
        raise NotFound(f"{usecase} has no version {version}")
    return row


def production_version(usecase: str) -> ModelVersion | None:
    return db.session.scalar(sa.select(ModelVersion).where(ModelVersion.usecase == usecase,
                                                           ModelVersion.stage == "production"))


def production_versions() -> dict[str, ModelVersion]:
    """The production version of every use case that has one, in one query."""
    rows = db.session.scalars(sa.select(ModelVersion).where(ModelVersion.stage == "production"))
    return {row.usecase: row for row in rows}


def promote(usecase: str, version: int, *, actor: str, reason: str = "",
            action: str = "promote", gate: dict[str, Any] | None = None,
            against_policy: bool = False) -> Promotion:
    """Make a version the production one; the previous one is archived, in one transaction.
    (Promotions people ask for go through registry/monitoring/gate.py, which passes its
    verdict here.)"""
    target = get_version(usecase, version)
    if target.stage == "production":
        raise RegistryError(f"{usecase} version {version} is already in production")
    current = production_version(usecase)
    if current is not None:
        current.stage = "archived"
        # Flush the archive first: the one-production index must never see two at once.
        db.session.flush()
    target.stage = "production"
    # A challenger is measured against production: a new production ends it.
    db.session.execute(sa.delete(Challenger).where(Challenger.usecase == usecase))
    record = Promotion(usecase=usecase, from_version_id=current.id if current else None,
                       to_version_id=target.id, action=action, actor=actor,
                       reason=reason[:500], created_at=utcnow(), gate=gate,
                       against_policy=against_policy)
    db.session.add(record)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Another promotion of this use case committed between our read and our write; the
        # one-production index refused ours. Nothing changed: say so rather than fail.
        db.session.rollback()
        raise RegistryError(f"{usecase} was promoted by someone else at the same moment; "
                            "reload and try again") from None
    from registry import webhooks  # (webhooks reads this module's errors)

    webhooks.emit(usecase, "promotion" if action == "promote" else "rollback", {
        "from_version": current.version if current else None, "to_version": target.version,
        "actor": actor, "reason": record.reason, "against_policy": against_policy})
    return record


def version_numbers(usecase: str | None = None) -> list[int]:
    """The version numbers there are, of one use case or of any, in order (a filter's choices)."""
    query = sa.select(ModelVersion.version).distinct().order_by(ModelVersion.version)
    if usecase is not None:
        query = query.where(ModelVersion.usecase == usecase)
    return list(db.session.scalars(query))


def rollback_target(usecase: str) -> ModelVersion | None:
    """The version a rollback would put back: the one in production before the current one
    was promoted (None: nothing is in production, or nothing was before it)."""
    current = production_version(usecase)
    if current is None:
        return None
    last = db.session.scalar(sa.select(Promotion)
                             .where(Promotion.usecase == usecase,
                                    Promotion.to_version_id == current.id,
                                    # a rollback's own record would lead back where we came from
                                    Promotion.action == "promote")
                             .order_by(Promotion.id.desc()).limit(1))
    return None if last is None else last.from_version


def rollback(usecase: str, *, actor: str, reason: str = "") -> Promotion:
    """Go back to the version that was in production before the current one."""
    if production_version(usecase) is None:
        raise RegistryError(f"{usecase} has no production version to roll back from")
    target = rollback_target(usecase)
    if target is None:
        raise RegistryError(f"{usecase} has no earlier production version to roll back to")
    return promote(usecase, target.version, actor=actor, reason=reason, action="rollback")


def promotions(usecase: str | None = None, limit: int = 100) -> list[Promotion]:
    """The audit trail, newest first."""
    query = sa.select(Promotion).order_by(Promotion.id.desc()).limit(limit)
    if usecase:
        query = query.where(Promotion.usecase == usecase)
    return list(db.session.scalars(query))


def get_version_by_id(version_id: int) -> ModelVersion:
    row = db.session.get(ModelVersion, version_id)
    if row is None:
        raise NotFound(f"no model version with id {version_id}")
    return row


@dataclass(frozen=True)
class MetricDifference:
    """One held-out metric of two versions; `difference` is b minus a (None if either lacks it)."""

    name: str
    a: float | None
    b: float | None

    @property
    def difference(self) -> float | None:
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                      for v in (self.a, self.b))
        return self.b - self.a if numbers else None


@dataclass(frozen=True)
class Comparison:
    """Two versions of one use case side by side, metric by metric."""

    a: ModelVersion
    b: ModelVersion
    metrics: list[MetricDifference]


def compare(usecase: str, a: int, b: int) -> Comparison:
    """Versions a and b of a use case with their metrics aligned (a's order, then b's extras)."""
    first, second = get_version(usecase, a), get_version(usecase, b)
    names = list(first.metrics) + [n for n in second.metrics if n not in first.metrics]
    return Comparison(first, second, [MetricDifference(n, first.metrics.get(n),
                                                       second.metrics.get(n)) for n in names])


def compare_with_production(usecase: str, version: int) -> Comparison | None:
    """How a version differs from production (production as a); None when there is nothing to
    compare with: no production version, or this version is the production one."""
    current = production_version(usecase)
    if current is None or current.version == version:
        return None
    return compare(usecase, current.version, version)


def version_counts() -> dict[str, int]:
    """How many versions each use case has, in one query."""
    query = sa.select(ModelVersion.usecase, sa.func.count()).group_by(ModelVersion.usecase)
    return dict(db.session.execute(query).all())
