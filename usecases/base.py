"""The contract every use case implements.

A use case is a subclass of `UseCase` published under the `modelhub.usecases` entry-point group.
The host (portal and registry) only ever talks to a use case through the members below.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

import pandas as pd
from flask import Blueprint

from usecases.fields import Boolean, Choice, Field, FieldError

# progress(fraction 0..1, message): how a trainer says how far it is.
Progress = Callable[[float, str], None]

# A choice field with at most this many values is a group a model card measures by default.
FEW_LEVELS = 8

TASKS = ("regression", "classification", "text-classification", "recommendation")


@dataclass
class Dataset:
    """A use case's data after cleaning: training rows and held-out test rows.

    `fingerprint` is the sha256 of both frames' contents, so the same data gives the same value.
    """

    train: pd.DataFrame
    test: pd.DataFrame
    source: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for frame in (self.train, self.test):
            digest.update(",".join(map(str, frame.columns)).encode())
            digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        return digest.hexdigest()

    def sample(self, n_train: int, n_test: int | None = None, seed: int = 0) -> "Dataset":
        """A smaller copy for quick tests: at most n_train training and n_test test rows."""
        def take(frame: pd.DataFrame, n: int | None) -> pd.DataFrame:
            return frame if n is None or n >= len(frame) else frame.sample(n, random_state=seed)
        return Dataset(take(self.train, n_train), take(self.test, n_test), self.source, self.extra)


@dataclass
class TrainedModel:
    """What a trainer hands back: the fitted object to serve and what is known about it.

    `model` is what `UseCase.predict` receives; it is saved with joblib as one artifact.
    `metrics` are measured on the held-out test rows; `leaderboard` lists every candidate tried,
    each a dict with at least `name`, `cv_score` and `fit_seconds`.
    """

    model: Any
    params: dict[str, Any]
    metrics: dict[str, float]
    leaderboard: list[dict[str, Any]]


class UseCase:
    """Base class of a use case plug-in. Subclasses set the class attributes and the methods."""

    name: ClassVar[str]           # URL slug, e.g. "heart-disease"
    title: ClassVar[str]
    description: ClassVar[str]    # one line for the home menu
    task: ClassVar[str]           # one of TASKS
    fields: ClassVar[tuple[Field, ...]]
    examples: ClassVar[dict[str, dict[str, Any]]]  # example title -> inputs, at least one
    primary_metric: ClassVar[str]
    higher_is_better: ClassVar[bool] = True
    submit_label: ClassVar[str] = "Predict"  # the form's button: what the visitor asks for
    data_source: ClassVar[str]    # where the data comes from, with its publication

    REQUIRED: ClassVar[tuple[str, ...]] = ("name", "title", "description", "task", "fields",
                                           "examples", "primary_metric", "data_source")

    def load_data(self) -> Dataset:
        """Load and clean the data from the installed package, split with a fixed seed."""
        raise NotImplementedError

    def train(self, data: Dataset, progress: Progress) -> TrainedModel:
        """Compare candidates by cross-validation, refit the best, measure it on data.test."""
        raise NotImplementedError

    def predict(self, model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Predict a batch of validated inputs in one vectorised call.

        Returns one dict per row with at least:
        - `output`: the prediction itself (number, label, or list), JSON-serialisable;
        - `summary`: one short line a person reads (e.g. "Math score 531, likely 501 to 561");
        - `explanation`: a list of {"feature", "value", "effect"} dicts, largest effect first,
          `effect` signed (what pushed the output up or down).
        Use cases add their own keys (probabilities, interval, items...).
        """
        raise NotImplementedError

    # -- labelled data (uploads, recorded outcomes, retraining on them) -------------------------
    # The column an upload adds to the inputs, and the value an outcome gives: the true score,
    # diagnosis or label. None: the use case takes no labelled data of its own.
    target: ClassVar[Field | None] = None
    # Columns that identify one labelled row: a later row with the same key replaces nothing
    # held out (None: every column).
    row_key: ClassVar[tuple[str, ...] | None] = None
    # Other names an upload's header may give a column: header -> field name (a use case made
    # from a table takes more rows with that table's own headers).
    column_aliases: ClassVar[dict[str, str]] = {}
    # The choice fields a model card measures by (None: every one with few values).
    group_fields: ClassVar[tuple[str, ...] | None] = None

    @property
    def data_fields(self) -> tuple[Field, ...]:
        """The input columns of an upload, beside the target: the form's fields, unless the
        use case's data is shaped otherwise (ratings: user, movie)."""
        return self.fields

    @property
    def outcome_field(self) -> Field | None:
        """What an outcome of a stored prediction gives: the target, unless the use case says
        otherwise (a movie the user then rated)."""
        return self.target

    @property
    def positive_class(self) -> str | None:
        """With two classes, the one precision and recall are about (live metrics): by default
        the outcome's first choice. None for other tasks."""
        choices = getattr(self.outcome_field, "choices", None)
        return choices[0][0] if choices and len(choices) == 2 else None

    def check_labelled(self, values: dict[str, Any], target: Any) -> dict[str, str]:
        """Errors in one labelled row that its fields alone cannot see (e.g. an unknown movie):
        column -> reason; empty when the row is fine."""
        return {}

    def outcome_rows(self, prediction_id: int, inputs: dict[str, Any], outcome: Any
                     ) -> tuple[list[dict[str, Any]], list[Any]]:
        """The labelled rows (data fields, targets) a recorded outcome gives: by default the
        prediction's own inputs with the outcome as their target."""
        return [inputs], [outcome]

    def labelled_frame(self, rows: list[dict[str, Any]], targets: list[Any]) -> pd.DataFrame:
        """Training rows in the trainer's own columns, from validated inputs (as predict()
        receives them) and target values (as `target` parses them)."""
        raise NotImplementedError

    def held_out_inputs(self, frame: pd.DataFrame) -> list[dict[str, Any]]:
        """Held-out labelled rows (in the trainer's columns) as the requests `evaluate` sends
        `predict`: by default one per row, as `labelled_inputs` reads them."""
        return self.labelled_inputs(frame)[0]

    def measure(self, results: list[dict[str, Any]], frame: pd.DataFrame) -> dict[str, float]:
        """The held-out metrics of `predict`'s results for `held_out_inputs(frame)`, against
        the frame's targets (see usecases/measures.py)."""
        raise NotImplementedError

    def evaluate(self, model: Any, frame: pd.DataFrame) -> dict[str, float]:
        """The held-out metrics of a model on labelled rows in the trainer's columns, measured
        through `predict`: the figures shown are those of the code that serves requests, so a
        fast path written for serving can never drift from them unseen."""
        return self.measure(self.predict(model, self.held_out_inputs(frame)), frame)

    def reference_inputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Training rows (in the trainer's columns) as inputs, one column per field they give:
        what live inputs are compared with to see drift. By default the columns named like
        fields."""
        return frame[[f.name for f in self.fields if f.name in frame.columns]]

    def labelled_inputs(self, frame: pd.DataFrame) -> tuple[list[dict[str, Any]], list[Any]]:
        """Labelled rows in the trainer's columns as predict() receives them, and each row's
        target as an outcome gives it: the inverse of labelled_frame. By default the columns
        named like fields (missing values left out) and the column named like the target."""
        present = [f for f in self.fields if f.name in frame.columns]
        columns = {f.name: frame[f.name].tolist() for f in present}
        rows = []
        for i in range(len(frame)):
            row = {}
            for field in present:
                value = plain_value(field, columns[field.name][i])
                if value is not None:
                    row[field.name] = value
            rows.append(row)
        targets = [plain_value(self.target, v) for v in frame[self.target.name].tolist()]
        return rows, targets

    def groups(self, frame: pd.DataFrame) -> dict[str, list[str]]:
        """Groups of people or things a model card measures the model on, so that a model
        that serves one group worse shows it: group name -> one label per row of `frame`
        (labelled rows in the trainer's columns). By default each choice field with few
        values, or the ones `group_fields` names."""
        out = {}
        for field in self.fields:
            chosen = (field.name in self.group_fields if self.group_fields is not None
                      else isinstance(field, Choice) and len(field.choices) <= FEW_LEVELS)
            if chosen and isinstance(field, Choice) and field.name in frame.columns:
                out[field.label] = [field.labels.get(v, "unknown") if isinstance(v, str)
                                    else "unknown" for v in frame[field.name].tolist()]
        return out

    def check_inputs(self, model: Any, values: dict[str, Any]) -> dict[str, str]:
        """Errors that need the trained model to detect (e.g. an unknown movie id).

        Returns field name -> message; empty when the input is fine. Most use cases need none.
        """
        return {}

    def for_schema(self, schema: list[dict[str, Any]] | None) -> "UseCase":
        """The use case as a model version trained on `schema` (its fields' describe() dicts)
        serves it: its form, validation and examples. A plug-in's declared fields are the source
        of its schema, so by default it is itself."""
        return self

    # -- web side --------------------------------------------------------------------------
    def blueprint(self) -> Blueprint:
        """The use case's blueprint, mounted at /usecases/<name>.

        Its templates live in the use case package's `templates/<name>/` folder. The host adds the
        standard form and result views to it; a use case overrides this to add routes of its own
        (e.g. a search the form's picker calls) and returns the blueprint it built.
        """
        return Blueprint(self.name, type(self).__module__, template_folder="templates")

    @property
    def result_template(self) -> str:
        """Template that shows one prediction; namespaced by the use case's name."""
        return f"{self.name}/result.html"


def bands(values: Any, edges: tuple[float, ...], unit: str = "") -> list[str]:
    """Each number's band between edges (e.g. 45, 55, 65: "under 45", "45-54", "55-64",
    "65 and over"), "unknown" where missing."""
    names = ([f"under {edges[0]:g}{unit}"]
             + [f"{low:g}-{high - 1:g}{unit}" for low, high in zip(edges, edges[1:])]
             + [f"{edges[-1]:g}{unit} and over"])
    out = []
    for value in values:
        if value is None or value != value:
            out.append("unknown")
        else:
            out.append(names[sum(value >= edge for edge in edges)])
    return out


def plain_value(field: Field | None, value: Any) -> Any:
    """One stored cell as a field parses it: None for a missing value, plain Python numbers,
    1.0 / 0.0 as true / false for a yes/no field."""
    if hasattr(value, "item"):
        value = value.item()
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(field, Boolean) and not isinstance(value, bool):
        value = bool(value)
    if field is None:
        return value
    try:
        return field.parse(value, from_form=False)
    except FieldError:  # kept as stored: predict() reads it as the trainer did
        return value


class PluginError(Exception):
    """A plug-in that does not satisfy the contract; the message names it and what it lacks."""


def check_contract(usecase: UseCase, entry_name: str) -> None:
    """Raise PluginError naming the plug-in and what it lacks."""
    missing = [attr for attr in UseCase.REQUIRED if not getattr(usecase, attr, None)]
    if missing:
        raise PluginError(f"use case {entry_name!r} lacks: {', '.join(missing)}")
    if usecase.name != entry_name:
        raise PluginError(f"use case {entry_name!r} calls itself {usecase.name!r}")
    if usecase.task not in TASKS:
        raise PluginError(f"use case {entry_name!r} has unknown task {usecase.task!r}")
    for method in ("load_data", "train", "predict"):
        if getattr(type(usecase), method) is getattr(UseCase, method):
            raise PluginError(f"use case {entry_name!r} does not implement {method}()")
    if usecase.target is not None:
        for method in ("labelled_frame", "measure"):
            if getattr(type(usecase), method) is getattr(UseCase, method):
                raise PluginError(f"use case {entry_name!r} has a target but does not "
                                  f"implement {method}()")
        if usecase.target.name in {f.name for f in usecase.fields}:
            raise PluginError(f"use case {entry_name!r} names its target like an input: "
                              f"{usecase.target.name!r}")
