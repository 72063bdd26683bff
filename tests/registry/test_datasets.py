"""Dataset versions in the registry: stored faithfully, checked on load, combined honestly."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from registry import datasets, outcomes
from registry.artifacts import ArtifactError
from registry.datasets import combine
from registry.versions import artifact_store
from usecases import discover

LABELLED = [name for name, usecase in discover().items() if usecase.target is not None]


@pytest.mark.parametrize("name", LABELLED)
def test_the_built_in_data_survives_the_file_exactly(name):
    """Parquet keeps every value and type: the rows read back have the fingerprint the trainer's
    data has, so the registry can tell which data a version was trained on."""
    data = discover()[name].load_data()
    parts = datasets.from_parquet(datasets.to_parquet({datasets.TRAIN: data.train,
                                                       datasets.TEST: data.test}))
    assert datasets.fingerprint(parts) == data.fingerprint
    pd.testing.assert_frame_equal(parts[datasets.TRAIN], data.train)
    assert parts[datasets.NEW_TEST].empty


def test_a_changed_dataset_file_is_refused(app):
    with app.app_context():
        version = datasets.list_versions("heart-disease")[-1]
        store = artifact_store()
        original = store.read(version.artifact_path)
        parts = datasets.from_parquet(original)
        parts[datasets.TRAIN].iloc[0, 0] = 99.0  # one value changed, still a valid file
        store.remove(version.artifact_path)
        store.write(version.artifact_path, datasets.to_parquet(parts))
        with pytest.raises(ArtifactError, match="does not match its registered sha256"):
            datasets.rows(version)
        store.remove(version.artifact_path)
        store.write(version.artifact_path, original)
        assert datasets.fingerprint(datasets.rows(version)) == version.fingerprint


def test_a_combination_keeps_built_in_rows_and_drops_repeats_and_held_out_rows(app):
    with app.app_context():
        usecase = app.extensions["modelhub.usecases"]["heart-disease"]
        base = datasets.built_in(usecase, "test")
        parts = datasets.rows(base)
        fresh = parts[datasets.TRAIN].iloc[:5].copy()
        fresh["age"] = [19.0, 20.0, 21.0, 22.0, 23.0]  # new patients
        upload = pd.concat([fresh, fresh.iloc[:2],                 # two repeats in the file
                            parts[datasets.TRAIN].iloc[10:13],     # three already trained on
                            parts[datasets.TEST].iloc[:4]],        # four of the held-out rows
                           ignore_index=True)
        added = datasets.register("heart-disease", {datasets.TRAIN: upload}, sources=["upload"],
                                  created_by="test")
        chosen = combine.choose(usecase, [base.id, added.id], False, "test")
        details = chosen.version.details
        assert details["rows_by_source"] == {"built-in": base.rows,
                                             f"dataset version {added.version}": 5}
        assert (details["repeats_dropped"], details["held_out_rows_dropped"]) == (5, 4)
        assert chosen.version.rows == len(chosen.data.train) == base.rows + 5
        # The built-in rows are kept whole, repeats included: what version 1 trained on.
        pd.testing.assert_frame_equal(chosen.data.train.iloc[:base.rows].reset_index(drop=True),
                                      parts[datasets.TRAIN].reset_index(drop=True),
                                      check_dtype=False)
        pd.testing.assert_frame_equal(chosen.data.test, parts[datasets.TEST])
        # The same choice again is the same data: the version already registered.
        again = combine.choose(usecase, [base.id, added.id], False, "test")
        assert again.version.id == chosen.version.id


def test_new_data_keeps_a_fixed_held_out_share_once_large_enough():
    small = pd.DataFrame({"x": np.arange(combine.NEW_HELD_OUT_MIN - 1)})
    assert set(combine.split_new(small)) == {datasets.TRAIN}
    large = pd.DataFrame({"x": np.arange(1000)})
    first, second = combine.split_new(large), combine.split_new(large)
    assert 150 < len(first[datasets.NEW_TEST]) < 250
    pd.testing.assert_frame_equal(first[datasets.NEW_TEST], second[datasets.NEW_TEST])


def test_outcomes_are_held_out_by_prediction_not_by_chance():
    ids = pd.Series(np.arange(1, 2001))
    held = outcomes.held_out(ids, 0.2)
    assert 300 < held.sum() < 500
    # The same prediction is held out whatever else is there.
    assert outcomes.held_out(ids.iloc[::2], 0.2).tolist() == held.iloc[::2].tolist()


def test_a_dataset_with_lineage_cannot_be_deleted(app):
    with app.app_context():
        base = datasets.list_versions("heart-disease")[-1]
        with pytest.raises(datasets.DatasetInUse, match="model version"):
            datasets.delete(base)
        assert datasets.get("heart-disease", base.version).id == base.id
