"""The fitted logistic pipeline rewritten as a few numpy operations, for serving.

scikit-learn spends milliseconds per call on input checks and DataFrame handling, far more than
the arithmetic of a 30-weight linear model. `compile_pipeline` reads the fitted steps' learned
state (medians, missing flags, means, scales, categories, weights) and `CompiledLinear` applies
exactly those steps to plain arrays. Tests hold it to the pipeline's probabilities within 1e-9.
Only the logistic winner is compiled; a tree model keeps serving through the pipeline.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


@dataclass(frozen=True)
class CompiledLinear:
    """impute -> flag missing -> scale numbers; one-hot categories; logistic function."""

    medians: np.ndarray        # (k,) training median per number
    flagged: np.ndarray        # indices of the numbers that get a missing-value flag
    mean: np.ndarray           # (k + len(flagged),) scaler means
    scale: np.ndarray          # (k + len(flagged),) scaler scales
    levels: tuple[tuple[str, ...], ...]  # one-hot levels of each category, in order
    coef: np.ndarray           # (d,) weights of the design columns
    intercept: float

    def level_codes(self, categories: list[list[Any]], missing: str) -> np.ndarray:
        """(n, c) integer codes of category values; None means `missing`."""
        lookup = self._serving().lookup
        return np.array([[lookup[j][missing if v is None else v] for j, v in enumerate(row)]
                         for row in categories], dtype=np.int64).reshape(len(categories),
                                                                         len(self.levels))

    def shares(self, numbers: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """(n, k + c): each input's additive part of the logit.

        A number's part includes its missing flag, a category's is the weight of its level; the
        logit is the intercept plus their sum. Replacing one input changes its part only, which
        is what makes occlusion effects exact without scoring one row per input.
        """
        ready = self._serving()
        k = numbers.shape[1]
        missing = np.isnan(numbers)
        parts = np.empty((numbers.shape[0], k + codes.shape[1]))
        parts[:, :k] = (np.where(missing, self.medians, numbers) - self.mean[:k]) * ready.weight
        parts[:, self.flagged] += (missing[:, self.flagged] - ready.flag_mean) * ready.flag_weight
        parts[:, k:] = self.coef[ready.level_offsets + codes]
        return parts

    def shares_of_one(self, numbers: list[float | None], categories: list[str | None],
                      missing: str) -> list[float]:
        """`shares` of a single input, in plain Python: for one row, numpy's per-call cost was
        most of the work. The same operations in the same order, so each part is the same."""
        ready = self._serving()
        parts = []
        for j, value in enumerate(numbers):
            absent = value is None or value != value  # None or NaN
            part = ((ready.medians[j] if absent else value) - ready.means[j]) * ready.weights[j]
            flag = ready.flags[j]
            if flag is not None:
                part += ((1.0 if absent else 0.0) - flag[0]) * flag[1]
            parts.append(part)
        for j, value in enumerate(categories):
            code = ready.lookup[j][missing if value is None else value]
            parts.append(ready.coefs[ready.offsets[j] + code])
        return parts

    def probability(self, numbers: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """P(class 1) for (n, k) numbers (NaN = missing) and (n, c) category codes."""
        return logistic(self.intercept + self.shares(numbers, codes).sum(axis=1))

    def _serving(self) -> "_Serving":
        # Derived once per loaded model and kept out of the fields, so artifacts keep their shape.
        ready = self.__dict__.get("_ready")
        if ready is None:
            ready = _Serving.of(self)
            object.__setattr__(self, "_ready", ready)
        return ready


@dataclass(frozen=True)
class _Serving:
    """Constants of `CompiledLinear.shares`: weights over scales, where each category starts."""

    weight: np.ndarray         # (k,) coef / scale of the numbers
    flag_mean: np.ndarray      # scaler means of the missing flags
    flag_weight: np.ndarray    # coef / scale of the missing flags
    level_offsets: np.ndarray  # (c,) index in coef of each category's first level
    lookup: list[dict[str, int]]  # level -> code, per category
    # The same numbers as Python floats, for shares_of_one.
    medians: list[float]
    means: list[float]
    weights: list[float]
    flags: list[tuple[float, float] | None]  # per number: its flag's (mean, weight), if flagged
    coefs: list[float]
    offsets: list[int]

    @classmethod
    def of(cls, model: CompiledLinear) -> "_Serving":
        k, f = len(model.medians), len(model.flagged)
        sizes = [len(levels) for levels in model.levels]
        starts = (k + f + np.concatenate([[0], np.cumsum(sizes)[:-1]])).astype(np.int64)
        weight = model.coef[:k] / model.scale[:k]
        flag_mean, flag_weight = model.mean[k:k + f], model.coef[k:k + f] / model.scale[k:k + f]
        flags: list[tuple[float, float] | None] = [None] * k
        for i, j in enumerate(model.flagged.tolist()):
            flags[j] = (float(flag_mean[i]), float(flag_weight[i]))
        return cls(weight=weight, flag_mean=flag_mean, flag_weight=flag_weight,
                   level_offsets=starts,
                   lookup=[{level: i for i, level in enumerate(levels)}
                           for levels in model.levels],
                   medians=model.medians.tolist(), means=model.mean[:k].tolist(),
                   weights=weight.tolist(), flags=flags, coefs=model.coef.tolist(),
                   offsets=starts.tolist())


def logistic(logit: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logit))


def logistic_of(logit: float) -> float:
    """`logistic` of one number, with the standard library's exp."""
    return 1.0 / (1.0 + math.exp(-logit))


def compile_pipeline(pipeline: Pipeline) -> CompiledLinear | None:
    """The compiled form of a fitted heart-disease pipeline, or None if it is not logistic."""
    classifier = pipeline.named_steps["classify"]
    if not isinstance(classifier, LogisticRegression) or classifier.coef_.shape[0] != 1:
        return None
    prepare = pipeline.named_steps["prepare"]
    imputer, scaler = prepare.named_transformers_["numbers"].steps[0][1], \
        prepare.named_transformers_["numbers"].steps[1][1]
    encoder = prepare.named_transformers_["categories"].steps[-1][1]
    flagged = (imputer.indicator_.features_ if imputer.indicator_ is not None
               else np.array([], dtype=np.int64))
    return CompiledLinear(
        medians=np.asarray(imputer.statistics_, dtype=float),
        flagged=np.asarray(flagged, dtype=np.int64),
        mean=np.asarray(scaler.mean_, dtype=float), scale=np.asarray(scaler.scale_, dtype=float),
        levels=tuple(tuple(str(v) for v in levels) for levels in encoder.categories_),
        coef=np.asarray(classifier.coef_[0], dtype=float),
        intercept=float(classifier.intercept_[0]))
