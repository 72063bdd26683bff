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

from usecases.heart_disease.blanks import MISSING, Donors, category_codes, category_values
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
    A visitor's blank is never read as such a flag: it is completed first (see blanks.py).
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
    # The training patients that complete a row's blank inputs (see blanks.py). None in
    # artifacts from before: those score a blank through the pipeline's missing-value flags.
    donors: Donors | None = None

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
                      compiled=compile_pipeline(pipeline), donors=Donors.of(train))


def completes_blanks(model: HeartModel) -> bool:
    """Whether a blank input is averaged over plausible values (so it has no effect of its own)
    rather than read as "not measured" by the pipeline."""
    return getattr(model, "donors", None) is not None


def is_blank(value: Any) -> bool:
    """Whether an input is unknown: None, or NaN from a table."""
    return value is None or value != value


def has_blank(row: dict[str, Any]) -> bool:
    """Whether any input of the row is unknown."""
    return any(map(is_blank, map(row.get, FEATURES)))


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
    """Probability of disease per row, and each input's effect on it.

    Returns the probabilities (n_rows,) and the effects (n_rows, n_features): probability as
    given minus probability with that input at the reference, so a positive effect pushed
    towards disease. Rows with blanks are averaged over their completions (`score_completed`);
    the others are scored as given (`score_given`).
    """
    blank = np.array([completes_blanks(model) and has_blank(row) for row in rows], dtype=bool)
    if not blank.any():
        return score_given(model, rows)
    probability, effects = np.empty(len(rows)), np.empty((len(rows), len(FEATURES)))
    for part, scorer in ((blank, score_completed), (~blank, score_given)):
        if part.any():
            probability[part], effects[part] = scorer(model, [row for row, chosen
                                                              in zip(rows, part) if chosen])
    return probability, effects


def score_given(model: HeartModel, rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """`score` of rows as given, blanks read by the pipeline, in one model call.

    The batch holds every row as given, then every row with one input at a time replaced by the
    reference value: (1 + n_features) x n_rows rows scored together.
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


def score_completed(model: HeartModel, rows: list[dict[str, Any]]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """`score` of rows with blanks: the mean over each row's completions (see blanks.py).

    An effect is measured on every completion and averaged: one given input at a time replaced
    by the reference while the completions stay. A blank input's effect is 0.
    """
    donors = model.donors
    numbers = np.array([[row.get(name) for name in NUMBERS] for row in rows], dtype=float)
    codes = category_codes([[row.get(name) for name in CATEGORIES] for row in rows])
    picked = donors.nearest(numbers, codes)
    filled, lent = donors.lend(picked, numbers, codes)
    n_rows, count, n_features = len(rows), picked.shape[1], len(FEATURES)
    compiled = getattr(model, "compiled", None)
    if compiled is not None:
        levels = _compiled_codes(model, compiled)[lent, np.arange(lent.shape[1])]
        parts = compiled.shares(filled, levels)
        logit = compiled.intercept + parts.sum(axis=1)
        probability = logistic(logit)
        occluded_p = logistic(logit[:, None] - parts + _reference_shares(model, compiled))
    else:
        columns = {name: filled[:, j] for j, name in enumerate(NUMBERS)} | category_values(lent)
        batch = occluded(pd.DataFrame(columns, columns=list(FEATURES)), model.reference,
                         n_features + 1, NUMBERS)
        scored = model.predict_proba(batch)[:, 1].reshape(n_features + 1, -1)
        probability, occluded_p = scored[0], scored[1:].T
    probability = probability.reshape(n_rows, count).mean(axis=1)
    effects = probability[:, None] - occluded_p.reshape(n_rows, count, n_features).mean(axis=1)
    effects[np.concatenate([np.isnan(numbers), codes == MISSING], axis=1)] = 0.0
    return probability, effects


def _compiled_codes(model: HeartModel, compiled: CompiledLinear) -> np.ndarray:
    """(levels + 1, c) table: the compiled model's code of each category level, by its position
    in CATEGORIES; the last row (MISSING, -1) is the "unknown" level. Made once per model."""
    table = model.__dict__.get("_compiled_codes")
    if table is None:
        longest = max(len(levels) for levels in CATEGORIES.values())
        rows = [[levels[min(i, len(levels) - 1)] for levels in CATEGORIES.values()]
                for i in range(longest)]
        table = compiled.level_codes(rows + [[None] * len(CATEGORIES)], UNKNOWN)
        model.__dict__["_compiled_codes"] = table
    return table


def score_compiled(model: HeartModel, compiled: CompiledLinear,
                   rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """`score_given` through the compiled model, with no DataFrame and no occluded rows.

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
    if compiled is None or (completes_blanks(model) and has_blank(row)):
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
