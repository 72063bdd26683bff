"""Live figures and their intervals, on arrays: against scikit-learn and published values."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, precision_score,
                             roc_auc_score)

from registry.monitoring import figures
from registry.monitoring.intervals import auc_interval, bootstrap, wilson


def test_wilson_interval_matches_published_values():
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson(0, 0) is None


def test_auc_interval_is_hanley_and_mcneil():
    low, high = auc_interval(0.8, 50, 50)
    assert (high - low) / 2 == pytest.approx(1.959964 * 0.04450, abs=2e-4)
    assert auc_interval(0.8, 0, 50) is None


def test_intervals_narrow_as_counts_grow_and_are_the_same_each_time():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=2000)
    guess = truth + rng.normal(size=2000)
    few = figures.regression(truth[:40], guess[:40])["mae"]
    many = figures.regression(truth, guess)["mae"]
    assert few["high"] - few["low"] > 3 * (many["high"] - many["low"])
    assert few["low"] < few["value"] < few["high"]
    assert figures.regression(truth[:40], guess[:40])["mae"] == few
    assert bootstrap(1, lambda index: index.mean(axis=-1)) is None


def test_binary_classification_matches_scikit_learn():
    rng = np.random.default_rng(2)
    chance = rng.uniform(size=500)
    truth = np.where(rng.uniform(size=500) < chance, "yes", "no")
    said = np.where(chance >= 0.5, "yes", "no")
    own = np.where(said == "yes", chance, 1 - chance)  # the probability of the answer given
    found = figures.classification(truth, said, own.tolist(), ["yes", "no"], "yes")
    assert found["accuracy"]["value"] == pytest.approx(accuracy_score(truth, said))
    assert found["precision"]["value"] == pytest.approx(
        precision_score(truth, said, pos_label="yes"))
    assert found["roc_auc"]["value"] == pytest.approx(roc_auc_score(truth == "yes", chance))
    for figure in found.values():
        assert figure["low"] <= figure["value"] <= figure["high"]
    calibrated = figures.calibration(chance, truth == "yes")
    assert sum(b["count"] for b in calibrated) == 500
    assert all(abs(b["observed"] - b["predicted"]) < 0.2 for b in calibrated)


def test_auc_is_left_out_when_probabilities_or_a_class_are_missing():
    found = figures.classification(["yes"] * 4, ["yes", "no", "yes", "yes"],
                                   [0.9, 0.6, None, 0.7], ["yes", "no"], "yes")
    assert found["roc_auc"] == {"value": None, "count": 3, "low": None, "high": None}
    assert found["accuracy"]["value"] == 0.75


def test_several_classes_give_balanced_accuracy_and_macro_precision():
    rng = np.random.default_rng(3)
    classes = ["a", "b", "c", "d"]
    truth = rng.choice(classes, size=300, p=[0.5, 0.3, 0.15, 0.05])
    said = np.where(rng.uniform(size=300) < 0.6, truth, rng.choice(classes[:3], size=300))
    found = figures.classification(truth, said, [None] * 300, classes, None)
    assert found["balanced_accuracy"]["value"] == pytest.approx(
        balanced_accuracy_score(truth, said))
    assert found["precision_macro"]["value"] == pytest.approx(
        precision_score(truth, said, labels=sorted(set(said)), average="macro"))
    assert "roc_auc" not in found
    band = found["balanced_accuracy"]
    assert band["low"] < band["value"] < band["high"]


def test_hit_rate_counts_only_liked_movies():
    found = figures.hit_rate([[1, 2, 3], [4, 5], [6], [7]],
                             [{"movie_id": 2, "rating": 4}, {"movie_id": 9, "rating": 5},
                              {"movie_id": 6, "rating": 3.5}, None])
    assert found["hit_rate"]["value"] == 0.5 and found["hit_rate"]["count"] == 2
