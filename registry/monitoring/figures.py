"""Live figures of a model version, measured on its labelled predictions: arrays in, figures
out, each with the count it rests on and a 95% interval. No database here (see live.py)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from registry.monitoring.intervals import auc_interval, bootstrap, wilson

CALIBRATION_BINS = 10
LIKED = 4.0  # a movie rated this or more was one the person liked


def figure(value: float | None, count: int, interval: tuple[float, float] | None
           ) -> dict[str, Any]:
    """One figure as the pages and the API show it."""
    low, high = interval if interval is not None and value is not None else (None, None)
    return {"value": value, "count": count, "low": low, "high": high}


def proportion(successes: int, total: int) -> dict[str, Any]:
    return figure(successes / total if total else None, total, wilson(successes, total))


def classification(truth: Sequence[str], predicted: Sequence[str],
                   probability: Sequence[float | None], classes: Sequence[str],
                   positive: str | None) -> dict[str, dict[str, Any]]:
    """Accuracy; with two classes the positive class's precision and recall and ROC AUC (from
    each prediction's probability); with more, balanced accuracy and macro precision."""
    truth, predicted = np.asarray(truth, dtype=object), np.asarray(predicted, dtype=object)
    n = len(truth)
    correct = truth == predicted
    out = {"accuracy": proportion(int(correct.sum()), n)}
    if len(classes) == 2 and positive is not None:
        is_positive, said_positive = truth == positive, predicted == positive
        true_positives = int((is_positive & said_positive).sum())
        out["precision"] = proportion(true_positives, int(said_positive.sum()))
        out["recall"] = proportion(true_positives, int(is_positive.sum()))
        chance = positive_probability(predicted, probability, positive)
        known = np.isfinite(chance)
        positives, negatives = int(is_positive[known].sum()), int((~is_positive[known]).sum())
        auc = (float(roc_auc_score(is_positive[known], chance[known]))
               if positives and negatives else None)
        out["roc_auc"] = figure(auc, int(known.sum()),
                                auc_interval(auc, positives, negatives) if auc is not None
                                else None)
        return out
    codes = {label: i for i, label in enumerate(classes)}
    t = np.array([codes.get(v, -1) for v in truth])
    p = np.array([codes.get(v, -1) for v in predicted])
    out["balanced_accuracy"] = _macro(t, p, len(classes), "recall")
    out["precision_macro"] = _macro(t, p, len(classes), "precision")
    return out


def positive_probability(predicted: np.ndarray, probability: Sequence[float | None],
                         positive: str) -> np.ndarray:
    """P(positive class) from the probability each prediction gave its own answer (NaN where
    none was stored)."""
    given = np.array([np.nan if v is None else float(v) for v in probability], dtype=float)
    return np.where(predicted == positive, given, 1.0 - given)


def _macro(truth: np.ndarray, predicted: np.ndarray, classes: int, kind: str
           ) -> dict[str, Any]:
    """Macro recall (balanced accuracy) or macro precision over the classes seen."""
    def per_resample(index: np.ndarray) -> np.ndarray:
        t, p = truth[index], predicted[index]
        shares = []
        for c in range(classes):
            hits = ((t == c) & (p == c)).sum(axis=-1)
            base = ((t if kind == "recall" else p) == c).sum(axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                shares.append(np.where(base > 0, hits / np.maximum(base, 1), np.nan))
        return _safe_nanmean(np.stack(shares))
    n = len(truth)
    if n == 0:
        return figure(None, 0, None)
    value = float(per_resample(np.arange(n)[None, :])[0])
    value = value if np.isfinite(value) else None
    return figure(value, n, bootstrap(n, per_resample) if value is not None else None)


def _safe_nanmean(stacked: np.ndarray) -> np.ndarray:
    """Mean over axis 0 ignoring NaN, NaN where every value is NaN (without a warning)."""
    known = np.isfinite(stacked)
    total = np.where(known, stacked, 0.0).sum(axis=0)
    count = known.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def calibration(chance: np.ndarray, happened: np.ndarray, bins: int = CALIBRATION_BINS
                ) -> list[dict[str, Any]]:
    """Predicted probability against the observed rate, in equal-width bins of probability:
    each bin's count, mean predicted probability and observed rate with its interval."""
    known = np.isfinite(chance)
    chance, happened = chance[known], happened[known].astype(bool)
    which = np.minimum((chance * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        if not count:
            continue
        hits = int(happened[inside].sum())
        low, high = wilson(hits, count) or (None, None)
        out.append({"from": b / bins, "to": (b + 1) / bins, "count": count,
                    "predicted": float(chance[inside].mean()), "observed": hits / count,
                    "low": low, "high": high})
    return out


def regression(truth: Sequence[float], predicted: Sequence[float]
               ) -> dict[str, dict[str, Any]]:
    """MAE, RMSE and R-squared, each with a bootstrap interval."""
    y = np.asarray(truth, dtype=float)
    guess = np.asarray(predicted, dtype=float)
    n = len(y)
    errors = y - guess
    squared = errors ** 2

    def mae(index: np.ndarray) -> np.ndarray:
        return np.abs(errors[index]).mean(axis=-1)

    def rmse(index: np.ndarray) -> np.ndarray:
        return np.sqrt(squared[index].mean(axis=-1))

    def r2(index: np.ndarray) -> np.ndarray:
        values = y[index]
        spread = ((values - values.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(spread > 0, 1 - squared[index].sum(axis=-1) / spread, np.nan)

    out = {}
    for name, statistic in (("mae", mae), ("rmse", rmse), ("r2", r2)):
        value = float(statistic(np.arange(n)[None, :])[0]) if n else float("nan")
        known = bool(np.isfinite(value))
        out[name] = figure(value if known else None, n,
                           bootstrap(n, statistic) if known else None)
    return out


def hit_rate(recommended: Sequence[Sequence[Any]], rated: Sequence[dict[str, Any]]
             ) -> dict[str, dict[str, Any]]:
    """Of the movies people then rated 4 stars or more, the share that had been recommended
    to them."""
    hits = total = 0
    for items, outcome in zip(recommended, rated):
        if not isinstance(outcome, dict) or float(outcome.get("rating", 0)) < LIKED:
            continue
        total += 1
        hits += outcome.get("movie_id") in set(items or ())
    return {"hit_rate": proportion(hits, total)}
