"""A challenger on live traffic: a candidate version that also scores a share of a use case's
live predictions (form, API, batch), after the client has its answer, so the answer is neither
changed nor delayed. Its outputs are stored linked to the production prediction they shadow.

Each process has one Shadow: sampled work goes on a bounded queue that one thread empties.
The thread gathers what arrives over GATHER_SECONDS (up to GATHER_ROWS rows) and scores it in
one call per version: scoring each prediction as it came cost single predictions 2.7 times
their median latency (the thread and the requests take turns at the interpreter), scoring in
bursts leaves most requests alone. Work that finds the queue full is dropped (counted), never
waited for: the challenger is evidence, not service.
"""
from __future__ import annotations

import logging
import queue
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app

from registry import history, predictions, versions
from registry.database import db, utcnow
from registry.models import (Challenger, ChallengerPrediction, ModelVersion, Outcome,
                             Prediction)
from registry.monitoring import live
from registry.versions import RegistryError
from usecases import get_usecase
from usecases.fields import validate

log = logging.getLogger(__name__)
QUEUE_BATCHES = 10_000  # sampled requests waiting at most, per process
GATHER_SECONDS = 0.5
GATHER_ROWS = 1000


def get(usecase: str) -> Challenger | None:
    return db.session.get(Challenger, usecase)


def name(usecase: str, version: int, share: float, actor: str) -> Challenger:
    """Make a version the use case's challenger on a share (0 to 1) of live predictions,
    replacing any other; NotFound for an unknown version, RegistryError for production's."""
    target = versions.get_version(usecase, version)
    if target.stage == "production":
        raise RegistryError(f"{usecase} version {version} is in production: a challenger is "
                            "another version")
    if not 0.0 <= share <= 1.0:
        raise RegistryError("the share must be from 0 to 1")
    row = get(usecase)
    if row is None:
        row = Challenger(usecase=usecase)
        db.session.add(row)
    row.model_version_id, row.share, row.started_by = target.id, float(share), actor
    row.started_at = utcnow()
    db.session.commit()
    return row


def end(usecase: str) -> bool:
    """Stop the use case's challenger; False when it had none."""
    ended = db.session.execute(sa.delete(Challenger).where(Challenger.usecase == usecase))
    db.session.commit()
    return bool(ended.rowcount)


def describe(row: Challenger) -> dict[str, Any]:
    return {"usecase": row.usecase, "version": row.model_version.version, "share": row.share,
            "started_by": row.started_by, "started_at": row.started_at.isoformat() + "Z"}


@dataclass(frozen=True)
class Work:
    usecase: str
    version_id: int
    rows: list[dict[str, Any]]
    prediction_ids: list[int]


class Shadow:
    """One process's challenger scoring: which use cases have one (looked up at most every
    MODEL_CACHE_SECONDS), the queue, and the thread that empties it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.ttl = float(app.config["MODEL_CACHE_SECONDS"])
        self.queue: queue.Queue[Work] = queue.Queue(QUEUE_BATCHES)
        self.dropped = 0
        self._known: dict[str, tuple[float, int | None, float]] = {}
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def offer(self, usecase: str, rows: list[dict[str, Any]], prediction_ids: list[int]
              ) -> None:
        """Sample live predictions just stored for the challenger, if the use case has one."""
        version_id, share = self._challenger(usecase)
        if version_id is None or share <= 0:
            return
        picked = [i for i in range(len(rows)) if share >= 1 or random.random() < share]  # nosec B311
        if not picked:
            return
        work = Work(usecase, version_id, [rows[i] for i in picked],
                    [prediction_ids[i] for i in picked])
        self._start()
        try:
            self.queue.put_nowait(work)
        except queue.Full:
            self.dropped += len(picked)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every offered batch is scored and stored (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _challenger(self, usecase: str) -> tuple[int | None, float]:
        now = time.monotonic()
        known = self._known.get(usecase)
        if known is None or now - known[0] >= self.ttl:
            row = get(usecase)
            known = (now, row.model_version_id if row else None, row.share if row else 0.0)
            self._known[usecase] = known
        return known[1], known[2]

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="challenger",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            gathered = self._gather()
            try:
                with self.app.app_context():
                    for work in merged(gathered):
                        score(work)
            except Exception:  # the challenger must never take serving down with it
                log.exception("challenger scoring failed for %s", gathered[0].usecase)
            finally:
                for _ in gathered:
                    self.queue.task_done()

    def _gather(self) -> list[Work]:
        """The next work, then (after GATHER_SECONDS asleep) whatever else has come, up to
        GATHER_ROWS. Asleep, not waiting on the queue: a waiting thread would be woken by
        every request's put, and each wake-up costs that request a turn at the interpreter."""
        gathered = [self.queue.get()]
        rows = len(gathered[0].rows)
        time.sleep(GATHER_SECONDS)
        while rows < GATHER_ROWS:
            try:
                gathered.append(self.queue.get_nowait())
            except queue.Empty:
                break
            rows += len(gathered[-1].rows)
        return gathered


