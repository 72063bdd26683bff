"""The math score model: candidate pipelines, held-out metrics, batch scoring with effects."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler, TargetEncoder

from usecases import measures
from usecases.occlusion import occluded
from usecases.student_score.classroom import (FREE_LUNCH, KEY, NO_CLASSROOM, READING,
                                              ClassroomProfile, classroom_key, row_keys)
from usecases.student_score.compiled import CompiledRidge, compile_pipeline
from usecases.student_score.data import CATEGORIES, FEATURES, NUMBERS, TARGET
from usecases.student_score.levels import LevelMix
from usecases.training import SEED

# Levels seen fewer times than this share one column: four of the six pupil ethnicities cover 43
# of 6,379 pupils, and 22 pupils had a teacher with a PhD; alone they would only add noise.
RARE = 20
INTERVAL = (0.1, 0.9)  # the likely range is the middle 80% of held-out errors
# The compiled model must give the pipeline's held-out scores to within this, or is not served.
COMPILED_TOLERANCE = 1e-9
ALPHAS = np.logspace(-3, 3, 13)


def categories() -> LevelMix:
    """One column per level; rare levels pooled, a missing value counted as the usual mix."""
    return LevelMix(CATEGORIES, min_count=RARE)


def prepare(profile: bool, curves: bool) -> ColumnTransformer:
    """The inputs as numbers; with `profile`, the classroom profile's three columns too.

    `curves` puts the numbers through splines so a linear model can bend (the gain in math per
    reading point is not the same at both ends of the scale); trees need no such help.
    """
    numbers = SplineTransformer(n_knots=5) if curves else StandardScaler()
    classmates = SplineTransformer(n_knots=4) if curves else StandardScaler()
    parts: list[tuple[str, Any, list[str]]] = [
        ("categories", categories(), list(CATEGORIES)), ("numbers", numbers, list(NUMBERS))]
    if profile:
        # Cross-fitting keeps a pupil's own score out of their encoding; seeded folds keep it
        # repeatable (TargetEncoder's own random_state is deprecated in scikit-learn 1.9).
        encoder = TargetEncoder(target_type="continuous",
                                cv=KFold(n_splits=5, shuffle=True, random_state=SEED))
        parts += [("classroom", encoder, [KEY]),
                  ("classmates", classmates, [READING, FREE_LUNCH])]
    return ColumnTransformer(parts)


def candidates() -> dict[str, Pipeline]:
    """The algorithms compared, cheapest first; each is one whole pipeline.

    Every pipeline starts with the classroom profile so they all read the same frame; the first
    candidate ignores it, which shows on the leaderboard what the profile is worth. Sizes keep
    the whole training within about ten seconds on two cores.
    """
    estimators = {
        "ridge, inputs only": (RidgeCV(alphas=ALPHAS), False, False),
        "ridge + classroom profile": (RidgeCV(alphas=ALPHAS), True, True),
        "gradient boosting + classroom profile": (GradientBoostingRegressor(
            n_estimators=80, max_depth=3, learning_rate=0.08, subsample=0.8,
            random_state=SEED), True, False),
        # n_jobs=1: threads would cost more than they save on a one-row web request.
        "random forest + classroom profile": (RandomForestRegressor(
            n_estimators=40, min_samples_leaf=10, max_features=0.5, random_state=SEED,
            n_jobs=1), True, False),
    }
    return {name: Pipeline([("profile", ClassroomProfile()), ("prepare", prepare(profile, curves)),
                            ("regress", estimator)])
            for name, (estimator, profile, curves) in estimators.items()}


@dataclass
class ScoreModel:
    """What is served: the evaluated pipeline plus what the result page needs beside it.

    `reference` is a typical training pupil (median numbers, most common levels); an input's
    effect is how far the score moves when that input alone takes the reference value.
    `low` and `high` are the 10% and 90% quantiles of held-out errors (truth minus prediction),
    and `typical_error` the held-out mean absolute error, all in score points.
    """

    pipeline: Pipeline
    reference: dict[str, Any]
    low: float
    high: float
    typical_error: float
    # The same pipeline as numpy arithmetic (linear winners only); what serving uses.
    compiled: CompiledRidge | None = None

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.pipeline.predict(frame)

    def classmates(self, keys: pd.Series) -> np.ndarray:
        return self.pipeline.named_steps["profile"].classmates(keys)


def reference_of(train: pd.DataFrame) -> dict[str, Any]:
    """A typical training pupil: medians of the numbers, most common level of each category."""
    reference: dict[str, Any] = {name: float(train[name].median()) for name in NUMBERS}
    reference |= {name: str(train[name].mode().iloc[0]) for name in CATEGORIES}
    return reference


def fit(pipeline: Pipeline, train: pd.DataFrame, test: pd.DataFrame
        ) -> tuple[ScoreModel, dict[str, float]]:
    """Fit on all training rows, measure on the held-out rows, keep the error range."""
    pipeline.fit(train[list(FEATURES)], train[TARGET])
    truth = test[TARGET].to_numpy()
    guess = pipeline.predict(test[list(FEATURES)])
    errors = truth - guess
    low, high = (float(q) for q in np.quantile(errors, INTERVAL))
    baseline = np.full_like(truth, float(train[TARGET].mean()))
    metrics = measures.regression(truth, guess) | {
        f"baseline_{name}": value for name, value in measures.regression(truth, baseline).items()
    } | {"interval_width": high - low}
    model = ScoreModel(pipeline=pipeline, reference=reference_of(train), low=low, high=high,
                       typical_error=metrics["mae"], compiled=compile_pipeline(pipeline))
    if model.compiled is not None:
        # A last check that what is served is what was evaluated: a fitted step the compiler
        # misreads (say, after a scikit-learn upgrade) leaves serving on the pipeline.
        compiled_guess, _, _ = score_compiled(model, model.compiled, to_rows(test))
        if not np.abs(compiled_guess - guess).max() <= COMPILED_TOLERANCE:
            model.compiled = None
    return model, metrics


def to_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Data rows as the validated inputs predict() receives: NaN becomes None."""
    return [{name: None if isinstance(value, float) and np.isnan(value) else value
             for name, value in record.items()}
            for record in frame[list(FEATURES)].to_dict("records")]


