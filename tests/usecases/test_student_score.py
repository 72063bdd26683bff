"""The student score use case: data, training, quality floor, inputs, predictions, result page."""
from __future__ import annotations

import copy
import dataclasses
import io
import json
import math
from pathlib import Path

import jinja2
import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from usecases.base import TrainedModel, check_contract
from usecases.fields import Choice, Number, validate
from usecases.student_score import CLASSROOM_LABEL, StudentScore
from usecases.student_score import classroom as star_classroom
from usecases.student_score import data as star_data
from usecases.student_score import levels as star_levels
from usecases.student_score import model as star_model
from tests.floors import shortfalls

TEMPLATES = Path(star_data.__file__).parent / "templates"
PORTAL_TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"


@pytest.fixture(scope="module")
def usecase() -> StudentScore:
    return StudentScore()


@pytest.fixture(scope="module")
def dataset(usecase):
    return usecase.load_data()


@pytest.fixture(scope="module")
def trained(registered) -> TrainedModel:
    """The production version `hub bootstrap` registered (full data)."""
    return registered("student-score")


def clean(usecase, inputs: dict) -> dict:
    checked = validate(usecase.fields, inputs)
    assert checked.ok, checked.errors
    return checked.values


def example(usecase, title_start: str) -> dict:
    title = next(t for t in usecase.examples if t.startswith(title_start))
    return clean(usecase, usecase.examples[title])


GOOD = {"gender": "male", "ethnicity": "cauc", "read1": 530, "lunch1": "non-free",
        "star1": "small", "school1": "rural", "degree1": "bachelor", "ladder1": "level1",
        "experience1": 12, "tethnicity1": "cauc"}
# No STAR teacher had this profile, so no study classroom matches it.
NO_MATCH = GOOD | {"school1": "urban", "degree1": "phd", "ladder1": "level3", "experience1": 0}


# -- contract and data ---------------------------------------------------------------------

def test_satisfies_the_contract(usecase):
    check_contract(usecase, "student-score")
    assert usecase.task == "regression" and usecase.primary_metric == "r2"
    assert [f.name for f in usecase.fields] == list(star_data.FEATURES)


def test_data_is_cleaned_and_split(dataset):
    raw = star_data.read_raw()
    tested = raw.dropna(subset=["math1", "read1"])
    train, test = dataset.train, dataset.test
    assert len(train) + len(test) == len(tested)
    assert abs(len(test) / len(tested) - star_data.TEST_SIZE) < 0.01
    assert set(train.index).isdisjoint(test.index)
    assert set(train.index) | set(test.index) == set(tested["rownames"])
    assert list(train.columns) == [*star_data.FEATURES, star_data.TARGET]
    both = pd.concat([train, test])
    assert both[["read1", "math1", "experience1"]].notna().all().all()
    # Missing categories stay missing (the pipeline makes them "unknown"), as many as measured.
    for name in star_data.CATEGORIES:
        assert both[name].isna().sum() == tested[name].isna().sum()
        assert set(both[name].dropna()) <= set(star_data.CATEGORIES[name])
    assert both["lunch1"].isna().sum() > 0
    assert both[star_data.TARGET].mean() == pytest.approx(tested["math1"].mean())


def test_form_matches_the_data(usecase, dataset):
    both = pd.concat([dataset.train, dataset.test])
    for field in usecase.fields:
        if isinstance(field, Choice):
            assert {v for v, _ in field.choices} == set(star_data.CATEGORIES[field.name])
        else:
            assert isinstance(field, Number)
            assert field.minimum == both[field.name].min()
            assert field.maximum == both[field.name].max()
    # Left unknown by many pupils' records, so a person may leave them unknown too.
    optional = {f.name for f in usecase.fields if not f.required}
    assert optional == {"lunch1", "ladder1", "tethnicity1"}
    assert all(both[name].isna().sum() >= 20 for name in optional)