def merged(gathered: list[Work]) -> list[Work]:
    """Work for the same challenger put together, in the order it came."""
    out: dict[tuple[str, int], Work] = {}
    for work in gathered:
        key = (work.usecase, work.version_id)
        if key not in out:
            out[key] = Work(work.usecase, work.version_id, [], [])
        out[key].rows.extend(work.rows)
        out[key].prediction_ids.extend(work.prediction_ids)
    return list(out.values())


def score(work: Work) -> list[int]:
    """Score sampled predictions with the challenger in one call and store what it said; rows
    its inputs do not fit (its schema differs) are left out. The stored rows' ids."""
    from registry import serving  # serving offers work here: imported when first needed

    row = db.session.get(ModelVersion, work.version_id)
    served = serving.cache().version(row)
    serving.cache().keep(row.id)
    usecase = get_usecase(work.usecase).for_schema(served.input_schema)
    fitting, ids = [], []
    for values, prediction_id in zip(work.rows, work.prediction_ids):
        checked = validate(usecase.fields, values)
        if checked.ok and not usecase.check_inputs(served.model, checked.values):
            fitting.append(checked.values)
            ids.append(prediction_id)
    if not fitting:
        return []
    began = time.perf_counter()
    results = usecase.predict(served.model, fitting)
    latency_ms = round((time.perf_counter() - began) * 1000 / len(fitting), 3)
    now = utcnow()
    params = []
    for prediction_id, result in zip(ids, results):
        value, label = predictions.reduce_output(result["output"])
        params.append({"prediction_id": prediction_id, "model_version_id": row.id,
                       "version": row.version, "created_at": now, "output": result["output"],
                       "output_value": value, "output_label": label,
                       "probability": predictions.answer_probability(result),
                       "latency_ms": latency_ms})
    table = ChallengerPrediction.__table__
    stored = list(db.session.execute(
        table.insert().returning(table.c.id, sort_by_parameter_order=True), params).scalars())
    db.session.commit()
    return stored


def shadow() -> Shadow:
    return current_app.extensions["modelhub.shadow"]


PAIRS_READ = 50_000  # the latest shadowed predictions a comparison reads
DISAGREEMENTS = 10


