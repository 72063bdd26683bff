"""Labelled heart-disease rows for the tests that upload data: new patients, varied from the
use case's examples by the benchmark's workload, each with a diagnosis."""
from __future__ import annotations

import csv
import math
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


def held_out_patients(app) -> tuple[list[dict], list[str]]:
    """The built-in data's held-out patients as inputs a visitor would send, and each one's
    diagnosis: the rows the production version's recorded metrics were measured on."""
    with app.app_context():
        usecase = app.extensions["modelhub.usecases"][NAME]
        test = usecase.load_data().test
    names = [f.name for f in usecase.fields]
    patients, truth = [], []
    for record in test.to_dict("records"):
        row = {}
        for name in names:
            value = record[name]
            if isinstance(value, float) and math.isnan(value):
                value = None
            elif name in ("fbs", "exang"):
                value = bool(value)
            elif isinstance(value, float) and value.is_integer() and name != "oldpeak":
                value = int(value)
            row[name] = value
        patients.append(row)
        truth.append("disease" if record["disease"] else "no disease")
    return patients, truth


def predict_held_out_then_older(app) -> int:
    """Predict for the held-out patients, then for the same patients twenty years older;
    return how many patients (each is predicted twice)."""
    patients, _ = held_out_patients(app)
    with app.app_context():
        serving.predict(NAME, patients, source="api")
        serving.predict(NAME, [p | {"age": min(p["age"] + 20, 100)} for p in patients],
                        source="api")
    return len(patients)
