"""Live metrics of a version, from the outcomes recorded for its predictions: on both
databases, against scikit-learn on the same rows, per day, and only the current outcome."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sklearn.metrics import (accuracy_score, mean_absolute_error, precision_score, r2_score,
                             recall_score, roc_auc_score)

from registry import outcomes, serving, versions
from registry.database import db, utcnow
from registry.models import Prediction
from registry.monitoring import live
from tests.conftest import add_copy_of_production
from tests.labelled import held_out_patients, inputs as patient_inputs
from usecases import get_usecase

HEART = "heart-disease"


def report(name: str, number: int | None = None, **window) -> dict:
    version = (versions.production_version(name) if number is None
               else versions.get_version(name, number))
    return live.report(get_usecase(name), version, **window)


def test_live_figures_on_the_held_out_rows_are_the_recorded_held_out_figures(app):
    """Scored through the serving path and labelled with their true diagnoses, the held-out
    patients give live figures equal to those the trainer recorded on the same rows."""
    patients, truth = held_out_patients(app)
    with app.app_context():
        made = serving.predict(HEART, patients, source="api")
        outcomes.record_many(zip(made.prediction_ids, truth), "ann")
        found = report(HEART)
        recorded = versions.production_version(HEART).metrics
    assert found["count"] == len(patients) == 230
    assert found["primary_metric"] == "roc_auc"
    assert found["metrics"]["roc_auc"]["value"] == pytest.approx(recorded["roc_auc"], abs=1e-6)
    assert found["metrics"]["accuracy"]["value"] == pytest.approx(recorded["accuracy"], abs=1e-6)
    assert found["offline"]["roc_auc"] == recorded["roc_auc"]
    low, high = found["metrics"]["roc_auc"]["low"], found["metrics"]["roc_auc"]["high"]
    assert low < recorded["roc_auc"] < high and high - low < 0.15


def test_classification_figures_match_scikit_learn_on_the_stored_answers(app):
    patients = patient_inputs(app, 120, seed=3)
    truth = ["disease" if p["age"] > 55 or p["cp"] == "asymptomatic" else "no disease"
             for p in patients]
    with app.app_context():
        made = serving.predict(HEART, patients, source="api")
        outcomes.record_many(zip(made.prediction_ids, truth), "ann")
        found = report(HEART)
    said = [r["output"] for r in made.results]
    chance = [r["probability"] for r in made.results]
    is_disease = np.array(truth) == "disease"
    figures = found["metrics"]
    assert figures["accuracy"]["value"] == pytest.approx(accuracy_score(truth, said))
    assert figures["precision"]["value"] == pytest.approx(
        precision_score(truth, said, pos_label="disease"))
    assert figures["recall"]["value"] == pytest.approx(
        recall_score(truth, said, pos_label="disease"))
    assert figures["roc_auc"]["value"] == pytest.approx(roc_auc_score(is_disease, chance))
    assert figures["recall"]["count"] == int(is_disease.sum())
    assert figures["precision"]["count"] == said.count("disease")
    bins = found["calibration"]
    assert sum(b["count"] for b in bins) == 120
    for b in bins:  # each bin's observed rate is the share of disease among its patients
        inside = [t for t, p in zip(is_disease, chance) if b["from"] <= p < b["to"]
                  or (b["to"] == 1.0 and p == 1.0)]
        assert b["count"] == len(inside)
        assert b["observed"] == pytest.approx(np.mean(inside))


def test_only_current_outcomes_of_this_versions_predictions_in_the_window(app):
    patients = patient_inputs(app, 12, seed=5)
    with app.app_context():
        first = serving.predict(HEART, patients[:8], source="api").prediction_ids
        other = add_copy_of_production(HEART)
        second = serving.predict(HEART, patients[8:], source="api",
                                 version=other).prediction_ids
        outcomes.record_many([(i, "disease") for i in first + second], "ann")
        outcomes.record(first[0], "no disease", "bob")  # a correction replaces the first value
        db.session.execute(sa.update(Prediction).where(Prediction.id.in_(first[:3]))
                           .values(created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
        everything = report(HEART)
        recent = report(HEART, since=utcnow().date())
        copy = report(HEART, other)
    assert everything["count"] == 8 and copy["count"] == 4
    assert [d["count"] for d in everything["days"]] == [3, 5]
    assert everything["days"][0]["day"] == (utcnow() - timedelta(days=2)).date().isoformat()
    assert recent["count"] == 5 and recent["window"]["since"] == utcnow().date().isoformat()
    # All eight are "disease" but the corrected one: recall of disease counts 7 of them.
    assert everything["metrics"]["recall"]["count"] == 7


def test_regression_figures_match_scikit_learn(app):
    name = "student-score"
    with app.app_context():
        usecase = get_usecase(name)
        rows = [dict(v) for v in usecase.examples.values()] * 10
        made = serving.predict(name, rows, source="api")
        said = np.array([r["output"] for r in made.results])
        truth = said + np.resize([-30.0, 12.0, 25.0, -4.0, 0.5], len(said))
        outcomes.record_many(zip(made.prediction_ids, truth.tolist()), "ann")
        found = report(name)
    figures = found["metrics"]
    assert found["primary_metric"] == "r2" and found["higher_is_better"]
    assert figures["mae"]["value"] == pytest.approx(mean_absolute_error(truth, said))
    assert figures["rmse"]["value"] == pytest.approx(np.sqrt(np.mean((truth - said) ** 2)))
    assert figures["r2"]["value"] == pytest.approx(r2_score(truth, said))
    assert all(f["count"] == len(rows) for f in figures.values())
    assert figures["mae"]["low"] < figures["mae"]["value"] < figures["mae"]["high"]
    assert found["calibration"] == []


def test_recommendation_hit_rate_counts_liked_movies_that_were_recommended(app):
    name = "recommendation"
    with app.app_context():
        made = serving.predict(name, [{"movies": [260, 1196, 1214], "count": 10}] * 4,
                               source="api")
        listed = made.results[0]["output"]
        unlisted = next(m for m in (1, 2, 3, 5, 6, 7, 10, 11) if m not in listed)
        outcomes.record_many([
            (made.prediction_ids[0], {"movie_id": listed[0], "rating": 5}),   # a hit
            (made.prediction_ids[1], {"movie_id": listed[3], "rating": 4}),   # a hit
            (made.prediction_ids[2], {"movie_id": unlisted, "rating": 4.5}),  # a miss
            (made.prediction_ids[3], {"movie_id": listed[1], "rating": 2}),   # not liked
        ], "ann")
        found = report(name)
    assert found["primary_metric"] == "hit_rate"
    assert found["metrics"]["hit_rate"]["value"] == pytest.approx(2 / 3)
    assert found["metrics"]["hit_rate"]["count"] == 3
    assert found["count"] == 4


def test_a_version_with_no_outcomes_reports_nothing_measured(app):
    with app.app_context():
        serving.predict(HEART, patient_inputs(app, 3), source="api")
        found = report(HEART)
    assert found["count"] == 0 and found["days"] == [] and found["calibration"] == []
    assert all(f["value"] is None and f["count"] == 0 for f in found["metrics"].values())
