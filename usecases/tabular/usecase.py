"""A use case built from a spec: the fields, target and task an admin accepted for a table.

The spec is plain JSON (kept by the registry); its rows come from a loader the registry gives, so
this module needs neither Flask nor the database.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from usecases import measures
from usecases.base import Dataset, Progress, TrainedModel, UseCase
from usecases.fields import Boolean, Choice, Field, Number, Text, field_from_spec
from usecases.tabular import model as table_model
from usecases.training import SEED, compare_candidates

TOP_EFFECTS = 6
TEST_SHARE = 0.25
FOLDS = 5


class SpecError(ValueError):
    """A spec that does not describe a use case; the message says what is wrong."""


class TabularUseCase(UseCase):
    """Regression or classification of one column of an admin's table from the others."""

    def __init__(self, spec: Mapping[str, Any],
                 loader: Callable[[], Dataset] | None = None) -> None:
        try:
            self.name = str(spec["name"])
            self.title = str(spec.get("title") or spec["name"])
            self.task = str(spec["task"])
            inputs = list(spec["inputs"])
            self.fields = tuple(field_from_spec(f) for f in inputs)
            self.target = field_from_spec(spec["target"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"not a use case spec: {exc}") from None
        if self.task not in ("regression", "classification"):
            raise SpecError(f"task must be regression or classification, not {self.task!r}")
        if not self.fields:
            raise SpecError("a use case needs at least one input")
        if self.task == "classification" and not isinstance(self.target, Choice):
            raise SpecError("a classification target must be a choice of classes")
        if self.task == "regression" and not isinstance(self.target, Number):
            raise SpecError("a regression target must be a number")
        self.spec = dict(spec)
        self.description = str(spec.get("description") or
                               f"Predict {self.target.label.lower()} from "
                               f"{len(self.fields)} columns of a table.")
        self.data_source = str(spec.get("source") or "a table uploaded by an admin")
        self.examples = {str(k): dict(v) for k, v in (spec.get("examples") or {}).items()}
        if not self.examples:  # the contract asks for one; a typical row will do
            self.examples = {"A typical row": {f.name: None for f in self.fields}}
        self.classes = [value for value, _ in self.target.choices] \
            if isinstance(self.target, Choice) else []
        if self.task == "regression":
            self.primary_metric, self.higher_is_better = "r2", True
        else:
            self.primary_metric = "roc_auc" if len(self.classes) == 2 else "balanced_accuracy"
            self.higher_is_better = True
        # The table's own headers, for uploads of more rows in the same shape.
        self.column_aliases = {str(f["column"]): f["name"]
                               for f in inputs + [spec["target"]]
                               if isinstance(f, Mapping) and f.get("column")
                               and f["column"] != f["name"]}
        self._loader = loader
        self._schema = [f.describe() for f in self.fields]
        self._views: dict[str, TabularUseCase] = {}

    def for_schema(self, schema: list[dict[str, Any]] | None) -> "TabularUseCase":
        """This use case with the inputs a version was trained on (a version from before the
        inputs were changed serves the form it was made for), built once per schema."""
        if not schema or schema == self._schema:
            return self
        key = json.dumps(schema, sort_keys=True)
        view = self._views.get(key)
        if view is None:
            names = {field.get("name") for field in schema}
            examples = {title: {k: v for k, v in values.items() if k in names}
                        for title, values in self.examples.items()}
            view = TabularUseCase(self.spec | {"name": self.name, "title": self.title,
                                               "inputs": schema, "examples": examples},
                                  loader=self._loader)
            self._views[key] = view
        return view

    # -- data --------------------------------------------------------------------------------
    def load_data(self) -> Dataset:
        if self._loader is None:
            raise SpecError(f"use case {self.name!r} has no data to load")
        return self._loader()

    def split(self, frame: pd.DataFrame, source: str) -> Dataset:
        """Training and held-out rows of the table (a quarter held out, by class when
        classifying), with a fixed seed."""
        stratify = frame[self.target.name] if self.task == "classification" else None
        train, test = train_test_split(frame, test_size=TEST_SHARE, random_state=SEED,
                                       stratify=stratify)
        return Dataset(train.reset_index(drop=True), test.reset_index(drop=True), source)

    @property
    def positive_class(self) -> str | None:
        """The class whose probability the held-out ROC AUC ranks by (see measure)."""
        return self.classes[1] if len(self.classes) == 2 else None

    def labelled_frame(self, rows: list[dict[str, Any]], targets: list[Any]) -> pd.DataFrame:
        frame = table_model.to_frame(self.fields, rows)
        frame[self.target.name] = (np.array(targets, dtype=float) if self.task == "regression"
                                   else np.array([str(t) for t in targets], dtype=object))
        return frame

    def measure(self, results: list[dict[str, Any]], frame: pd.DataFrame) -> dict[str, float]:
        """R-squared, RMSE and MAE for regression; accuracy, balanced accuracy, macro F1 and
        (two classes) the ROC AUC of the second class's probability for classification."""
        truth = frame[self.target.name].to_numpy()
        if self.task == "regression":
            return measures.regression(truth.astype(float),
                                       np.array([result["output"] for result in results]))
        positive = self.positive_class
        return measures.classes(
            truth.astype(str), np.array([result["output"] for result in results]), positive,
            None if positive is None else
            np.array([result["probabilities"].get(positive, 0.0) for result in results]))

    # -- training ----------------------------------------------------------------------------
    def train(self, data: Dataset, progress: Progress) -> TrainedModel:
        """Cross-validate the candidates on the training rows, refit the best on all of them,
        measure it on the held-out rows."""
        progress(0.05, "preparing the training rows")
        columns = [f.name for f in self.fields]
        X, y = data.train[columns], data.train[self.target.name]
        candidates = table_model.candidates(self.fields, self.task)
        if self.task == "regression":
            cv: Any = KFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
        else:
            cv = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
        board = compare_candidates(candidates, X, y, scoring=self.primary_metric, cv=cv,
                                   progress=progress, span=(0.1, 0.8))
        progress(0.85, f"refitting {board.best} on all training rows")
        pipeline = clone(candidates[board.best]).fit(X, y)
        model = table_model.TableModel(
            pipeline=pipeline, task=self.task, columns=columns, classes=self.classes,
            reference=table_model.reference_of(self.fields, data.train))
        test = data.test[columns]
        if self.task == "regression":
            errors = data.test[self.target.name].to_numpy() - pipeline.predict(test)
            model.interval = (float(np.quantile(errors, 0.1)), float(np.quantile(errors, 0.9)))
            model.typical_error = float(np.mean(np.abs(errors)))
        metrics = self.evaluate(model, data.test)
        progress(0.95, "measured on the held-out rows")
        params = {"algorithm": board.best, f"cv_{self.primary_metric}": board.rows[0]["cv_score"],
                  "cv_folds": FOLDS, "features": columns, "task": self.task}
        progress(1.0, "done")
        return TrainedModel(model=model, params=params, metrics=metrics,
                            leaderboard=board.to_list())

    # -- serving -----------------------------------------------------------------------------
    def predict(self, model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The prediction for each row and the inputs that moved it most.

        Regression adds `interval` (the middle 80% of held-out errors around the value) and
        `typical_error`; classification adds `probabilities` (class -> probability) and the
        explanation's effects are on the predicted class's probability.
        """
        if not rows:
            return []
        predicted, effects, probabilities = table_model.score(model, self.fields, rows)
        results = []
        for i, row in enumerate(rows):
            order = sorted(range(len(self.fields)), key=lambda j: abs(effects[i, j]),
                           reverse=True)[:TOP_EFFECTS]
            explanation = [{"feature": self.fields[j].label,
                            "value": shown(self.fields[j], row.get(self.fields[j].name)),
                            "effect": round(float(effects[i, j]), 4)} for j in order]
            if self.task == "regression":
                value = float(predicted[i])
                low, high = value + model.interval[0], value + model.interval[1]
                results.append({
                    "output": round(value, 2), "interval": [round(low, 2), round(high, 2)],
                    "typical_error": round(model.typical_error, 2),
                    "summary": f"{self.target.label} {value:,.1f} "
                               f"(likely {low:,.1f} to {high:,.1f})",
                    "explanation": explanation})
            else:
                label = str(predicted[i])
                chances = {str(c): round(float(p), 4)
                           for c, p in zip(model.pipeline.classes_, probabilities[i])}
                text = self.target.labels.get(label, label)
                results.append({
                    "output": label, "probabilities": chances,
                    "summary": f"{self.target.label}: {text} ({chances[label]:.0%} likely)",
                    "explanation": explanation})
        return results

    @property
    def result_template(self) -> str:
        return "tabular/result.html"


def shown(field: Field, value: Any) -> str:
    """An input's value as a person reads it in an explanation."""
    if value is None:
        return "unknown"
    if isinstance(field, Choice):
        return field.labels.get(value, str(value))
    if isinstance(field, Boolean):
        return "yes" if value else "no"
    if isinstance(field, Number):
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return f"{text} {field.unit}".strip()
    if isinstance(field, Text):
        return value if len(value) <= 60 else value[:57] + "…"
    return str(value)


def examples_from(usecase: TabularUseCase, frame: pd.DataFrame, count: int = 3
                  ) -> dict[str, dict[str, Any]]:
    """Example inputs taken from real rows: one per class (the most common classes), or the
    rows nearest the low, middle and high target values."""
    target = usecase.target.name
    chosen: dict[str, pd.Series] = {}
    if usecase.task == "classification":
        labels = usecase.target.labels
        for value in frame[target].value_counts().index[:count]:
            row = frame[frame[target] == value].iloc[0]
            chosen[f"A row whose {usecase.target.label.lower()} was "
                   f"{labels.get(str(value), value)}"] = row
    else:
        ordered = frame.sort_values(target, kind="stable").reset_index(drop=True)
        for title, at in (("low", 0.1), ("middle", 0.5), ("high", 0.9)):
            row = ordered.iloc[min(len(ordered) - 1, int(at * len(ordered)))]
            chosen[f"A row with a {title} {usecase.target.label.lower()} "
                   f"({row[target]:,.0f})"] = row
    return {title: {f.name: plain(f, row[f.name]) for f in usecase.fields}
            for title, row in chosen.items()}


def plain(field: Field, value: Any) -> Any:
    """A frame's cell as the JSON input the form and API take."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(field, Number):
        return int(value) if field.integer else float(value)
    if isinstance(field, Boolean):
        return value in (True, "true")
    return str(value)
