"""A use case built from a spec: trained on real candidates, serving explained predictions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from usecases.base import check_contract
from usecases.fields import validate
from usecases.tabular.usecase import SpecError, TabularUseCase, examples_from

LUNCH = [["standard", "standard"], ["free/reduced", "free or reduced"]]


def scores_spec(**changes) -> dict:
    spec = {"name": "exam-scores", "title": "Exam scores", "task": "regression",
            "target": {"name": "math_score", "label": "Math score", "kind": "number",
                       "minimum": 0, "maximum": 100, "integer": True, "column": "math score"},
            "inputs": [
                {"name": "reading_score", "label": "Reading score", "kind": "number",
                 "minimum": 0, "maximum": 100, "integer": True, "column": "reading score"},
                {"name": "lunch", "label": "Lunch", "kind": "choice", "choices": LUNCH},
                {"name": "prepared", "label": "Test preparation", "kind": "boolean",
                 "required": False},
                {"name": "notes", "label": "Teacher's notes", "kind": "text",
                 "required": False}]}
    return spec | changes


def scores_table(rows: int = 400, seed: int = 3) -> pd.DataFrame:
    """Math follows reading, lunch and preparation, with noise; notes say something too."""
    rng = np.random.default_rng(seed)
    reading = rng.integers(20, 100, rows)
    lunch = rng.choice(["standard", "free/reduced"], rows, p=[0.65, 0.35])
    prepared = rng.random(rows) < 0.4
    math = (0.8 * reading + np.where(lunch == "standard", 8, 0) + np.where(prepared, 5, 0)
            + rng.normal(0, 4, rows))
    notes = np.where(math > 70, "works hard every day", "often misses homework")
    return pd.DataFrame({"reading_score": reading.astype(float), "lunch": lunch,
                         "prepared": np.where(prepared, "true", "false"), "notes": notes,
                         "math_score": np.clip(math, 0, 100).round()})


@pytest.fixture(scope="module")
def trained():
    usecase = TabularUseCase(scores_spec())
    frame = scores_table()
    result = usecase.train(usecase.split(frame, "a test table"), lambda share, message: None)
    return usecase, frame, result


def test_a_spec_makes_a_use_case_that_meets_the_contract():
    usecase = TabularUseCase(scores_spec())
    check_contract(usecase, "exam-scores")
    assert usecase.primary_metric == "r2"
    assert [f.name for f in usecase.fields] == ["reading_score", "lunch", "prepared", "notes"]
    assert usecase.column_aliases == {"reading score": "reading_score",
                                      "math score": "math_score"}
    assert validate(usecase.fields, {"reading_score": 101, "lunch": "x"}).errors == {
        "reading_score": "must be between 0 and 100", "lunch": "must be one of: standard, free/reduced"}


def test_training_compares_three_kinds_of_model_and_measures_on_held_out_rows(trained):
    usecase, frame, result = trained
    names = {row["name"] for row in result.leaderboard}
    # Gradient boosting needs dense input: with a text column it sits out.
    assert names == {"ridge regression", "random forest"}
    assert result.metrics["r2"] > 0.8 and result.metrics["rmse"] < 8
    assert result.params["features"] == [f.name for f in usecase.fields]
    without_text = TabularUseCase(scores_spec(inputs=scores_spec()["inputs"][:3]))
    board = without_text.train(without_text.split(frame, "a test table"),
                               lambda share, message: None).leaderboard
    assert {row["name"] for row in board} == {"ridge regression", "random forest",
                                              "histogram gradient boosting"}


def test_a_prediction_is_explained_by_what_moved_it(trained):
    usecase, frame, result = trained
    low, high = ({"reading_score": r, "lunch": "free/reduced", "prepared": False, "notes": None}
                 for r in (30, 95))
    first, second = usecase.predict(result.model, [low, high])
    assert first["output"] < second["output"]
    assert first["interval"][0] < first["output"] < first["interval"][1]
    assert first["summary"].startswith("Math score")
    assert first["explanation"][0]["feature"] == "Reading score"
    assert first["explanation"][0]["effect"] < 0 < second["explanation"][0]["effect"]
    shown = {e["feature"]: e["value"] for e in first["explanation"]}
    assert shown["Lunch"] == "free or reduced" and shown["Test preparation"] == "no"


def test_classification_gives_probabilities_per_class():
    spec = scores_spec(task="classification", target={
        "name": "passed", "label": "Passed", "kind": "choice",
        "choices": [["no", "did not pass"], ["yes", "passed"]]})
    usecase = TabularUseCase(spec)
    assert usecase.primary_metric == "roc_auc"
    frame = scores_table()
    frame["passed"] = np.where(frame.pop("math_score") >= 60, "yes", "no")
    result = usecase.train(usecase.split(frame, "a test table"), lambda share, message: None)
    assert result.metrics["roc_auc"] > 0.9
    examples = examples_from(usecase, frame)
    assert len(examples) == 2 and all(set(e) == {f.name for f in usecase.fields}
                                      for e in examples.values())
    answer = usecase.predict(result.model, list(examples.values()))
    for one in answer:
        assert set(one["probabilities"]) == {"no", "yes"}
        assert abs(sum(one["probabilities"].values()) - 1) < 1e-3
        assert one["summary"].startswith("Passed: ")


@pytest.mark.parametrize("change, words", [
    ({"task": "clustering"}, "task must be"), ({"inputs": []}, "at least one input"),
    ({"task": "classification"}, "must be a choice"),
    ({"target": {"name": "t", "label": "T", "kind": "choice", "choices": [["a", "a"]]}},
     "must be a number"),
    ({"inputs": [{"name": "x", "kind": "date", "label": "X"}]}, "unknown field kind")])
def test_a_spec_that_describes_no_use_case_is_refused(change, words):
    with pytest.raises((SpecError, ValueError), match=words):
        TabularUseCase(scores_spec(**change))
