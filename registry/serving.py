"""Serving: the production model of each use case, cached per process, and scoring with it.

Every prediction made anywhere (page, API, batch) goes through `predict`, which validates, scores
the batch in one call, and stores one row per prediction naming the version that made it.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from registry import predictions, versions
from registry.artifacts import (ArtifactError, DigestMismatch, ForgedArtifact, OutsideStore,
                                UnsignedArtifact)
from registry.models import ModelVersion, Prediction
from registry.monitoring import challenger
from usecases import get_usecase
from usecases.base import UseCase
from usecases.fields import validate

log = logging.getLogger(__name__)


class ModelUnavailable(Exception):
    """The use case has no loadable model right now (none trained, or its artifact is bad).

    Its message is fit for anyone (pages, the API, /readyz); `detail` says what went wrong
    with the artifact (its key, the store's error) and goes to the log and to admins only.
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class TooMuchText(Exception):
    """A request whose rows hold more characters of text, all told, than MAX_REQUEST_TEXT:
    refused before any of it is read, so one request cannot hold a worker for long."""

    def __init__(self, total: int, limit: int) -> None:
        super().__init__(f"the inputs hold {total:,} characters of text; a request may hold "
                         f"at most {limit:,}: split it")
        self.total, self.limit = total, limit


class InvalidInput(Exception):
    """Inputs that failed validation; `errors` holds one {field: message} dict per row."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("invalid input")
        self.errors = errors


@dataclass(frozen=True)
class ServedModel:
    """A loaded model and the registry row it came from."""

    usecase: str
    version_id: int
    version: int
    model: Any
    load_seconds: float
    input_schema: list[dict[str, Any]] | None = None  # the inputs it was trained on


@dataclass
class Scored:
    """The outcome of one predict call."""

    version: int
    results: list[dict[str, Any]]
    prediction_ids: list[int]
    inputs: list[dict[str, Any]]


class ModelCache:
    """Loaded models of one app, keyed by version id.

    The production version of a use case is looked up in the database at most once every
    MODEL_CACHE_SECONDS, so a promotion made by another process is picked up that soon after.
    """

    def __init__(self, app: Flask) -> None:
        self.ttl = float(app.config["MODEL_CACHE_SECONDS"])
        self.freeze = bool(app.config["FREEZE_HEAP_ON_MODEL_LOAD"])
        self._lock = threading.Lock()
        self._models: dict[int, ServedModel] = {}
        self._production: dict[str, tuple[float, int | None]] = {}  # name -> (checked_at, id)
        self._kept: set[int] = set()  # challengers' versions, kept loaded beside production

    def production(self, usecase: str) -> ServedModel:
        now = time.monotonic()
        checked = self._production.get(usecase)
        if checked is None or now - checked[0] >= self.ttl:
            row = versions.production_version(usecase)
            checked = (now, row.id if row else None)
            self._production[usecase] = checked
            if row is not None and row.id not in self._models:
                return self._load(row)
        if checked[1] is None:
            raise ModelUnavailable(f"{usecase} has no production model yet")
        served = self._models.get(checked[1])
        if served is None:
            return self._load(versions.get_version_by_id(checked[1]))
        return served

    def version(self, row: ModelVersion) -> ServedModel:
        return self._models.get(row.id) or self._load(row)

    def keep(self, version_id: int) -> None:
        """Keep a version loaded beside the production ones (a challenger's)."""
        self._kept.add(version_id)

    def _load(self, row: ModelVersion) -> ServedModel:
        began = time.perf_counter()
        try:
            model = versions.artifact_store().load(row.artifact_path, row.artifact_sha256,
                                                   row.artifact_signature)
        except ArtifactError as exc:
            log.error("%s version %s cannot be loaded: %s", row.usecase, row.version, exc)
            raise ModelUnavailable(f"{row.usecase} version {row.version}'s model cannot be "
                                   f"loaded: {_reason(exc)}", detail=str(exc)) from exc
        served = ServedModel(row.usecase, row.id, row.version, model,
                             time.perf_counter() - began, row.input_schema)
        with self._lock:
            # Keep only models still wanted: production ones and the one just loaded.
            wanted = ({v for _, v in self._production.values() if v is not None}
                      | self._kept | {row.id})
            self._models = {k: m for k, m in self._models.items() if k in wanted}
            self._models[row.id] = served
        if self.freeze:
            # Move everything alive (the app, the loaded models) out of the garbage collector's
            # sight: with ~200,000 tracked objects a full collection took 100-250 ms, and it
            # fell on whichever request had allocated the most (a batch's p99). Loaded models
            # hold no reference cycles, so one dropped later is still freed by reference
            # counting. (Garbage cycles alive at that moment are never collected: a serving
            # process loads a few models, a test process builds hundreds of apps.)
            gc.freeze()
        return served


def cache() -> ModelCache:
    return current_app.extensions["modelhub.models"]


def production_view(usecase: UseCase, production: ModelVersion | None) -> UseCase:
    """The use case as its production version serves it: the form, JSON Schema and examples
    to show (the use case itself when nothing is in production)."""
    return usecase.for_schema(production.input_schema if production is not None else None)


def production_model(usecase: str) -> tuple[int, Any]:
    """The production version number and loaded model of a use case."""
    served = cache().production(usecase)
    return served.version, served.model


def served(name: str, version: int | None = None) -> ServedModel:
    """The loaded model a request for `version` of a use case gets (None: production);
    ModelUnavailable or versions.NotFound when there is none."""
    return (cache().production(name) if version is None
            else cache().version(versions.get_version(name, version)))


def predict(name: str, raw_rows: list[Any], *, source: str, from_form: bool = False,
            version: int | None = None) -> Scored:
    """Validate, score in one batch, store every prediction; raise TooMuchText, InvalidInput
    or ModelUnavailable (and versions.NotFound for an unknown version)."""
    usecase = get_usecase(name)
    model = served(name, version)
    usecase = usecase.for_schema(model.input_schema)  # as the serving version takes inputs
    checked = [validate(usecase.fields, raw, from_form=from_form) for raw in raw_rows]
    errors = [c.errors for c in checked]
    for check, row_errors in zip(checked, errors):
        if check.ok:
            row_errors.update(usecase.check_inputs(model.model, check.values))
    if any(errors):
        raise InvalidInput(errors)
    rows = [c.values for c in checked]
    # After validation (a field's own limit names the field), before any reading or scoring.
    text_limit = current_app.config.get("MAX_REQUEST_TEXT")
    if text_limit:
        total = sum(len(value) for row in rows for value in row.values()
                    if isinstance(value, str))
        if total > text_limit:
            raise TooMuchText(total, int(text_limit))
    began = time.perf_counter()
    results = usecase.predict(model.model, rows)
    latency_ms = (time.perf_counter() - began) * 1000 / max(len(rows), 1)
    ids = predictions.record(name, model.version_id, model.version, rows, results,
                             latency_ms=latency_ms, source=source)
    if version is None:
        challenger.shadow().offer(name, rows, ids)  # scored after the answer, never in it
    return Scored(model.version, results, ids, rows)


def rescore(prediction: Prediction) -> dict[str, Any]:
    """The full result (explanation included) of a stored prediction, scored again from its
    stored inputs by the version that made it; nothing is stored. The same model and inputs
    give the same answer, so a result page can be shown again without storing the prediction
    twice. ModelUnavailable when that version cannot be loaded any more."""
    return rescored(prediction)[0]


def rescored(prediction: Prediction) -> tuple[dict[str, Any], UseCase]:
    """`rescore`'s result, and the use case as that version serves it (its form and wording),
    which a page showing the result needs."""
    usecase = get_usecase(prediction.usecase)
    model = cache().version(versions.get_version_by_id(prediction.model_version_id))
    usecase = usecase.for_schema(model.input_schema)
    checked = validate(usecase.fields, prediction.inputs)
    if not checked.ok:  # stored values are validated ones; a schema changed under them
        raise ModelUnavailable(f"{prediction.usecase} prediction {prediction.id} cannot be "
                               "scored again: its inputs no longer fit the version's fields")
    return usecase.predict(model.model, [checked.values])[0], usecase


def _reason(error: ArtifactError) -> str:
    """Why an artifact did not load, in words that name no key, path or bucket."""
    if isinstance(error, DigestMismatch):
        return "its file does not match the sha256 digest registered for it"
    if isinstance(error, UnsignedArtifact):
        return ("its file is not signed by this installation (files registered before "
                "signing: an admin runs flask --app portal hub artifacts sign)")
    if isinstance(error, ForgedArtifact):
        return "its file is not signed by this installation"
    if isinstance(error, OutsideStore):
        return "its path is outside the artifact directory"
    return "its file is missing or unreadable"
