"""The heart disease use case: data, training, quality floor, inputs, predictions, result page."""
from __future__ import annotations

import io
import json
import math
from pathlib import Path

import jinja2
import joblib
import numpy as np
import pandas as pd
import pytest

from usecases.base import TrainedModel, check_contract
from usecases.fields import validate
from usecases.heart_disease import HeartDisease
from usecases.heart_disease import data as heart_data
from usecases.heart_disease import model as heart_model
from tests.floors import shortfalls

TEMPLATES = Path(heart_data.__file__).parent / "templates"
PORTAL_TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"


@pytest.fixture(scope="module")
def usecase() -> HeartDisease:
    return HeartDisease()


@pytest.fixture(scope="module")
def dataset(usecase):
    return usecase.load_data()


@pytest.fixture(scope="module")
def trained(registered) -> TrainedModel:
    """The production version `hub bootstrap` registered (full data)."""
    return registered("heart-disease")


def clean(usecase, inputs: dict) -> dict:
    checked = validate(usecase.fields, inputs)
    assert checked.ok, checked.errors
    return checked.values


def example(usecase, title_start: str) -> dict:
    title = next(t for t in usecase.examples if t.startswith(title_start))
    return clean(usecase, usecase.examples[title])


# -- contract and data ---------------------------------------------------------------------

def test_satisfies_the_contract(usecase):
    check_contract(usecase, "heart-disease")
    assert usecase.task == "classification"
    assert {f.name for f in usecase.fields} == set(heart_data.FEATURES)


def test_data_is_cleaned_and_split(dataset):
    raw = heart_data.read_raw()
    train, test = dataset.train, dataset.test
    assert len(train) + len(test) == len(raw)
    assert abs(len(test) / len(raw) - heart_data.TEST_SIZE) < 0.01
    assert set(train.index).isdisjoint(test.index)
    assert list(train.columns) == [*heart_data.FEATURES, heart_data.TARGET]
    assert "id" not in train.columns and "dataset" not in train.columns
    both = pd.concat([train, test])
    # Impossible zeros became missing values; everything else measured is kept.
    assert (both["chol"].dropna() > 0).all() and (both["trestbps"].dropna() > 0).all()
    assert both["chol"].isna().sum() == ((raw["chol"] == 0) | raw["chol"].isna()).sum()
    assert set(both["fbs"].dropna()) <= {0.0, 1.0} and set(both["exang"].dropna()) <= {0.0, 1.0}
    for name, levels in heart_data.CATEGORIES.items():
        assert set(both[name].dropna()) <= set(levels)
    assert both[heart_data.TARGET].sum() == (raw["num"] > 0).sum()
    # Stratified: both parts have about the same disease rate.
    assert abs(train[heart_data.TARGET].mean() - test[heart_data.TARGET].mean()) < 0.02


def test_form_choices_match_the_data(usecase):
    for field in usecase.fields:
        if field.name in heart_data.CATEGORIES:
            assert {v for v, _ in field.choices} == set(heart_data.CATEGORIES[field.name])


def test_fingerprint_is_stable_and_follows_the_data(usecase, dataset):
    again = usecase.load_data()
    assert again.fingerprint == dataset.fingerprint
    changed = usecase.load_data()
    changed.train.iloc[0, changed.train.columns.get_loc("age")] += 1
    assert changed.fingerprint != dataset.fingerprint


# -- training --------------------------------------------------------------------------------

def test_training_on_a_sample(usecase, dataset):
    calls = []
    result = usecase.train(dataset.sample(200, 80), lambda f, m: calls.append((f, m)))
    assert isinstance(result, TrainedModel)
    assert {row["name"] for row in result.leaderboard} == set(heart_model.candidates())
    for row in result.leaderboard:
        assert 0.0 <= row["cv_score"] <= 1.0 and row["fit_seconds"] >= 0
    assert result.params["algorithm"] == result.leaderboard[0]["name"]
    for key in ("roc_auc", "accuracy", "recall", "precision", "f1"):
        assert 0.0 <= result.metrics[key] <= 1.0
    fractions = [f for f, _ in calls]
    assert len(fractions) >= 4 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(set(fractions)) == len(fractions)
    json.dumps(result.params), json.dumps(result.metrics), json.dumps(result.leaderboard)