def comparison(usecase: Any, challenger_version: ModelVersion,
               production_version: ModelVersion) -> dict[str, Any]:
    """The challenger against production on the live predictions it also scored: how often
    they agree, the largest disagreements with their inputs, both score distributions, and
    both versions' live metrics on the same labelled predictions."""
    shadowed = ChallengerPrediction
    query = (sa.select(Prediction.id, Prediction.created_at, Prediction.inputs,
                       Prediction.output, Prediction.output_value, Prediction.output_label,
                       Prediction.probability, shadowed.output, shadowed.output_value,
                       shadowed.output_label, shadowed.probability, Outcome.value)
             .select_from(sa.join(shadowed, Prediction, shadowed.prediction_id == Prediction.id)
                          .outerjoin(Outcome, history.current_outcome()))
             .where(shadowed.model_version_id == challenger_version.id,
                    Prediction.model_version_id == production_version.id)
             .order_by(shadowed.prediction_id.desc()).limit(PAIRS_READ))
    found = db.session.execute(query).all()[::-1]
    task = usecase.task
    positive = usecase.positive_class if len(live.classes(usecase)) == 2 else None
    both = [_said(task, positive, r[3], r[4], r[5], r[6]) for r in found], \
        [_said(task, positive, r[7], r[8], r[9], r[10]) for r in found]
    tolerance = float(production_version.metrics.get("mae", 0.0))
    gaps = [_gap(task, a, b) for a, b in zip(*both)]
    agree = sum(gap <= tolerance if task == "regression" else gap == 0 for gap in gaps)
    order = sorted(range(len(found)), key=lambda i: (-gaps[i], -found[i][0]))
    largest = [{"prediction_id": found[i][0], "inputs": found[i][2],
                "production": both[0][i]["shown"], "challenger": both[1][i]["shown"],
                "difference": gaps[i]} for i in order[:DISAGREEMENTS] if gaps[i] > 0]
    labelled = [i for i, r in enumerate(found) if r[11] is not None]

    def rows(side: int) -> live.Labelled:
        first = 3 if side == 0 else 7
        return live.Labelled([found[i][1].date().isoformat() for i in labelled],
                             [found[i][first + 1] for i in labelled],
                             [found[i][first + 2] for i in labelled],
                             [found[i][first + 3] for i in labelled],
                             [found[i][first] for i in labelled] if task == "recommendation"
                             else [], [found[i][11] for i in labelled])

    measured = [live.measure(usecase, rows(0)), live.measure(usecase, rows(1))]
    return {"compared": len(found), "agreement": agree / len(found) if found else None,
            "agreement_rule": _rule(task, tolerance), "disagreements": largest,
            "scores": _score_bins(task, [s["score"] for s in both[0]],
                                  [s["score"] for s in both[1]]),
            "score_of": positive, "labelled": len(labelled),
            "primary_metric": live.primary(usecase, measured[0]),
            "live": {"production": measured[0], "challenger": measured[1]}}


def _said(task: str, positive: str | None, output: Any, value: float | None,
          label: str | None, probability: float | None) -> dict[str, Any]:
    """One version's answer as the comparison reads it: what to show, and its score (the
    positive class's probability, the answer's own, or the number)."""
    if task == "regression":
        return {"shown": value, "score": value, "key": value}
    if task == "recommendation":
        return {"shown": output, "score": None, "key": list(output or [])}
    score = probability
    if positive is not None and probability is not None and label != positive:
        score = 1.0 - probability
    return {"shown": label, "score": score, "key": label, "probability": score}


def _gap(task: str, a: dict[str, Any], b: dict[str, Any]) -> float:
    """How far apart two answers are: the values' distance (regression), the share of
    recommended movies not in both lists, or for classes the probabilities' distance (with 1
    added when the classes differ, so every disagreement ranks above every agreement)."""
    if task == "regression":
        return abs((a["key"] or 0.0) - (b["key"] or 0.0))
    if task == "recommendation":
        first, second = set(a["key"]), set(b["key"])
        union = first | second
        return 1 - len(first & second) / len(union) if union else 0.0
    spread = abs((a["score"] or 0.0) - (b["score"] or 0.0))
    return (1.0 + spread) if a["key"] != b["key"] else 0.0


def _rule(task: str, tolerance: float) -> str:
    if task == "regression":
        return f"the two values differ by at most production's held-out MAE ({tolerance:.3g})"
    if task == "recommendation":
        return "the same movies are recommended"
    return "the same class is predicted"


def _score_bins(task: str, production: list[float | None], challenger: list[float | None]
                ) -> list[dict[str, Any]]:
    """Both versions' scores in ten shared bins (probabilities 0-1; values over their range)."""
    a = np.array([v for v in production if v is not None], dtype=float)
    b = np.array([v for v in challenger if v is not None], dtype=float)
    if task == "recommendation" or not len(a) or not len(b):
        return []
    low, high = (0.0, 1.0) if task != "regression" else (
        float(min(a.min(), b.min())), float(max(a.max(), b.max())))
    edges = np.linspace(low, high if high > low else low + 1, 11)
    first = np.histogram(a, edges)[0] / len(a)
    second = np.histogram(b, edges)[0] / len(b)
    return [{"label": f"{edges[i]:.3g}–{edges[i + 1]:.3g}", "reference": float(first[i]),
             "live": float(second[i])} for i in range(10)]
