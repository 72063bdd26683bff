"""The model of a use case made from a table: candidate pipelines built from its fields, held-out
metrics, and batch scoring with each input's effect (occlusion against a typical row)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from usecases.fields import Boolean, Choice, Field, Number, Text
from usecases.occlusion import occluded
from usecases.training import SEED

UNKNOWN = "unknown"
# Words kept per text column: enough for reviews or notes, small enough to train in seconds.
TEXT_FEATURES = 5000
# Boosting stops when a tenth of its training rows stops improving: a class per tree makes a
# fixed 200 rounds slow for several classes (a five-class table took minutes on two cores).
BOOSTING = {"max_iter": 200, "learning_rate": 0.1, "max_leaf_nodes": 15,
            "early_stopping": True, "validation_fraction": 0.1, "n_iter_no_change": 10,
            "random_state": SEED}


def _as_text(column: Any) -> np.ndarray:
    """One text column as a 1-d array of strings (a missing text is an empty one)."""
    values = np.asarray(column, dtype=object).reshape(-1)
    return np.array(["" if v is None or v != v else str(v) for v in values], dtype=object)


def preprocessor(fields: tuple[Field, ...]) -> ColumnTransformer:
    """Numbers imputed (with a flag for what was missing) and scaled; choices and yes/no one-hot
    with a level of their own for "unknown"; each text column a bag of words (tf-idf)."""
    numbers = [f.name for f in fields if isinstance(f, Number)]
    levels = [f for f in fields if isinstance(f, (Choice, Boolean))]
    parts: list[tuple[str, Any, Any]] = []
    if numbers:
        parts.append(("numbers", make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler()), numbers))
    if levels:
        categories = [[v for v, _ in f.choices] + [UNKNOWN] if isinstance(f, Choice)
                      else ["false", "true", UNKNOWN] for f in levels]
        parts.append(("levels", make_pipeline(
            SimpleImputer(strategy="constant", fill_value=UNKNOWN, keep_empty_features=True),
            OneHotEncoder(categories=categories, handle_unknown="ignore")),
            [f.name for f in levels]))
    for f in fields:
        if isinstance(f, Text):
            parts.append((f"text:{f.name}", make_pipeline(
                FunctionTransformer(_as_text), TfidfVectorizer(
                    max_features=TEXT_FEATURES, ngram_range=(1, 2), min_df=2,
                    sublinear_tf=True)), f.name))
    # Dense unless there is text: gradient boosting takes dense input only (it sits out with
    # text, whose bags of words stay sparse).
    text = any(isinstance(f, Text) for f in fields)
    return ColumnTransformer(parts, sparse_threshold=0.3 if text else 0.0)


def candidates(fields: tuple[Field, ...], task: str) -> dict[str, Pipeline]:
    """The algorithms compared: a linear model, a random forest and histogram gradient
    boosting, each one whole pipeline. Sizes keep training within seconds on two cores."""
    if task == "regression":
        estimators: dict[str, Any] = {
            "ridge regression": RidgeCV(alphas=np.logspace(-3, 3, 13)),
            "random forest": RandomForestRegressor(n_estimators=150, min_samples_leaf=3,
                                                   random_state=SEED, n_jobs=1),
            "histogram gradient boosting": HistGradientBoostingRegressor(**BOOSTING),
        }
    else:
        estimators = {
            "logistic regression": LogisticRegression(C=1.0, max_iter=2000),
            "random forest": RandomForestClassifier(n_estimators=150, min_samples_leaf=2,
                                                    random_state=SEED, n_jobs=1),
            "histogram gradient boosting": HistGradientBoostingClassifier(**BOOSTING),
        }
    # Gradient boosting needs dense input; the text parts are sparse, so it sits out with text.
    if any(isinstance(f, Text) for f in fields):
        estimators.pop("histogram gradient boosting")
    return {name: Pipeline([("prepare", preprocessor(fields)), ("model", estimator)])
            for name, estimator in estimators.items()}


@dataclass
class TableModel:
    """What is served: the evaluated pipeline, the typical row explanations start from, and
    (regression) the spread of held-out errors."""

    pipeline: Pipeline
    task: str
    columns: list[str]
    reference: dict[str, Any]
    classes: list[str] = field(default_factory=list)
    interval: tuple[float, float] = (0.0, 0.0)  # 10th and 90th percentile of held-out errors
    typical_error: float = 0.0


def reference_of(fields: tuple[Field, ...], train: pd.DataFrame) -> dict[str, Any]:
    """A typical training row: the median of each number, the most common value of each choice
    and yes/no, and an empty text."""
    reference: dict[str, Any] = {}
    for f in fields:
        column = train[f.name]
        if isinstance(f, Number):
            median = column.astype(float).median()
            reference[f.name] = 0.0 if pd.isna(median) else float(median)
        elif isinstance(f, Text):
            reference[f.name] = ""
        else:
            mode = column.dropna().mode()
            reference[f.name] = str(mode.iloc[0]) if len(mode) else UNKNOWN
    return reference


def to_frame(fields: tuple[Field, ...], rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One frame in the trainer's columns for a batch of validated inputs: numbers as floats
    (None as NaN), yes/no as "true"/"false", the rest as given."""
    columns: dict[str, np.ndarray] = {}
    for f in fields:
        values = [row.get(f.name) for row in rows]
        if isinstance(f, Number):
            columns[f.name] = np.array(values, dtype=float)
        elif isinstance(f, Boolean):
            columns[f.name] = np.array([np.nan if v is None else ("true" if v else "false")
                                        for v in values], dtype=object)
        else:
            columns[f.name] = np.array([np.nan if v is None else v for v in values],
                                       dtype=object)
    return pd.DataFrame(columns, columns=[f.name for f in fields])


def score(model: TableModel, fields: tuple[Field, ...], rows: list[dict[str, Any]]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Predictions for a batch and each input's effect, in one model call.

    The batch holds every row as given, then every row with one input at a time put back to the
    typical row's value. Regression: (values, effects on the value, None). Classification:
    (predicted class per row, effects on that class's probability, probabilities per class).
    """
    frame = to_frame(fields, rows)
    n_rows, n_features = frame.shape
    numbers = [f.name for f in fields if isinstance(f, Number)]
    batch = occluded(frame, model.reference, n_features + 1, numbers)
    if model.task == "regression":
        values = model.pipeline.predict(batch).reshape(n_features + 1, n_rows)
        return values[0], (values[0] - values[1:]).T, None
    probabilities = model.pipeline.predict_proba(batch).reshape(
        n_features + 1, n_rows, len(model.pipeline.classes_))
    chosen = probabilities[0].argmax(axis=1)
    picked = np.take_along_axis(probabilities, chosen[None, :, None], axis=2)[:, :, 0]
    labels = np.asarray(model.pipeline.classes_)[chosen]
    return labels, (picked[0] - picked[1:]).T, probabilities[0]