def test_fingerprint_is_stable_and_follows_the_data(usecase, dataset):
    again = usecase.load_data()
    assert again.fingerprint == dataset.fingerprint
    changed = usecase.load_data()
    changed.train.iloc[0, changed.train.columns.get_loc("read1")] += 1
    assert changed.fingerprint != dataset.fingerprint


def test_classroom_profile(dataset):
    train = dataset.train
    profile = star_classroom.ClassroomProfile().fit(train)
    keys = star_classroom.classroom_key(train)
    busiest = keys.value_counts().index[0]
    mates = train[keys == busiest]
    out = profile.transform(pd.concat([mates.iloc[:1], pd.DataFrame([NO_MATCH])]))
    assert out[star_classroom.READING].iloc[0] == pytest.approx(mates["read1"].mean())
    assert out[star_classroom.READING].iloc[1] == pytest.approx(train["read1"].mean())
    assert profile.classmates(out[star_classroom.KEY]).tolist() == [len(mates), 0]
    # A pinned key is used as given, whatever the teacher inputs say.
    pinned = profile.transform(pd.DataFrame([NO_MATCH | {star_classroom.KEY: busiest}]))
    assert pinned[star_classroom.READING].iloc[0] == pytest.approx(mates["read1"].mean())


def test_levels_pool_rare_ones_and_mix_unknown(dataset):
    train = dataset.train
    encoder = star_levels.LevelMix({"ethnicity": star_data.CATEGORIES["ethnicity"]},
                                   min_count=20).fit(train)
    assert encoder.kept_["ethnicity"] == ["cauc", "afam"]  # the other four are pooled
    rows = pd.DataFrame({"ethnicity": ["cauc", "asian", "hispanic", np.nan]})
    encoded = encoder.transform(rows)
    assert encoded.shape == (4, 3)
    assert encoded[0].tolist() == [1, 0, 0]
    assert encoded[1].tolist() == encoded[2].tolist() == [0, 0, 1]
    # Unknown is the training mix of levels, so it sums to one like any other row.
    known = train["ethnicity"].dropna()
    assert encoded[3, 0] == pytest.approx((known == "cauc").mean())
    assert encoded[3].sum() == pytest.approx(1.0)


# -- training --------------------------------------------------------------------------------

def test_training_on_a_sample(usecase, dataset):
    calls = []
    result = usecase.train(dataset.sample(400, 100), lambda f, m: calls.append((f, m)))
    assert isinstance(result, TrainedModel)
    assert {row["name"] for row in result.leaderboard} == set(star_model.candidates())
    for row in result.leaderboard:
        assert math.isfinite(row["cv_score"]) and row["cv_score"] <= 1.0
        assert row["fit_seconds"] >= 0
    assert result.params["algorithm"] == result.leaderboard[0]["name"]
    for key in ("r2", "mae", "rmse", "baseline_r2", "baseline_mae", "baseline_rmse"):
        assert math.isfinite(result.metrics[key])
    fractions = [f for f, _ in calls]
    assert len(fractions) >= 4 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(set(fractions)) == len(fractions)
    json.dumps(result.params), json.dumps(result.metrics), json.dumps(result.leaderboard)


def test_quality_floor_on_held_out_pupils(trained, dataset):
    metrics = trained.metrics
    assert not shortfalls("student-score", metrics)
    # Far better than always guessing the training mean.
    assert metrics["baseline_r2"] <= 0.01
    assert metrics["r2"] - metrics["baseline_r2"] >= 0.5
    assert metrics["mae"] <= 0.7 * metrics["baseline_mae"]
    assert metrics["mae"] <= metrics["rmse"] <= metrics["baseline_rmse"]
    # The recorded figures are those of the served scores, rounded to whole points: the typical
    # error the page shows (the unrounded model's) is within half a point of them.
    assert abs(trained.model.typical_error - metrics["mae"]) <= 0.5