def to_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One frame for a batch of validated inputs; None (left unknown) becomes NaN."""
    columns: dict[str, np.ndarray] = {
        name: np.array([row.get(name) for row in rows], dtype=float) for name in NUMBERS}
    for name in CATEGORIES:
        columns[name] = np.array([np.nan if row.get(name) is None else row[name] for row in rows],
                                 dtype=object)
    return pd.DataFrame(columns, columns=list(FEATURES))


def score(model: ScoreModel, rows: list[dict[str, Any]]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores, each input's effect, and classmates in the study, in one model call.

    The batch holds every row as given, then every row with one input replaced by the reference
    value, then every row with no known classroom: (n_features + 2) x n_rows rows. The classroom
    key is computed from the rows as given and pinned in all blocks but the last, so a teacher
    input's effect is that input's own, not "a different classroom". Returns the scores (n_rows,),
    the effects (n_rows, n_features + 1: FEATURES then the classroom), score as given minus score
    with that part at the reference, and the number of training pupils sharing each profile.
    """
    compiled = getattr(model, "compiled", None)  # artifacts from before compiling lack it
    if compiled is not None:
        return score_compiled(model, compiled, rows)
    frame = to_frame(rows)
    n_rows, n_features = frame.shape
    batch = occluded(frame, model.reference, n_features + 2, NUMBERS)
    keys = classroom_key(frame)
    pinned = np.tile(keys.to_numpy(dtype=object), n_features + 2)
    pinned[-n_rows:] = NO_CLASSROOM
    batch[KEY] = pinned
    predicted = model.predict(batch).reshape(n_features + 2, n_rows)
    effects = (predicted[0] - predicted[1:]).T
    return predicted[0], effects, model.classmates(keys)


def score_compiled(model: ScoreModel, compiled: CompiledRidge, rows: list[dict[str, Any]]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`score` through the compiled model: no frame, no occlusion batch.

    The score is a sum of one term per input plus the classroom's, so replacing one input by the
    reference value (classroom pinned) moves the score by exactly that input's term minus the
    reference's; the classroom's effect is its term minus that of a classroom the study lacks.
    """
    keys = row_keys(rows, NUMBERS)
    terms = compiled.terms(rows, keys)
    reference = compiled.terms([model.reference], [NO_CLASSROOM])[0]
    classmates = np.array([compiled.classmates.get(key, 0) for key in keys], dtype=int)
    return compiled.intercept + terms.sum(axis=1), terms - reference, classmates
