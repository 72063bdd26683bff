"""Pieces every trainer shares: comparing candidate algorithms by cross-validation."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import cross_val_score

from usecases.base import Progress

SEED = 42


@dataclass
class Leaderboard:
    """Every candidate's cross-validated score and fit time, best first."""

    rows: list[dict[str, Any]]
    higher_is_better: bool

    @property
    def best(self) -> str:
        return self.rows[0]["name"]

    def to_list(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.rows]


def compare_candidates(candidates: dict[str, BaseEstimator], X: Any, y: Any, *, scoring: str,
                       cv: Any, progress: Progress, higher_is_better: bool = True,
                       span: tuple[float, float] = (0.1, 0.8),
                       score_sign: Callable[[float], float] = lambda s: s) -> Leaderboard:
    """Cross-validate each candidate on the training data and rank them.

    Progress moves from span[0] to span[1] as candidates finish. `score_sign` turns scikit-learn's
    "neg_" scores back into the metric a person knows (e.g. lambda s: -s for neg RMSE).
    """
    rows = []
    start, stop = span
    for i, (name, estimator) in enumerate(candidates.items()):
        progress(start + (stop - start) * i / len(candidates), f"cross-validating {name}")
        began = time.perf_counter()
        scores = cross_val_score(clone(estimator), X, y, scoring=scoring, cv=cv)
        seconds = time.perf_counter() - began
        values = [score_sign(s) for s in scores]
        rows.append({"name": name, "cv_score": float(np.mean(values)),
                     "cv_std": float(np.std(values)),
                     "fit_seconds": round(seconds / len(scores), 4)})
    rows.sort(key=lambda r: r["cv_score"], reverse=higher_is_better)
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return Leaderboard(rows, higher_is_better)