def test_interval_holds_most_held_out_pupils(trained, dataset):
    model = trained.model
    assert model.low < 0 < model.high
    guess = model.predict(dataset.test[list(star_data.FEATURES)])
    truth = dataset.test[star_data.TARGET].to_numpy()
    inside = ((truth >= guess + model.low) & (truth <= guess + model.high)).mean()
    assert inside == pytest.approx(0.8, abs=0.01)


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


def test_optional_inputs_may_be_left_unknown(usecase):
    optional = {"lunch1", "ladder1", "tethnicity1"}
    values = clean(usecase, {k: v for k, v in GOOD.items() if k not in optional})
    assert all(values[name] is None for name in optional)


@pytest.mark.parametrize("change, field", [
    ({"read1": None}, "read1"),
    ({"gender": None}, "gender"),
    ({"star1": "tiny"}, "star1"),
    ({"star1": "Small"}, "star1"),
    ({"ethnicity": "martian"}, "ethnicity"),
    ({"lunch1": True}, "lunch1"),
    ({"read1": 700}, "read1"),
    ({"read1": 403}, "read1"),
    ({"read1": 512.5}, "read1"),
    ({"read1": "high"}, "read1"),
    ({"read1": math.nan}, "read1"),
    ({"experience1": -1}, "experience1"),
    ({"experience1": 43}, "experience1"),
    ({"experience1": True}, "experience1"),
    ({"schoolid1": 63}, "schoolid1"),
])
def test_bad_inputs_are_refused(usecase, change, field):
    checked = validate(usecase.fields, GOOD | change)
    assert not checked.ok and field in checked.errors


def test_form_strings_are_accepted(usecase):
    form = {key: str(value) for key, value in GOOD.items()} | {"lunch1": ""}
    checked = validate(usecase.fields, form, from_form=True)
    assert checked.ok, checked.errors
    assert checked.values["lunch1"] is None and checked.values["read1"] == 530


# -- predictions -----------------------------------------------------------------------------

def test_batch_equals_rows_alone(usecase, trained):
    rows = [clean(usecase, e) for e in usecase.examples.values()] + [clean(usecase, GOOD),
                                                                     clean(usecase, NO_MATCH)]
    together = usecase.predict(trained.model, rows)
    alone = [usecase.predict(trained.model, [row])[0] for row in rows]
    assert len(together) == len(rows)
    for a, b in zip(together, alone):
        assert a["output"] == b["output"] and a["summary"] == b["summary"]
        assert a["interval"] == b["interval"]
        for x, y in zip(a["explanation"], b["explanation"]):
            assert x["feature"] == y["feature"] and x["effect"] == pytest.approx(y["effect"])


def test_prediction_shape(usecase, trained):
    rows = [clean(usecase, e) for e in usecase.examples.values()]
    for row, result in zip(rows, usecase.predict(trained.model, rows)):
        json.dumps(result)  # plain JSON types only
        assert type(result["output"]) is float and 404 <= result["output"] <= 676
        low, high = result["interval"]
        assert type(low) is float and type(high) is float and low < result["output"] < high
        assert result["typical_error"] == round(trained.metrics["mae"], 1)
        assert f"{result['output']:.0f}" in result["summary"]
        assert f"{low:.0f} to {high:.0f}" in result["summary"]
        assert result["unknown"] == [f.label for f in usecase.fields if row[f.name] is None]
    assert usecase.predict(trained.model, []) == []


def test_explanation_is_sorted_and_labelled(usecase, trained):
    labels = {f.label for f in usecase.fields} | {CLASSROOM_LABEL}
    for result in usecase.predict(trained.model, [clean(usecase, GOOD)]):
        effects = [item["effect"] for item in result["explanation"]]
        assert 0 < len(effects) <= 6
        assert [abs(e) for e in effects] == sorted((abs(e) for e in effects), reverse=True)
        assert all(type(e) is float for e in effects) and any(e != 0 for e in effects)
        assert {item["feature"] for item in result["explanation"]} <= labels