def test_quality_floor_on_held_out_patients(trained, dataset):
    metrics = trained.metrics
    assert not shortfalls("heart-disease", metrics)
    rate = dataset.test[heart_data.TARGET].mean()
    majority = max(rate, 1 - rate)
    assert metrics["accuracy"] > majority
    counts = [metrics[k] for k in ("true_positives", "false_positives", "true_negatives",
                                   "false_negatives")]
    assert sum(counts) == len(dataset.test)
    assert metrics["true_positives"] + metrics["false_negatives"] == dataset.test[
        heart_data.TARGET].sum()


def test_artifact_is_small_and_round_trips(usecase, trained):
    buffer = io.BytesIO()
    joblib.dump(trained.model, buffer)
    assert buffer.tell() < 3_000_000
    buffer.seek(0)
    loaded = joblib.load(buffer)
    rows = [clean(usecase, e) for e in usecase.examples.values()]
    assert usecase.predict(loaded, rows) == usecase.predict(trained.model, rows)


# -- inputs ----------------------------------------------------------------------------------

def test_examples_are_valid(usecase):
    assert len(usecase.examples) >= 2
    for inputs in usecase.examples.values():
        assert set(inputs) == {f.name for f in usecase.fields}
        clean(usecase, inputs)


def test_only_the_basics_are_required(usecase):
    values = clean(usecase, {"age": 50, "sex": "Female", "cp": "non-anginal"})
    assert all(values[name] is None for name in values if name not in ("age", "sex", "cp"))


GOOD = {"age": 60, "sex": "Male", "cp": "asymptomatic", "trestbps": 140, "chol": 250,
        "fbs": False, "restecg": "normal", "thalch": 130, "exang": True, "oldpeak": 2.0,
        "slope": "flat", "ca": 1, "thal": "reversable defect"}


@pytest.mark.parametrize("change, field", [
    ({"age": None}, "age"),
    ({"sex": None}, "sex"),
    ({"cp": "crushing"}, "cp"),
    ({"thal": "Normal"}, "thal"),
    ({"age": 12}, "age"),
    ({"age": 45.5}, "age"),
    ({"trestbps": 0}, "trestbps"),
    ({"chol": "high"}, "chol"),
    ({"ca": 4}, "ca"),
    ({"oldpeak": math.inf}, "oldpeak"),
    ({"fbs": "maybe"}, "fbs"),
    ({"exang": 1}, "exang"),
    ({"site": "Cleveland"}, "site"),
])
def test_bad_inputs_are_refused(usecase, change, field):
    checked = validate(usecase.fields, GOOD | change)
    assert not checked.ok and field in checked.errors


def test_form_strings_are_accepted(usecase):
    form = {key: ("true" if value is True else "false" if value is False else str(value))
            for key, value in GOOD.items()}
    form["thal"] = ""  # a blank select means unknown
    checked = validate(usecase.fields, form, from_form=True)
    assert checked.ok, checked.errors
    assert checked.values["thal"] is None and checked.values["exang"] is True


# -- predictions -----------------------------------------------------------------------------

def test_batch_equals_rows_alone(usecase, trained):
    rows = [clean(usecase, e) for e in usecase.examples.values()] + [clean(usecase, GOOD)]
    together = usecase.predict(trained.model, rows)
    alone = [usecase.predict(trained.model, [row])[0] for row in rows]
    assert len(together) == len(rows)
    for a, b in zip(together, alone):
        assert a["output"] == b["output"] and a["summary"] == b["summary"]
        assert a["probability"] == pytest.approx(b["probability"], abs=1e-12)
        assert [e["feature"] for e in a["explanation"]] == [e["feature"] for e in b["explanation"]]


def test_prediction_shape(usecase, trained):
    rows = [clean(usecase, e) for e in usecase.examples.values()]
    for row, result in zip(rows, usecase.predict(trained.model, rows)):
        json.dumps(result)  # plain JSON types only
        assert type(result["probability"]) is float and 0.0 <= result["probability"] <= 1.0
        assert result["output"] == ("disease" if result["probability"] >= 0.5 else "no disease")
        assert sum(result["probabilities"].values()) == pytest.approx(1.0)
        assert result["probabilities"]["disease"] == result["probability"]
        assert f"{result['probability']:.0%}" in result["summary"]
        assert result["unknown"] == [f.label for f in usecase.fields if row[f.name] is None]
    assert usecase.predict(trained.model, []) == []


