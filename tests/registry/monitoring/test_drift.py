"""Input drift: the tests on their own (which test, when it fires), then on stored predictions
against each version's reference profile, on both databases."""
from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from registry import serving, versions
from registry.database import db
from registry.models import ReferenceProfile
from registry.monitoring import drift, inputs, profiles
from tests.labelled import held_out_patients
from usecases import get_usecase
from usecases.fields import Choice, Number

HEART = "heart-disease"
AGE = Number("age", "Age", minimum=0, maximum=200)
CITY = Choice("city", "City", choices=(("a", "A"), ("b", "B"), ("c", "C")))


def reference(field, values):
    return {"rows": len(values), "fields": {field.name: profiles.field_profile(field, values)}}


@pytest.mark.parametrize("size, test", [(800, "ks"), (5000, "wasserstein")])
def test_numbers_use_ks_on_small_references_and_wasserstein_on_large(size, test):
    rng = np.random.default_rng(0)
    base = reference(AGE, rng.normal(50, 10, size).tolist())
    same = drift.compare([AGE], base, [{"age": v} for v in rng.normal(50, 10, 300)])
    moved = drift.compare([AGE], base, [{"age": v} for v in rng.normal(60, 10, 300)])
    assert same["fields"][0]["test"] == moved["fields"][0]["test"] == test
    assert not same["fields"][0]["drifting"] and not same["drifting"]
    assert moved["fields"][0]["drifting"] and moved["drifting"]
    assert same["fields"][0]["psi"] < 0.1 < moved["fields"][0]["psi"]
    assert sum(b["reference"] for b in moved["fields"][0]["bins"]) == pytest.approx(1)
    assert sum(b["live"] for b in moved["fields"][0]["bins"]) == pytest.approx(1)


@pytest.mark.parametrize("size, test", [(900, "chi_square"), (3000, "jensen_shannon")])
def test_choices_use_chi_square_on_small_references_and_jensen_shannon_on_large(size, test):
    rng = np.random.default_rng(1)
    base = reference(CITY, rng.choice(["a", "b", "c"], size, p=[0.6, 0.3, 0.1]).tolist())
    same = drift.compare([CITY], base, [{"city": v} for v in rng.choice(
        ["a", "b", "c"], 400, p=[0.6, 0.3, 0.1])])
    moved = drift.compare([CITY], base, [{"city": v} for v in rng.choice(
        ["a", "b", "c"], 400, p=[0.2, 0.3, 0.5])])
    assert same["fields"][0]["test"] == test and not same["fields"][0]["drifting"]
    assert moved["fields"][0]["drifting"]
    shares = {b["label"]: b["live"] for b in moved["fields"][0]["bins"]}
    assert shares["c"] > shares["a"]


def test_a_window_without_values_is_untested_and_does_not_drift():
    base = reference(AGE, list(range(100)))
    found = drift.compare([AGE], base, [{"age": None}] * 5)
    assert found["fields"][0]["test"] is None and not found["drifting"]
    assert found["fields"][0]["missing"]["live"] == 1.0


def predict(app, rows):
    with app.app_context():
        serving.predict(HEART, rows, source="api")


def report(app, **window):
    with app.app_context():
        return inputs.report(get_usecase(HEART), versions.production_version(HEART), **window)


def test_older_patients_drift_on_age_and_on_nothing_else(app):
    """The held-out patients look like the training ones; the same patients twenty years older
    drift on age alone, so the use case (1 field of 13) is not drifting."""
    patients, _ = held_out_patients(app)
    predict(app, patients)
    calm = report(app)
    assert calm["window"]["predictions"] == len(patients) and calm["fields_tested"] == 13
    assert [f["field"] for f in calm["fields"] if f["drifting"]] == []
    predict(app, [p | {"age": min(p["age"] + 20, 100)} for p in patients])
    older = report(app, last=len(patients))
    assert [f["field"] for f in older["fields"] if f["drifting"]] == ["age"]
    age = next(f for f in older["fields"] if f["field"] == "age")
    assert age["test"] == "ks" and age["p_value"] < 1e-6 and age["psi"] > 0.25
    assert not older["drifting"] and older["fields_drifting"] == 1


def test_each_trained_version_keeps_a_profile_of_every_use_cases_inputs(app):
    with app.app_context():
        found = {}
        for name in ("heart-disease", "student-score", "sentiment", "recommendation"):
            row = versions.production_version(name)
            found[name] = db.session.get(ReferenceProfile, row.id).profile
    assert found["heart-disease"]["rows"] == 690
    assert found["heart-disease"]["fields"]["fbs"]["counts"].keys() == {"true", "false",
                                                                         "(blank)"}
    review = found["sentiment"]["fields"]["review"]
    assert review["kind"] == "text" and len(review["vocabulary"]) == profiles.VOCABULARY
    assert 0.9 < np.median(review["coverage"]["sample"]) <= 1.0
    movies = found["recommendation"]["fields"]["movies"]
    assert movies["kind"] == "items" and movies["popularity"]["356"] > 100  # Forrest Gump
    assert set(found["student-score"]["fields"]) >= {"gender", "read1", "experience1"}


def test_reviews_and_movies_are_compared_by_length_coverage_and_popularity(app):
    with app.app_context():
        serving.predict("sentiment", [{"review": "Great coffee, I love it."}] * 30,
                        source="api")
        serving.predict("recommendation", [{"movies": [260, 1196], "count": 5}] * 30,
                        source="api")
        reviews = inputs.report(get_usecase("sentiment"),
                                versions.production_version("sentiment"))
        movies = inputs.report(get_usecase("recommendation"),
                               versions.production_version("recommendation"))
    assert [(f["field"], f["feature"]) for f in reviews["fields"]] == [
        ("review", "length"), ("review", "coverage")]
    length = reviews["fields"][0]
    assert length["drifting"] and length["live_count"] == 30  # five words, every time
    assert [(f["field"], f["feature"]) for f in movies["fields"]] == [("movies", "popularity")]
    assert movies["fields"][0]["live_count"] == 60


def test_a_missing_profile_is_built_from_the_versions_stored_data_once(app):
    predict(app, held_out_patients(app)[0][:50])
    with app.app_context():
        version_id = versions.production_version(HEART).id
        kept = db.session.get(ReferenceProfile, version_id).profile
        db.session.execute(sa.delete(ReferenceProfile))
        db.session.commit()
    rebuilt = report(app)
    with app.app_context():
        assert db.session.get(ReferenceProfile, version_id).profile == kept
    assert rebuilt["window"]["predictions"] == 50