@pytest.mark.parametrize("reading", [420, 460, 580, 620])
def test_explanation_moves_the_sensible_way(usecase, trained, reading):
    """A better reader scores higher, and reading is credited for being above or below typical."""
    row, better = clean(usecase, GOOD | {"read1": reading}), clean(usecase, GOOD | {
        "read1": reading + 30})
    scores, effects, _ = star_model.score(trained.model, [row, better])
    assert scores[1] > scores[0]
    position = star_data.FEATURES.index("read1")
    typical = trained.model.reference["read1"]
    assert np.sign(effects[0, position]) == np.sign(reading - typical)
    # Reading is by far the strongest input for a pupil far from the typical reader.
    assert abs(effects[0, position]) == max(abs(e) for e in effects[0])
    # predict() shows the same effect, under the field's label.
    shown = usecase.predict(trained.model, [row])[0]["explanation"][0]
    assert shown["feature"] == "First-grade reading score"
    assert shown["effect"] == pytest.approx(effects[0, position], abs=0.01)


def test_free_lunch_lowers_the_score(usecase, trained):
    """In the data, pupils on free lunch score lower at the same reading level."""
    paying = clean(usecase, NO_MATCH | {"lunch1": "non-free"})
    free = clean(usecase, NO_MATCH | {"lunch1": "free"})
    scores, _, _ = star_model.score(trained.model, [paying, free])
    assert scores[1] < scores[0]


def test_unknown_lies_between_the_answers(usecase, trained):
    """Leaving free lunch blank gives a score between the two possible answers."""
    rows = [clean(usecase, NO_MATCH | {"lunch1": value}) for value in ("free", None, "non-free")]
    scores, _, _ = star_model.score(trained.model, rows)
    assert scores[0] < scores[1] < scores[2]


def test_reference_pupil_and_unmatched_classroom_have_no_effect(usecase, trained):
    """An input at the reference value, or a classroom the study lacks, cannot move the score."""
    reference = trained.model.reference
    row = clean(usecase, NO_MATCH | {"read1": int(reference["read1"])})
    scores, effects, classmates = star_model.score(trained.model, [row])
    assert effects[0, star_data.FEATURES.index("read1")] == pytest.approx(0.0, abs=1e-9)
    assert classmates.tolist() == [0]
    assert effects[0, -1] == pytest.approx(0.0, abs=1e-9)
    assert np.isfinite(scores).all()


def test_matched_classroom_is_named(usecase, trained, dataset):
    """A pupil whose teacher inputs match a study classroom is told how many pupils shared it."""
    pupil = dataset.train.iloc[0]
    row = clean(usecase, {name: (None if pd.isna(pupil[name]) else
                                 int(pupil[name]) if name in star_data.NUMBERS else pupil[name])
                          for name in star_data.FEATURES})
    _, effects, classmates = star_model.score(trained.model, [row])
    assert classmates[0] >= 1
    result = usecase.predict(trained.model, [row])[0]
    shown = [item for item in result["explanation"] if item["feature"] == CLASSROOM_LABEL]
    if shown:  # listed only when among the largest effects
        assert f"as {classmates[0]} pupil" in shown[0]["value"]
        assert shown[0]["effect"] == pytest.approx(effects[0, -1], abs=0.01)


# -- compiled serving ------------------------------------------------------------------------

OPTIONAL = ("lunch1", "ladder1", "tethnicity1")


def data_rows(frame: pd.DataFrame, seed: int) -> list[dict]:
    """Data rows as predict() gets them (whole numbers, None for blank), with a random third
    of the optional inputs blanked too: a blank takes its own path through the model."""
    rng = np.random.default_rng(seed)
    rows = []
    for record in frame[list(star_data.FEATURES)].to_dict("records"):
        row = {k: None if isinstance(v, float) and np.isnan(v) else v for k, v in record.items()}
        row |= {name: int(row[name]) for name in star_data.NUMBERS}
        rows.append({k: None if k in OPTIONAL and rng.random() < 0.33 else v
                     for k, v in row.items()})
    return rows


