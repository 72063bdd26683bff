"""The registry's tables: model versions, promotions, predictions, training jobs, users and
recent failed sign-ins."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from registry.database import JSONDocument, db, utcnow

STAGES = ("candidate", "production", "archived")
JOB_STATUSES = ("queued", "running", "succeeded", "failed")
ROLES = ("admin", "analyst")
SOURCES = ("form", "api", "batch", "mlflow", "oip")
# Where a dataset version's rows came from; a combined version lists each of its parts' sources.
DATA_SOURCES = ("built-in", "upload", "outcomes")


class ModelVersion(db.Model):
    """One trained model of one use case, with everything needed to trust and reproduce it."""

    __tablename__ = "model_versions"
    __table_args__ = (
        sa.UniqueConstraint("usecase", "version"),
        # At most one production version per use case, enforced by the database itself.
        sa.Index("uq_one_production", "usecase", unique=True,
                 sqlite_where=sa.text("stage = 'production'"),
                 postgresql_where=sa.text("stage = 'production'")),
        sa.CheckConstraint("stage IN ('candidate', 'production', 'archived')", name="stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    usecase: Mapped[str] = mapped_column(sa.String(64), index=True)
    version: Mapped[int]
    stage: Mapped[str] = mapped_column(sa.String(16), default="candidate")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    trained_by: Mapped[str] = mapped_column(sa.String(80))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    metrics: Mapped[dict[str, float]] = mapped_column(sa.JSON, default=dict)
    leaderboard: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    data_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    train_rows: Mapped[int]
    test_rows: Mapped[int]
    library_versions: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    training_seconds: Mapped[float]
    artifact_path: Mapped[str] = mapped_column(sa.String(255))
    artifact_size: Mapped[int]
    artifact_sha256: Mapped[str] = mapped_column(sa.String(64))
    # HMAC of the digest under the installation's key (registry/artifacts/signing.py); none for
    # versions registered before signing, which load only once an admin signs them.
    artifact_signature: Mapped[str | None] = mapped_column(sa.String(64))
    # The data it was trained on (none for versions registered before datasets were kept).
    dataset_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dataset_versions.id"), index=True)

    # The inputs it was trained to take: each field's describe() dict (none for versions
    # registered before schemas were kept).
    input_schema: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)

    dataset: Mapped["DatasetVersion | None"] = db.relationship()

    # For admins only: who trained it, the exact library releases and the artifact's digest
    # tell an attacker more than they tell a visitor.
    ADMIN_ONLY = ("trained_by", "library_versions", "artifact_sha256")

    def to_dict(self, *, public: bool = False) -> dict[str, Any]:
        """The version's facts; `public` leaves out ADMIN_ONLY."""
        found = self._facts()
        return {k: v for k, v in found.items() if k not in self.ADMIN_ONLY} if public else found

    def _facts(self) -> dict[str, Any]:
        return {"usecase": self.usecase, "version": self.version, "stage": self.stage,
                "created_at": self.created_at.isoformat() + "Z", "trained_by": self.trained_by,
                "params": self.params, "metrics": self.metrics, "leaderboard": self.leaderboard,
                "data_fingerprint": self.data_fingerprint, "train_rows": self.train_rows,
                "test_rows": self.test_rows, "library_versions": self.library_versions,
                "training_seconds": self.training_seconds, "artifact_size": self.artifact_size,
                "artifact_sha256": self.artifact_sha256,
                "dataset": self.dataset.lineage() if self.dataset else None,
                "input_schema": self.input_schema}


class ReferenceProfile(db.Model):
    """What a version's training inputs looked like, field by field (registry/monitoring/
    profiles.py): live inputs are compared with it to see drift. Kept apart from the version's
    row, which every listing reads, because it holds samples of values."""

    __tablename__ = "reference_profiles"

    model_version_id: Mapped[int] = mapped_column(sa.ForeignKey("model_versions.id"),
                                                  primary_key=True)
    profile: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    model_version: Mapped[ModelVersion] = db.relationship()


