"""A challenger on live traffic: it scores the sampled live predictions after the answer,
the answers stay production's, what it said is stored linked to them, a promotion ends it,
and the comparison reads agreement, disagreements and both versions' live metrics."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from registry import outcomes, serving, versions
from registry.database import db
from registry.models import ChallengerPrediction
from registry.monitoring import challenger, live
from registry.versions import RegistryError
from tests.conftest import assert_stored_with_version
from tests.labelled import held_out_patients, inputs as patient_inputs
from usecases import get_usecase

HEART = "heart-disease"


def small_model_version(app) -> int:
    """A real, weaker heart-disease model (trained on 120 patients) registered as v2."""
    with app.app_context():
        usecase = get_usecase(HEART)
        trained = usecase.train(usecase.load_data().sample(120, 60, seed=3), lambda f, m: None)
        return versions.register_version(
            HEART, trained.model, trained_by="test", params=trained.params,
            metrics=trained.metrics, leaderboard=trained.leaderboard,
            data_fingerprint="1" * 64, train_rows=120, test_rows=60,
            training_seconds=0.0).version


def shadowed(app) -> list[ChallengerPrediction]:
    with app.app_context():
        assert challenger.shadow().drain()
        return list(db.session.scalars(sa.select(ChallengerPrediction)
                                       .order_by(ChallengerPrediction.prediction_id)))


def test_at_full_share_every_live_prediction_gets_a_challenger_score_and_the_same_answer(app):
    patients = patient_inputs(app, 40, seed=9)
    with app.app_context():
        earlier = serving.predict(HEART, patients, source="api")
        before, before_ids = earlier.results, earlier.prediction_ids
        # One row alone takes its own (compiled) path: compare singles with singles.
        alone = [serving.predict(HEART, [p], source="form") for p in patients[:5]]
        before_ids += [a.prediction_ids[0] for a in alone]
    number = small_model_version(app)
    with app.app_context():
        challenger.name(HEART, number, 1.0, "ada")
        batch = serving.predict(HEART, patients, source="batch")
        singles = [serving.predict(HEART, [p], source="form") for p in patients[:5]]
        chosen = serving.predict(HEART, patients, source="api", version=number)
        direct = chosen.results
        challenger_row_id = versions.get_version(HEART, number).id
    assert batch.results == before  # the client's answers are production's, unchanged
    assert [s.results[0] for s in singles] == [a.results[0] for a in alone]
    stored = shadowed(app)
    ids = batch.prediction_ids + [s.prediction_ids[0] for s in singles]
    assert [row.prediction_id for row in stored] == sorted(ids)
    by_id = {row.prediction_id: row for row in stored}
    # The answers were production's and are stored as its; the chosen version's as its own.
    assert_stored_with_version(app, ids, HEART, 1)
    assert_stored_with_version(app, chosen.prediction_ids, HEART, number, "api")
    for prediction_id, expected in zip(batch.prediction_ids, direct):
        row = by_id[prediction_id]
        assert (row.version, row.output) == (number, expected["output"])
        assert row.model_version_id == challenger_row_id, (
            f"the challenger's score of prediction {prediction_id} is linked to version row "
            f"{row.model_version_id}, not the challenger's ({challenger_row_id})")
        assert row.probability == pytest.approx(max(expected["probabilities"].values()))
    # Those made before, and with a chosen version (direct), are not shadowed.
    assert not set(by_id) & set(before_ids)


def test_a_share_samples_about_that_fraction(app):
    number = small_model_version(app)
    patients = patient_inputs(app, 400, seed=2)
    with app.app_context():
        challenger.name(HEART, number, 0.25, "ada")
        serving.predict(HEART, patients, source="batch")
    assert 60 <= len(shadowed(app)) <= 140


def test_naming_checks_the_version_and_share_and_promotion_ends_it(app):
    number = small_model_version(app)
    with app.app_context():
        with pytest.raises(RegistryError, match="in production"):
            challenger.name(HEART, 1, 0.5, "ada")
        with pytest.raises(versions.NotFound):
            challenger.name(HEART, 9, 0.5, "ada")
        with pytest.raises(RegistryError, match="from 0 to 1"):
            challenger.name(HEART, number, 1.5, "ada")
        assert challenger.describe(challenger.name(HEART, number, 0.5, "ada"))["share"] == 0.5
        versions.promote(HEART, number, actor="ada", reason="it won")
        assert challenger.get(HEART) is None
        challenger.name(HEART, 1, 0.1, "ada")
        versions.rollback(HEART, actor="ada", reason="it lost")
        assert challenger.get(HEART) is None
        assert challenger.end(HEART) is False


def test_the_comparison_reads_agreement_disagreements_and_live_metrics_on_the_same_rows(app):
    number = small_model_version(app)
    patients, truth = held_out_patients(app)
    with app.app_context():
        challenger.name(HEART, number, 1.0, "ada")
        made = serving.predict(HEART, patients, source="api")
        theirs = serving.predict(HEART, patients, source="api", version=number).results
    shadowed(app)
    with app.app_context():
        outcomes.record_many(zip(made.prediction_ids[:150], truth[:150]), "ann")
        usecase = get_usecase(HEART)
        found = challenger.comparison(usecase, versions.get_version(HEART, number),
                                      versions.production_version(HEART))
        own = live.measure(usecase, live.labelled(usecase, versions.production_version(HEART)))
    same = sum(a["output"] == b["output"] for a, b in zip(made.results, theirs))
    assert found["compared"] == 230 and found["agreement"] == pytest.approx(same / 230)
    assert found["labelled"] == 150 and found["primary_metric"] == "roc_auc"
    assert found["live"]["production"] == own  # the same 150 labelled predictions
    assert found["live"]["challenger"]["roc_auc"]["count"] == 150
    gaps = [row["difference"] for row in found["disagreements"]]
    assert gaps == sorted(gaps, reverse=True) and all(g > 1 for g in gaps)
    first = found["disagreements"][0]
    assert first["production"] != first["challenger"] and first["inputs"]["age"] >= 18
    assert sum(b["reference"] for b in found["scores"]) == pytest.approx(1)
    assert sum(b["live"] for b in found["scores"]) == pytest.approx(1)
