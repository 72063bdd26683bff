"""The promotion gate: without a policy a promotion is as before; with one, a candidate
without live evidence is refused unless the admin goes against it with a reason (marked in
the audit trail), and one whose live evidence meets it goes through."""
from __future__ import annotations

import pytest

from registry import jobs, outcomes, serving, versions
from registry.monitoring import challenger, gate
from registry.versions import RegistryError
from tests.conftest import add_copy_of_production, make_app
from tests.labelled import held_out_patients
from usecases import get_usecase

HEART = "heart-disease"


def test_without_a_policy_promotion_is_as_before(app):
    with app.app_context():
        number = add_copy_of_production(HEART)
        record = gate.promote(get_usecase(HEART), number, actor="ada", reason="")
        assert record.gate is None and record.against_policy is False
        assert versions.production_version(HEART).version == number


def test_a_candidate_without_live_evidence_is_refused_unless_promoted_against_the_policy(app):
    with app.app_context():
        number = add_copy_of_production(HEART)
        gate.set_policy(HEART, min_labelled=50, not_worse=True, actor="ada")
        usecase = get_usecase(HEART)
        with pytest.raises(gate.GateClosed) as closed:
            gate.promote(usecase, number, actor="ada", reason="looks fine")
        assert [c["rule"] for c in closed.value.verdict["checks"] if not c["passed"]] == [
            "min_labelled", "not_worse"]
        assert "0 labelled predictions" in str(closed.value)
        with pytest.raises(RegistryError, match="needs a reason"):
            gate.promote(usecase, number, actor="ada", reason=" ", override=True)
        assert versions.production_version(HEART).version == 1
        record = gate.promote(usecase, number, actor="ada", reason="urgent fix", override=True)
        assert record.against_policy is True and record.gate["passes"] is False
        assert record.gate["policy"]["min_labelled"] == 50
        assert versions.promotions(HEART)[0].against_policy is True


def test_live_evidence_that_meets_the_policy_lets_the_challenger_through(app):
    patients, truth = held_out_patients(app)
    with app.app_context():
        number = add_copy_of_production(HEART)
        gate.set_policy(HEART, min_labelled=100, not_worse=True, actor="ada")
        challenger.name(HEART, number, 1.0, "ada")
        made = serving.predict(HEART, patients, source="api")
        assert challenger.shadow().drain()
        outcomes.record_many(zip(made.prediction_ids[:120], truth[:120]), "ann")
        found = gate.verdict(get_usecase(HEART), versions.get_version(HEART, number))
        assert found["passes"], found["checks"]
        assert found["evidence"]["live"]["labelled"] == 120
        assert found["evidence"]["offline"]["same_rows"] is True
        assert found["evidence"]["drift"]["fields_tested"] == 13
        record = gate.promote(get_usecase(HEART), number, actor="ada", reason="it held up")
        assert record.against_policy is False and record.gate["passes"] is True
        assert challenger.get(HEART) is None  # promotion ended it


def test_a_training_job_asked_to_promote_leaves_production_alone_under_a_policy(app):
    quick = make_app(app.instance_path, TRAINING_SAMPLE=300)  # a smaller data set trains faster
    with quick.app_context():
        gate.set_policy(HEART, min_labelled=10, not_worse=False, actor="ada")
        job = jobs.run(jobs.enqueue(HEART, requested_by="ada", promote=True).id)
        assert job.status == "succeeded", job.error
        assert "not promoted: the promotion policy needs live evidence" in job.message
        assert "0 labelled predictions" in job.log
        assert versions.production_version(HEART).version == 1