def assert_compiled_matches_pipeline(model, rows: list[dict]) -> None:
    """The compiled scores, effects and classmate counts are the pipeline's."""
    assert model.compiled is not None
    plain = copy.copy(model)
    del plain.compiled  # as unpickled from an artifact saved before compiling: the pipeline path
    compiled_scores, compiled_effects, compiled_mates = star_model.score(model, rows)
    scores, effects, mates = star_model.score(plain, rows)
    assert compiled_effects.shape == effects.shape == (len(rows), len(star_data.FEATURES) + 1)
    assert np.abs(compiled_scores - scores).max() < 1e-9
    assert np.abs(compiled_effects - effects).max() < 1e-9
    assert compiled_mates.tolist() == mates.tolist()


def test_served_model_is_compiled_and_matches_the_pipeline(usecase, trained, dataset):
    """Serving uses the numpy form of the pipeline; it must give the evaluated results."""
    model = trained.model  # the ridge model wins on the full data, so it is compiled
    edges = [GOOD | {"read1": read, "experience1": years}  # the form's ranges, past the knots
             for read in (404, 651) for years in (0, 42)]
    rows = ([clean(usecase, e) for e in [*usecase.examples.values(), GOOD, NO_MATCH, *edges]]
            + data_rows(dataset.test, seed=0))
    assert_compiled_matches_pipeline(model, rows)
    plain = copy.copy(model)
    del plain.compiled
    shown = rows[:len(usecase.examples)]
    assert usecase.predict(model, shown) == usecase.predict(plain, shown)


@pytest.mark.parametrize("name", list(star_model.candidates()))
def test_linear_winners_compile_and_trees_fall_back(dataset, name):
    """Either ridge pipeline is compiled and matches; a tree model serves through its pipeline."""
    small = dataset.sample(600, 200)
    model, _ = star_model.fit(clone(star_model.candidates()[name]), small.train, small.test)
    rows = data_rows(dataset.test.iloc[:300], seed=1)
    if name.startswith("ridge"):
        assert_compiled_matches_pipeline(model, rows)
    else:
        assert model.compiled is None
        scores, effects, _ = star_model.score(model, rows)
        assert np.isfinite(scores).all() and np.isfinite(effects).all()


def test_a_compiled_model_that_disagrees_is_not_served(dataset, monkeypatch):
    """fit() checks the compiled model on the held-out rows and drops it if it is off."""
    real = star_model.compile_pipeline

    def off_by_a_little(pipeline):
        return dataclasses.replace(real(pipeline), intercept=real(pipeline).intercept + 1e-6)

    monkeypatch.setattr(star_model, "compile_pipeline", off_by_a_little)
    small = dataset.sample(600, 200)
    model, _ = star_model.fit(clone(star_model.candidates()["ridge + classroom profile"]),
                              small.train, small.test)
    assert model.compiled is None


# -- result fragment -------------------------------------------------------------------------

def render(usecase, result, inputs) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([TEMPLATES, PORTAL_TEMPLATES]), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template(usecase.result_template).render(result=result, usecase=usecase,
                                                            inputs=inputs)


def test_result_fragment(usecase, trained):
    row = example(usecase, "Average reader")
    result = usecase.predict(trained.model, [row])[0]
    html = render(usecase, result, row)
    low, high = result["interval"]
    assert f"{result['output']:.0f}</span>" in html
    assert f"{low:.0f} to {high:.0f}" in html and f"{result['typical_error']:.1f}" in html
    assert html.count("<meter") == 1
    assert html.count('class="effect-bar"') == len(result["explanation"])
    assert "Left unknown" in html and "not a judgement" in html
    assert "style=" not in html and "<script" not in html and "<html" not in html


def test_result_fragment_escapes(usecase, trained):
    result = usecase.predict(trained.model, [clean(usecase, GOOD)])[0]
    result["explanation"][0]["value"] = "<b>x</b>"
    html = render(usecase, result, {})
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
