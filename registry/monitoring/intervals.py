"""95% intervals for figures measured on few labelled predictions, so a small count reads as
uncertain: exact-enough closed forms where they exist, a bootstrap elsewhere."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

Z = 1.959963984540054  # the normal quantile of 0.975
RESAMPLES = 400
SEED = 20261204  # the same labelled rows give the same interval on every page load
_BLOCK = 2_000_000  # resampled values held at once (rows x resamples), about 16 MB


def wilson(successes: int, total: int) -> tuple[float, float] | None:
    """Wilson's score interval for a proportion (good at small counts and near 0 or 1)."""
    if total <= 0:
        return None
    share = successes / total
    denominator = 1 + Z * Z / total
    centre = (share + Z * Z / (2 * total)) / denominator
    half = Z * math.sqrt(share * (1 - share) / total + Z * Z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def auc_interval(auc: float, positives: int, negatives: int) -> tuple[float, float] | None:
    """Hanley and McNeil's (1982) standard error of a ROC AUC, as a normal interval in [0, 1]."""
    if positives <= 0 or negatives <= 0:
        return None
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc)
                + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives)
    half = Z * math.sqrt(max(variance, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


def bootstrap(rows: int, statistic: Callable[[np.ndarray], np.ndarray]
              ) -> tuple[float, float] | None:
    """The percentile bootstrap: `statistic` takes a (resamples, rows) matrix of row indexes
    and returns one value per resample; NaN values (a resample the figure is undefined on)
    are left out."""
    if rows < 2:
        return None
    generator = np.random.default_rng(SEED)
    per_block = max(1, _BLOCK // rows)
    values = []
    for start in range(0, RESAMPLES, per_block):
        count = min(per_block, RESAMPLES - start)
        values.append(statistic(generator.integers(0, rows, size=(count, rows))))
    found = np.concatenate(values)
    found = found[np.isfinite(found)]
    if found.size < RESAMPLES // 2:
        return None
    low, high = np.quantile(found, [0.025, 0.975])
    return float(low), float(high)
