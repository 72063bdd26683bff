"""The fitted ridge pipeline rewritten as table look-ups and two spline curves, for serving.

scikit-learn spends milliseconds per call on input checks, DataFrame handling and the column
transformer, far more than the arithmetic of a 53-weight ridge model. Every block of that model
reads one input (or the classroom key) and enters the score through a weighted sum, so the score
is a sum of one term per input plus one for the classroom: a category's term is one of a few
numbers (one per level, one for blank), the classroom's one of ~300 (one per study classroom,
one for any other), and a number's term is a spline (or a straight line) in that number.
`compile_pipeline` works those terms out once from the fitted steps, mostly by running the steps
themselves on every level and every classroom key; `CompiledRidge` adds them up for plain row
dicts. Tests hold it to the pipeline's scores and effects within 1e-9. Only a linear winner is
compiled; a tree model keeps serving through the pipeline.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline
from sklearn.linear_model import LinearRegression, Ridge, RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from usecases.student_score.classroom import FREE_LUNCH, KEY, NO_CLASSROOM, READING
from usecases.student_score.data import CATEGORIES, FEATURES, NUMBERS
from usecases.student_score.levels import LevelMix

BLANK = None  # the key of a category's blank (missing) term in its table


@dataclass(frozen=True)
class ScaledLine:
    """A standardised number's term: weight * (x - mean) / scale."""

    mean: float
    scale: float
    weight: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.scale * self.weight


@dataclass(frozen=True)
class SplineCurve:
    """A spline-encoded number's term: the weighted B-splines as one spline, flat outside the
    training range (SplineTransformer's "constant" extrapolation holds the boundary values)."""

    spline: BSpline
    low: float
    high: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.spline(np.clip(x, self.low, self.high))


@dataclass(frozen=True)
class CompiledRidge:
    """score = intercept + one term per input + the classroom's term."""

    intercept: float
    levels: dict[str, dict[Any, float]]  # category -> {level: term, BLANK: term}
    curves: dict[str, ScaledLine | SplineCurve]  # number -> its term
    classrooms: dict[str, float]  # classroom key -> term
    no_classroom: float  # the term of a key the study lacks
    classmates: dict[str, int]  # classroom key -> training pupils sharing it

    def terms(self, rows: list[dict[str, Any]], keys: list[str]) -> np.ndarray:
        """(n, n_features + 1) terms of each row: FEATURES in order, then the classroom."""
        out = np.empty((len(rows), len(FEATURES) + 1))
        for j, name in enumerate(FEATURES):
            if name in self.curves:
                out[:, j] = self.curves[name](np.array([row.get(name) for row in rows],
                                                       dtype=float))
            else:
                # An unknown level counts as blank, as LevelMix does; validation refuses them.
                table = self.levels[name]
                blank = table[BLANK]
                out[:, j] = [table.get(row.get(name), blank) for row in rows]
        out[:, -1] = [self.classrooms.get(key, self.no_classroom) for key in keys]
        return out


def compile_pipeline(pipeline: Pipeline) -> CompiledRidge | None:
    """The compiled form of a fitted student-score pipeline, or None if it cannot be compiled
    (a tree model, or a preprocessing step this module does not know)."""
    regressor = pipeline.named_steps["regress"]
    if not isinstance(regressor, (Ridge, RidgeCV, LinearRegression)) \
            or np.ndim(regressor.coef_) != 1:
        return None
    profile, prepare = pipeline.named_steps["profile"], pipeline.named_steps["prepare"]
    coef = np.asarray(regressor.coef_, dtype=float)
    levels: dict[str, dict[Any, float]] = {}
    curves: dict[str, ScaledLine | SplineCurve] = {}
    classroom_blocks = []
    for name, transformer, columns in prepare.transformers_:
        if isinstance(transformer, str):
            if transformer != "drop":  # passthrough columns would need their own terms
                return None
            continue
        weights = coef[prepare.output_indices_[name]]
        if isinstance(transformer, LevelMix):
            levels |= level_terms(transformer, weights)
        elif set(columns) <= set(NUMBERS):
            found = number_terms(transformer, list(columns), weights)
            if found is None:
                return None
            curves |= found
        elif set(columns) <= {KEY, READING, FREE_LUNCH}:
            classroom_blocks.append((transformer, list(columns), weights))
        else:
            return None
    if set(levels) != set(CATEGORIES) or set(curves) != set(NUMBERS):
        return None
    # Every key the profile or the encoder learned, then one no training row has: its term is
    # what any classroom outside the study gets.
    known = set(profile.size_.index)
    for transformer, columns, _ in classroom_blocks:
        if columns == [KEY] and hasattr(transformer, "categories_"):
            known |= set(transformer.categories_[0])
    keys = sorted(known - {NO_CLASSROOM}) + [NO_CLASSROOM]
    profiled = profile.transform(pd.DataFrame({KEY: np.array(keys, dtype=object)}))
    values = np.zeros(len(keys))
    for transformer, columns, weights in classroom_blocks:
        values += np.asarray(transformer.transform(profiled[columns]), dtype=float) @ weights
    return CompiledRidge(
        intercept=float(regressor.intercept_), levels=levels, curves=curves,
        classrooms=dict(zip(keys[:-1], values[:-1].tolist())), no_classroom=float(values[-1]),
        classmates={str(key): int(count) for key, count in profile.size_.items()})


def level_terms(encoder: LevelMix, weights: np.ndarray) -> dict[str, dict[Any, float]]:
    """Each category's term for each of its levels and for blank, by encoding them all."""
    out: dict[str, dict[Any, float]] = {}
    offset = 0
    for name, table in encoder.tables_.items():
        probes = [*encoder.levels[name], np.nan]
        frame = pd.DataFrame({other: np.array([np.nan] * len(probes), dtype=object)
                              for other in encoder.tables_})
        frame[name] = np.array(probes, dtype=object)
        width = table.shape[1]
        encoded = encoder.transform(frame)[:, offset:offset + width]
        terms = (encoded @ weights[offset:offset + width]).tolist()
        out[name] = dict(zip([*encoder.levels[name], BLANK], terms))
        offset += width
    return out


def number_terms(transformer: Any, columns: list[str], weights: np.ndarray
                 ) -> dict[str, ScaledLine | SplineCurve] | None:
    """Each number's term from a fitted scaler or spline encoder; None for anything else."""
    if isinstance(transformer, StandardScaler):
        mean = transformer.mean_ if transformer.mean_ is not None else np.zeros(len(columns))
        scale = transformer.scale_ if transformer.scale_ is not None else np.ones(len(columns))
        return {name: ScaledLine(float(mean[i]), float(scale[i]), float(weights[i]))
                for i, name in enumerate(columns)}
    if not isinstance(transformer, SplineTransformer) or transformer.extrapolation != "constant" \
            or transformer.sparse_output:
        return None
    out: dict[str, ScaledLine | SplineCurve] = {}
    width = len(weights) // len(columns)
    for i, name in enumerate(columns):
        basis = transformer.bsplines_[i]
        block = weights[i * width:(i + 1) * width]
        if not transformer.include_bias:  # the dropped column is each feature's last spline
            block = np.append(block, 0.0)
        k = basis.k
        out[name] = SplineCurve(BSpline(basis.t, np.asarray(block, dtype=float), k,
                                        extrapolate=False),
                                low=float(basis.t[k]), high=float(basis.t[-k - 1]))
    return out
