"""Live metrics: how each model version did on the predictions whose true outcome was recorded,
per day and in total, next to its held-out figures."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa

from registry import history
from registry.database import db
from registry.models import ModelVersion, Outcome, Prediction
from registry.monitoring import figures
from usecases.base import UseCase
from usecases.fields import Choice

LOWER_IS_BETTER = frozenset({"mae", "rmse"})


@dataclass(frozen=True)
class Labelled:
    """A version's labelled predictions, row by row: when made, what it said, what happened."""

    days: list[str]
    value: list[float | None]      # regression's number
    label: list[str | None]        # classification's class
    probability: list[float | None]
    output: list[Any]              # recommendation's list of movies (empty otherwise)
    outcome: list[Any]

    def __len__(self) -> int:
        return len(self.outcome)

    def rows(self, keep: np.ndarray) -> "Labelled":
        pick = np.flatnonzero(keep).tolist()
        return Labelled(*([column[i] for i in pick] if column else [] for column in (
            self.days, self.value, self.label, self.probability, self.output, self.outcome)))


def labelled(usecase: UseCase, version: ModelVersion, since: date | None = None,
             until: date | None = None) -> Labelled:
    """The version's predictions that have a current outcome, oldest first (whole UTC days,
    `until` included)."""
    wanted = [Prediction.created_at, Prediction.output_value, Prediction.output_label,
              Prediction.probability, Outcome.value]
    if usecase.task == "recommendation":
        wanted.append(Prediction.output)
    chosen = history.HistoryFilter(usecase=version.usecase, since=since, until=until)
    query = chosen.where(sa.select(*wanted).select_from(
        sa.join(Prediction, Outcome, history.current_outcome()))
        .where(Outcome.usecase == version.usecase, Prediction.model_version_id == version.id))
    found = db.session.execute(query.order_by(Prediction.id)).all()
    return Labelled([row[0].date().isoformat() for row in found], [row[1] for row in found],
                    [row[2] for row in found], [row[3] for row in found],
                    [row[5] for row in found] if usecase.task == "recommendation" else [],
                    [row[4] for row in found])


def classes(usecase: UseCase) -> list[str]:
    target = usecase.outcome_field
    return [value for value, _ in target.choices] if isinstance(target, Choice) else []


def measure(usecase: UseCase, rows: Labelled) -> dict[str, dict[str, Any]]:
    """The task's live figures on these rows, each with its count and interval."""
    if usecase.task == "recommendation":
        return figures.hit_rate(rows.output, rows.outcome)
    if usecase.task == "regression":
        return figures.regression([float(v) for v in rows.outcome], rows.value)
    return figures.classification([str(v) for v in rows.outcome], rows.label, rows.probability,
                                  classes(usecase), usecase.positive_class)


def calibration(usecase: UseCase, rows: Labelled) -> list[dict[str, Any]]:
    """Predicted probability against the observed rate: of the positive class with two classes,
    of the chosen class being right with more; none for other tasks."""
    if usecase.task not in ("classification", "text-classification") or not len(rows):
        return []
    predicted = np.asarray(rows.label, dtype=object)
    truth = np.asarray([str(v) for v in rows.outcome], dtype=object)
    positive = usecase.positive_class
    if len(classes(usecase)) == 2 and positive is not None:
        return figures.calibration(
            figures.positive_probability(predicted, rows.probability, positive),
            truth == positive)
    given = np.array([np.nan if v is None else float(v) for v in rows.probability])
    return figures.calibration(given, truth == predicted)


def primary(usecase: UseCase, measured: dict[str, Any]) -> str | None:
    """The figure a version is judged by live: the use case's primary metric where it can be
    measured from outcomes, else the first one (recommendation: the hit rate)."""
    if usecase.primary_metric in measured:
        return usecase.primary_metric
    return next(iter(measured), None)


def report(usecase: UseCase, version: ModelVersion, since: date | None = None,
           until: date | None = None) -> dict[str, Any]:
    """A version's live figures in total and per day, beside its held-out ones."""
    rows = labelled(usecase, version, since, until)
    total = measure(usecase, rows)
    days = np.asarray(rows.days, dtype=object)
    per_day = []
    for day in sorted(set(rows.days)):
        these = rows.rows(days == day)
        per_day.append({"day": day, "count": len(these), "metrics": measure(usecase, these)})
    name = primary(usecase, total)
    binary = len(classes(usecase)) == 2 and usecase.task != "recommendation"
    return {"usecase": version.usecase, "version": version.version, "task": usecase.task,
            "count": len(rows), "primary_metric": name,
            "higher_is_better": name not in LOWER_IS_BETTER,
            "window": {"since": since.isoformat() if since else None,
                       "until": until.isoformat() if until else None},
            "metrics": total, "calibration": calibration(usecase, rows),
            "calibration_of": usecase.positive_class if binary else None, "days": per_day,
            "offline": {key: version.metrics[key] for key in total if key in version.metrics}}


def labelled_counts(usecase: str) -> dict[int, int]:
    """How many labelled predictions each version of a use case has (version id -> count)."""
    query = (sa.select(Prediction.model_version_id, sa.func.count())
             .select_from(sa.join(Prediction, Outcome, history.current_outcome()))
             .where(Outcome.usecase == usecase).group_by(Prediction.model_version_id))
    return dict(db.session.execute(query).all())


def summaries(usecase: UseCase, rows: list[ModelVersion]) -> dict[int, dict[str, Any]]:
    """Each version's primary live figure with its name (version id -> figure), for the
    versions that have labelled predictions."""
    counts = labelled_counts(usecase.name)
    out = {}
    for row in rows:
        if counts.get(row.id):
            measured = measure(usecase, labelled(usecase, row))
            name = primary(usecase, measured)
            if name is not None:
                out[row.id] = measured[name] | {"name": name}
    return out
