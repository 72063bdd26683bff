"""The heart disease model: candidate pipelines, held-out metrics, batch scoring with effects."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from usecases.heart_disease.compiled import (CompiledLinear, compile_pipeline, logistic,
                                             logistic_of)
from usecases.heart_disease.data import CATEGORIES, FEATURES, NUMBERS, TARGET
from usecases.occlusion import occluded
from usecases.training import SEED

UNKNOWN = "unknown"


def preprocessor() -> ColumnTransformer:
    """Impute, flag what was missing, scale numbers and one-hot the categories.

    The missing flags matter here: which tests a site did not run says something about the
    patient (CV ROC AUC about 0.90 with them, 0.88 without). Categories are listed up front, and a
    missing one becomes its own "unknown" level, so no fold ever meets a level it has not seen.
    """
    numbers = make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                            StandardScaler())
    levels = [list(values) + [UNKNOWN] for values in CATEGORIES.values()]
    categories = make_pipeline(SimpleImputer(strategy="constant", fill_value=UNKNOWN),
                               OneHotEncoder(categories=levels))
    return ColumnTransformer([("numbers", numbers, list(NUMBERS)),
                              ("categories", categories, list(CATEGORIES))])


def candidates() -> dict[str, Pipeline]:
    """The algorithms compared, cheapest to serve first; each is one whole pipeline.

    Sizes are kept small: the whole training must stay within seconds on two cores, and a single
    web prediction should cost about a millisecond of model time.
    """
    estimators = {
        "logistic regression (C=0.1)": LogisticRegression(C=0.1, max_iter=1000),
        "logistic regression (C=1)": LogisticRegression(C=1.0, max_iter=1000),
        "gradient boosting": GradientBoostingClassifier(
            n_estimators=150, max_depth=2, learning_rate=0.05, subsample=0.8,
            random_state=SEED),
        # n_jobs=1: threads would cost more than they save on a one-row web request.
        "random forest": RandomForestClassifier(
            n_estimators=150, min_samples_leaf=3, random_state=SEED, n_jobs=1),
    }
    return {name: Pipeline([("prepare", preprocessor()), ("classify", estimator)])
            for name, estimator in estimators.items()}


@dataclass
class HeartModel:
    """What is served: the evaluated pipeline plus the reference patient used for explanations.

    `reference` holds the training median of each number and the most common level of each
    category; an input's effect is how far the probability moves when that input alone is
    replaced by the reference value.
    """

    pipeline: Pipeline
    reference: dict[str, Any]
    # The same pipeline as numpy arithmetic (logistic winners only); what serving uses.
    compiled: CompiledLinear | None = None

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.pipeline.predict_proba(frame)


def reference_of(train: pd.DataFrame) -> dict[str, Any]:
    """A typical training patient: medians of the numbers, most common level of each category."""
    reference: dict[str, Any] = {name: float(train[name].median()) for name in NUMBERS}
    reference |= {name: str(train[name].mode().iloc[0]) for name in CATEGORIES}
    return reference


def fit(pipeline: Pipeline, train: pd.DataFrame) -> HeartModel:
    """Fit the chosen pipeline on all training rows and keep the reference patient beside it."""
    pipeline.fit(train[list(FEATURES)], train[TARGET])
    return HeartModel(pipeline=pipeline, reference=reference_of(train),
                      compiled=compile_pipeline(pipeline))


def to_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One frame for a batch of validated inputs; None (left unknown) becomes NaN."""
    # numpy turns None (and True/False) into NaN (and 1.0/0.0) when asked for floats.
    columns: dict[str, np.ndarray] = {
        name: np.array([row.get(name) for row in rows], dtype=float) for name in NUMBERS}
    for name in CATEGORIES:
        values = [row.get(name) for row in rows]
        columns[name] = np.array([np.nan if v is None else v for v in values], dtype=object)
    return pd.DataFrame(columns, columns=list(FEATURES))


def score(model: HeartModel, rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Probability of disease per row, and each input's effect on it, in one model call.

    The batch holds every row as given, then every row with one input at a time replaced by the
    reference value: (1 + n_features) x n_rows rows scored together. Returns the probabilities
    (n_rows,) and the effects (n_rows, n_features): probability as given minus probability with
    that input at the reference, so a positive effect pushed towards disease.
    """
    compiled = getattr(model, "compiled", None)  # artifacts from before compiling lack it
    if compiled is not None:
        return score_compiled(model, compiled, rows)
    frame = to_frame(rows)
    n_rows, n_features = frame.shape
    batch = occluded(frame, model.reference, n_features + 1, NUMBERS)
    probability = model.predict_proba(batch)[:, 1].reshape(n_features + 1, n_rows)
    effects = (probability[0] - probability[1:]).T
    return probability[0], effects


def score_compiled(model: HeartModel, compiled: CompiledLinear,
                   rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """`score` through the compiled model, with no DataFrame and no occluded rows.

    The model is linear in the logit, so a row with input j at the reference has the logit of
    the row as given, minus input j's part, plus the reference's part: the same probabilities
    the occluded batch gives, from one pass over the rows.
    """
    if len(rows) == 1:
        return score_one(model, compiled, rows[0])
    reference = model.reference
    numbers = np.array([[row.get(name) for name in NUMBERS] for row in rows]
                       + [[reference[name] for name in NUMBERS]], dtype=float)
    codes = compiled.level_codes([[row.get(name) for name in CATEGORIES] for row in rows]
                                 + [[reference[name] for name in CATEGORIES]], UNKNOWN)
    parts = compiled.shares(numbers, codes)
    given, reference_parts = parts[:-1], parts[-1]
    logit = compiled.intercept + given.sum(axis=1)
    occluded = logistic(logit[:, None] - given + reference_parts)
    probability = logistic(logit)
    return probability, probability[:, None] - occluded


def score_one(model: HeartModel, compiled: CompiledLinear,
              row: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """`score_compiled` of a single row, as arrays (see `score_row`)."""
    probability, effects = score_row(model, row)
    return np.array([probability]), np.array([effects])


def score_row(model: HeartModel, row: dict[str, Any]) -> tuple[float, list[float]]:
    """`score` of a single row, in plain Python (a web request's usual case): the probability
    and each input's effect, in the order of FEATURES."""
    compiled = getattr(model, "compiled", None)
    if compiled is None:
        probabilities, effects = score(model, [row])
        return float(probabilities[0]), effects[0].tolist()
    given = compiled.shares_of_one([row.get(name) for name in NUMBERS],
                                   [row.get(name) for name in CATEGORIES], UNKNOWN)
    logit = compiled.intercept + sum(given)
    probability = logistic_of(logit)
    return probability, [probability - logistic_of(logit - part + other)
                         for part, other in zip(given, _reference_shares(model, compiled))]


def _reference_shares(model: HeartModel, compiled: CompiledLinear) -> list[float]:
    """The reference patient's share of the logit per input; the same for every row, so worked
    out once per loaded model."""
    shares = model.__dict__.get("_reference_shares")
    if shares is None:
        reference = model.reference
        shares = compiled.shares_of_one([reference[name] for name in NUMBERS],
                                        [reference[name] for name in CATEGORIES], UNKNOWN)
        model.__dict__["_reference_shares"] = shares
    return shares