class ModelCard(db.Model):
    """What a version's model card adds to the registry's facts: the sections an admin wrote
    (intended use, limitations...) and its held-out figures by group, measured once."""

    __tablename__ = "model_cards"

    model_version_id: Mapped[int] = mapped_column(sa.ForeignKey("model_versions.id"),
                                                  primary_key=True)
    # Section key -> text; none until an admin edits this version's card.
    sections: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    updated_by: Mapped[str | None] = mapped_column(sa.String(80))
    updated_at: Mapped[datetime | None]
    # registry/cards.py's measure_groups() answer; none until first measured.
    groups: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)

    model_version: Mapped[ModelVersion] = db.relationship()


class DatasetVersion(db.Model):
    """One version of a use case's labelled data: its rows live in the artifact store.

    Rows are kept in the trainer's own columns, each marked as training or held-out; `details`
    keeps what a person wants to know about where they came from (the upload's report, how many
    outcomes, which versions were combined).
    """

    __tablename__ = "dataset_versions"
    __table_args__ = (sa.UniqueConstraint("usecase", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    usecase: Mapped[str] = mapped_column(sa.String(64), index=True)
    version: Mapped[int]
    sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    parents: Mapped[list[int]] = mapped_column(sa.JSON, default=list)  # combined from (ids)
    rows: Mapped[int]
    held_out_rows: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    columns: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived: Mapped[bool] = mapped_column(default=False)
    artifact_path: Mapped[str] = mapped_column(sa.String(255))
    artifact_size: Mapped[int]
    artifact_sha256: Mapped[str] = mapped_column(sa.String(64))

    def lineage(self) -> dict[str, Any]:
        """What a model version says about the data it was trained on."""
        return {"id": self.id, "version": self.version, "sources": self.sources,
                "rows": self.rows, "held_out_rows": self.held_out_rows,
                "fingerprint": self.fingerprint, "parents": self.parents,
                "outcomes": int(self.details.get("outcomes", 0))}

    def to_dict(self) -> dict[str, Any]:
        return self.lineage() | {
            "usecase": self.usecase, "columns": self.columns, "details": self.details,
            "created_by": self.created_by, "created_at": _iso(self.created_at),
            "archived": self.archived, "artifact_size": self.artifact_size,
            "artifact_sha256": self.artifact_sha256}


class TableUseCase(db.Model):
    """A use case an admin made from a table: its spec (task, target, fields, examples) is the
    TabularUseCase it becomes. Every host builds it from here."""

    __tablename__ = "table_usecases"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    spec: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "enabled": self.enabled,
                "created_by": self.created_by, "created_at": _iso(self.created_at),
                "updated_at": _iso(self.updated_at)}


class Outcome(db.Model):
    """What really happened for one stored prediction, as someone recorded it.

    A correction adds a row and marks the one it replaces, so the earlier values stay as an
    audit trail; the database keeps at most one current outcome per prediction.
    """

    __tablename__ = "outcomes"
    __table_args__ = (
        sa.Index("uq_one_current_outcome", "prediction_id", unique=True,
                 sqlite_where=sa.text("replaced_at IS NULL"),
                 postgresql_where=sa.text("replaced_at IS NULL")),
        # Training and live figures read one use case's current outcomes.
        sa.Index("ix_outcomes_usecase_current", "usecase", "replaced_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prediction_id: Mapped[int] = mapped_column(sa.ForeignKey("predictions.id"), index=True)
    usecase: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[Any] = mapped_column(JSONDocument)
    recorded_by: Mapped[str] = mapped_column(sa.String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaced_at: Mapped[datetime | None]

    def to_dict(self) -> dict[str, Any]:
        return {"prediction_id": self.prediction_id, "usecase": self.usecase,
                "outcome": self.value, "recorded_by": self.recorded_by,
                "recorded_at": _iso(self.recorded_at), "replaced_at": _iso(self.replaced_at)}


class Promotion(db.Model):
    """Audit trail: every change of a use case's production version."""

    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(primary_key=True)
    usecase: Mapped[str] = mapped_column(sa.String(64), index=True)
    from_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("model_versions.id"))
    to_version_id: Mapped[int] = mapped_column(sa.ForeignKey("model_versions.id"))
    action: Mapped[str] = mapped_column(sa.String(16))  # "promote" or "rollback"
    actor: Mapped[str] = mapped_column(sa.String(80))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Promoted although the use case's promotion policy was not met (with a reason), and the
    # gate's verdict at that moment (none where no policy was set).
    against_policy: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    gate: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    from_version: Mapped[ModelVersion | None] = db.relationship(foreign_keys=[from_version_id])
    to_version: Mapped[ModelVersion] = db.relationship(foreign_keys=[to_version_id])


class Prediction(db.Model):
    """One prediction made for someone, with the exact model version that made it."""

    __tablename__ = "predictions"
    # Each history filter walks an index that ends in created_at (pages, per-day counts); the
    # output indexes let charts read min, max and counts from the index alone.
    __table_args__ = (
        sa.Index("ix_predictions_usecase_created", "usecase", "created_at"),
        sa.Index("ix_predictions_usecase_source_created", "usecase", "source", "created_at"),
        sa.Index("ix_predictions_source_created", "source", "created_at"),
        # Partial: a prediction has a number or a label, so each insert writes one of the two.
        sa.Index("ix_predictions_usecase_value", "usecase", "output_value",
                 sqlite_where=sa.text("output_value IS NOT NULL"),
                 postgresql_where=sa.text("output_value IS NOT NULL")),
        sa.Index("ix_predictions_usecase_label", "usecase", "output_label",
                 sqlite_where=sa.text("output_label IS NOT NULL"),
                 postgresql_where=sa.text("output_label IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    usecase: Mapped[str] = mapped_column(sa.String(64))
    # Not indexed: no query finds predictions by it, and each index costs every insert a write.
    model_version_id: Mapped[int] = mapped_column(sa.ForeignKey("model_versions.id"))
    version: Mapped[int]  # copied from the model version so the history reads without a join
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    output: Mapped[Any] = mapped_column(JSONDocument)
    summary: Mapped[str] = mapped_column(sa.String(300))
    # The output reduced to one number or one label, so the history can be charted in SQL.
    output_value: Mapped[float | None]
    output_label: Mapped[str | None] = mapped_column(sa.String(100))
    # The probability the model gave its answer (classification), for live metrics.
    probability: Mapped[float | None]
    latency_ms: Mapped[float]
    source: Mapped[str] = mapped_column(sa.String(8))


class PromotionPolicy(db.Model):
    """What a use case's candidate must show on live traffic before it is promoted: labelled
    predictions scored as challenger, and a live primary metric not worse than production's
    beyond its interval."""

    __tablename__ = "promotion_policies"

    usecase: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    min_labelled: Mapped[int] = mapped_column(default=200)
    not_worse: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str] = mapped_column(sa.String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {"usecase": self.usecase, "min_labelled": self.min_labelled,
                "not_worse": self.not_worse, "updated_by": self.updated_by,
                "updated_at": _iso(self.updated_at)}


class Challenger(db.Model):
    """A candidate version also scoring a share of a use case's live predictions (at most one
    per use case); promotion or rollback ends it."""

    __tablename__ = "challengers"
    __table_args__ = (sa.CheckConstraint("share >= 0 AND share <= 1", name="share"),)

    usecase: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    model_version_id: Mapped[int] = mapped_column(sa.ForeignKey("model_versions.id"))
    share: Mapped[float]
    started_by: Mapped[str] = mapped_column(sa.String(80))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)

    model_version: Mapped[ModelVersion] = db.relationship()


class ChallengerPrediction(db.Model):
    """What a challenger said for one stored (production) prediction, stored after the client
    had its answer."""

    __tablename__ = "challenger_predictions"
    __table_args__ = (
        # A challenger's page reads its scores by version, joined to the predictions.
        sa.Index("ix_challenger_predictions_version_prediction", "model_version_id",
                 "prediction_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prediction_id: Mapped[int] = mapped_column(sa.ForeignKey("predictions.id"))
    model_version_id: Mapped[int] = mapped_column(sa.ForeignKey("model_versions.id"))
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    output: Mapped[Any] = mapped_column(JSONDocument)
    output_value: Mapped[float | None]
    output_label: Mapped[str | None] = mapped_column(sa.String(100))
    probability: Mapped[float | None]
    latency_ms: Mapped[float]


class Webhook(db.Model):
    """An address an admin registered to hear of a use case's events, signed with its secret."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    usecase: Mapped[str] = mapped_column(sa.String(64), index=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    secret: Mapped[str] = mapped_column(sa.String(64))
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "usecase": self.usecase, "url": self.url,
                "events": self.events, "created_by": self.created_by,
                "created_at": _iso(self.created_at)}


class WebhookDelivery(db.Model):
    """One event sent (or being sent) to one webhook: every attempt's outcome is kept."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The deliverer's query: pending deliveries whose next attempt is due.
        sa.Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(sa.ForeignKey("webhooks.id"), index=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status: Mapped[int | None]
    log: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "webhook_id": self.webhook_id, "event": self.event,
                "payload": self.payload, "status": self.status, "attempts": self.attempts,
                "next_attempt_at": _iso(self.next_attempt_at), "last_status": self.last_status,
                "log": self.log, "created_at": _iso(self.created_at),
                "delivered_at": _iso(self.delivered_at)}


class DriftState(db.Model):
    """Whether a use case's latest inputs drift, as last measured: a change is an event."""

    __tablename__ = "drift_states"

    usecase: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    drifting: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingJob(db.Model):
    """A training run; its heartbeat shows it is still alive (registry/jobs)."""

    __tablename__ = "training_jobs"
    __table_args__ = (
        # One active training per use case, even when two requests race past enqueue's check.
        sa.Index("uq_one_active_job", "usecase", unique=True,
                 sqlite_where=sa.text("status IN ('queued', 'running')"),
                 postgresql_where=sa.text("status IN ('queued', 'running')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    usecase: Mapped[str] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(default=0.0)
    message: Mapped[str] = mapped_column(sa.String(300), default="queued")
    requested_by: Mapped[str] = mapped_column(sa.String(80))
    promote: Mapped[bool] = mapped_column(default=False)  # promote the result on success
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    pid: Mapped[int | None]
    model_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("model_versions.id"))
    error: Mapped[str | None] = mapped_column(sa.Text)
    # Who runs it: "inline" (the process that queued it, e.g. the CLI), "local" (a process of
    # its own on the web host) or "queue" (a worker of the Redis queue, on any host).
    runner: Mapped[str] = mapped_column(sa.String(16), server_default="local")
    # Progress and failures, time-stamped, written by the worker: readable from any host.
    log: Mapped[str] = mapped_column(sa.Text, server_default="")
    # What to train on: {"datasets": [ids], "include_outcomes": bool}; empty means the built-in
    # data (registered as the use case's first dataset version when it is not yet).
    options: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    model_version: Mapped[ModelVersion | None] = db.relationship()

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "usecase": self.usecase, "status": self.status,
                "progress": self.progress, "message": self.message,
                "requested_by": self.requested_by,
                "created_at": _iso(self.created_at), "started_at": _iso(self.started_at),
                "finished_at": _iso(self.finished_at),
                "version": self.model_version.version if self.model_version else None,
                "error": self.error, "runner": self.runner, "log": self.log,
                "options": self.options or {}}


class User(UserMixin, db.Model):
    """A person who signs in: an admin or an analyst. Secrets are kept only as hashes."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("role IN ('admin', 'analyst')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # The name folded (registry.users.username_key): unique, so "Ada" and "ADA" are one name.
    username_key: Mapped[str | None] = mapped_column(sa.String(80), index=True, unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    token_created_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised to end every session signed in before (logout, new password, disabled, new role):
    # a session holds the epoch it began in, and one from an older epoch loads no user.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # A disabled user can neither sign in nor use their token; nothing of theirs is deleted.
    disabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    def get_id(self) -> str:
        """What a session keeps of the user (Flask-Login): the id and the session epoch."""
        return f"{self.id}:{self.session_epoch}"

    @property
    def is_active(self) -> bool:
        return not self.disabled

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginFailure(db.Model):
    """One recent failed sign-in, counted under one key (see registry/logins.py).

    Kept in the registry so that every worker of every host sees the same counts; only a keyed
    digest of the key is stored, never a username or an address.
    """

    __tablename__ = "login_failures"
    # The window query: one key's failures, newest first, from the window's start.
    __table_args__ = (sa.Index("ix_login_failures_key_failed", "key_digest", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_digest: Mapped[str] = mapped_column(sa.String(64))
    # Indexed on its own too, for deleting every key's failures once they leave the window.
    failed_at: Mapped[datetime] = mapped_column(index=True)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None