def test_explanation_is_sorted_and_labelled(usecase, trained):
    labels = {f.label for f in usecase.fields}
    for result in usecase.predict(trained.model, [clean(usecase, GOOD)]):
        effects = [item["effect"] for item in result["explanation"]]
        assert 0 < len(effects) <= 6
        assert [abs(e) for e in effects] == sorted((abs(e) for e in effects), reverse=True)
        assert all(type(e) is float for e in effects) and any(e != 0 for e in effects)
        assert {item["feature"] for item in result["explanation"]} <= labels


def test_explanation_moves_the_sensible_way(usecase, trained):
    """Exercise angina and ST depression point to disease; atypical pain in a woman points away."""
    calm = example(usecase, "Woman")
    classic = calm | {"cp": "asymptomatic", "exang": True, "oldpeak": 3.0}
    probabilities, effects = heart_model.score(trained.model, [calm, classic])
    assert probabilities[1] > probabilities[0]
    effect = dict(zip(heart_data.FEATURES, effects[1]))
    assert effect["exang"] > 0 and effect["oldpeak"] > 0
    effect = dict(zip(heart_data.FEATURES, effects[0]))
    assert effect["cp"] < 0 and effect["sex"] < 0 and effect["exang"] == 0
    # predict() shows the same effects, under the fields' labels.
    shown = usecase.predict(trained.model, [calm])[0]["explanation"]
    labels = {f.name: f.label for f in usecase.fields}
    for item in shown:
        name = next(n for n, label in labels.items() if label == item["feature"])
        assert item["effect"] == pytest.approx(effect[name])


def test_reference_patient_has_no_effect(usecase, trained):
    """An input already at the reference value cannot move the probability."""
    reference = trained.model.reference
    row = clean(usecase, GOOD) | {"chol": int(reference["chol"])}
    probabilities, effects = heart_model.score(trained.model, [row])
    assert effects[0, heart_data.FEATURES.index("chol")] == pytest.approx(0.0, abs=1e-9)
    assert np.isfinite(probabilities).all()


# -- result fragment -------------------------------------------------------------------------

def render(usecase, result, inputs) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([TEMPLATES, PORTAL_TEMPLATES]), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template(usecase.result_template).render(result=result, usecase=usecase,
                                                            inputs=inputs)


def test_result_fragment(usecase, trained):
    row = example(usecase, "Man, 55")
    result = usecase.predict(trained.model, [row])[0]
    html = render(usecase, result, row)
    assert f"{result['probability'] * 100:.0f}%" in html
    assert html.count("<meter") == 1
    assert html.count('class="effect-bar"') == len(result["explanation"])
    assert result["label"] in html and "not medical advice" in html
    assert "Left unknown" in html
    assert "style=" not in html and "<script" not in html and "<html" not in html


def test_result_fragment_escapes(usecase, trained):
    result = usecase.predict(trained.model, [clean(usecase, GOOD)])[0]
    result["explanation"][0]["value"] = "<b>x</b>"
    html = render(usecase, result, {})
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_served_model_is_compiled_and_matches_the_pipeline(usecase, trained, dataset):
    """Serving uses the numpy form of the pipeline; it must give the evaluated probabilities."""
    model = trained.model
    assert model.compiled is not None  # logistic regression won, so it is compiled
    rng = np.random.default_rng(0)
    rows = [clean(usecase, example) for example in usecase.examples.values()]
    for record in dataset.test[list(heart_data.FEATURES)].to_dict("records"):
        row = {k: None if isinstance(v, float) and np.isnan(v) else v for k, v in record.items()}
        for flag in ("fbs", "exang"):
            row[flag] = None if row[flag] is None else bool(row[flag])
        # Blank a random third of the optional inputs too: missing values take their own path.
        rows.append({k: None if k not in ("age", "sex", "cp") and rng.random() < 0.33 else v
                     for k, v in row.items()})
    compiled_p, compiled_effects = heart_model.score(model, rows)
    plain = heart_model.HeartModel(model.pipeline, model.reference, compiled=None,
                                   donors=model.donors)
    pipeline_p, pipeline_effects = heart_model.score(plain, rows)
    assert np.abs(compiled_p - pipeline_p).max() < 1e-9
    assert np.abs(compiled_effects - pipeline_effects).max() < 1e-9
    # One row at a time takes the plain-Python path: the same numbers.
    for i, row in enumerate(rows):
        one_p, one_effects = heart_model.score(model, [row])
        assert abs(one_p[0] - pipeline_p[i]) < 1e-9
        assert np.abs(one_effects[0] - pipeline_effects[i]).max() < 1e-9
        assert abs(one_p[0] - compiled_p[i]) < 1e-12
