"""Labelled heart-disease rows for the tests that upload data: new patients, varied from the
use case's examples by the benchmark's workload, each with a diagnosis."""
from __future__ import annotations

import csv
import io

from bench import workload
from registry import serving

NAME = "heart-disease"
COLUMNS = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalch", "exang",
           "oldpeak", "slope", "ca", "thal", "diagnosis"]


def new_patients(app, count: int, seed: int = 7) -> list[dict]:
    """`count` valid heart-disease inputs, each with a diagnosis (two in three "disease")."""
    with app.app_context():
        usecase = app.extensions["modelhub.usecases"][NAME]
        _, model = serving.production_model(NAME)
        rows = workload.varied(usecase, model, count, seed=seed)
    return [row | {"diagnosis": "disease" if i % 3 else "no disease"}
            for i, row in enumerate(rows)]


def inputs(app, count: int, seed: int = 7) -> list[dict]:
    """The same patients as inputs to predict (no diagnosis)."""
    return [{k: v for k, v in row.items() if k != "diagnosis"}
            for row in new_patients(app, count, seed)]


def as_csv(rows: list[dict], columns=COLUMNS, delimiter=",") -> bytes:
    """The rows as a CSV file with a header, booleans written as true/false, None as blank."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else
                         ("true" if row[c] is True else "false" if row[c] is False else row[c])
                         for c in columns])
    return out.getvalue().encode()
