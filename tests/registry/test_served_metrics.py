"""The held-out figures recorded for a version are those of its stored artifact, measured through
`UseCase.predict`: the code that serves requests, compiled fast paths included. The floors are
held on those figures, so a stored model that is worse than the one measured cannot pass."""
from __future__ import annotations

import math

import pytest

from registry import datasets, serving, versions
from usecases import get_usecase
from usecases.base import UseCase
from tests.floors import shortfalls

BUILT_IN = ("student-score", "heart-disease", "sentiment", "recommendation")


@pytest.mark.parametrize("name", BUILT_IN)
def test_recorded_metrics_are_the_stored_models_answers_scored(app, name):
    with app.app_context():
        row = versions.production_version(name)
        usecase = get_usecase(name)
        model = serving.cache().version(row).model  # loaded from the store, digest checked
        data, _ = datasets.as_dataset(datasets.get_by_id(name, row.dataset_version_id))
        inputs = usecase.held_out_inputs(data.test)
        results = usecase.predict(model, inputs)   # what the API would answer for those inputs
        served = usecase.measure(results, data.test)
        measured = usecase.evaluate(model, data.test)  # the recommender's adds its stars' RMSE
    assert len(results) == len(inputs) > 0
    assert served == {figure: measured[figure] for figure in served}
    assert measured, "no figures"
    for metric, value in measured.items():
        assert math.isclose(row.metrics[metric], value, rel_tol=1e-12, abs_tol=1e-12), metric
    assert not shortfalls(name, measured, row.metrics.get("baseline_ndcg_at_10"))


def test_evaluate_goes_through_predict(app):
    """A use case's evaluate() is predict() then measure(), unless it says otherwise."""
    with app.app_context():
        for name in BUILT_IN[:3]:
            assert type(get_usecase(name)).evaluate is UseCase.evaluate, name


def test_the_student_scores_figures_are_of_the_scores_visitors_see(app):
    """Served scores are rounded to whole points; the recorded error is of those."""
    with app.app_context():
        row = versions.production_version("student-score")
        usecase = get_usecase("student-score")
        model = serving.cache().version(row).model
        data, _ = datasets.as_dataset(datasets.get_by_id("student-score", row.dataset_version_id))
        results = usecase.predict(model, usecase.held_out_inputs(data.test))
    assert all(float(r["output"]).is_integer() for r in results)
    truth = data.test["math1"].to_numpy(dtype=float)
    mae = sum(abs(t - r["output"]) for t, r in zip(truth, results)) / len(results)
    assert row.metrics["mae"] == pytest.approx(mae, rel=1e-12)
