"""Stored predictions pinned down exactly, on an empty registry with a tiny registered model (no
training), so that mutation testing (scripts/mutation, docs/mutation.md) can run them for every
mutant of registry/predictions.py in a fraction of a second."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from registry import predictions
from registry.database import db
from registry.models import Prediction
from tests.conftest import register_dummy


@pytest.mark.parametrize(("output", "reduced"), [
    (True, (None, "true")), (False, (None, "false")), (3, (3.0, None)), (2.5, (2.5, None)),
    ([7, 8], (None, "7")), ([], (None, None)), ("yes", (None, "yes")),
    ("x" * 150, (None, "x" * 100)), (["a\x00b"], (None, "ab")),
])
def test_an_output_reduces_to_one_value_or_one_label(output, reduced):
    value, label = predictions.reduce_output(output)
    assert (value, label) == reduced
    assert value is None or type(value) is float


@pytest.mark.parametrize(("result", "probability"), [
    ({"output": "b", "probabilities": {"a": 0.25, "b": 0.75}}, 0.75),
    ({"output": "c", "probabilities": {"a": 0.25}}, None),
    ({"output": 1, "probabilities": {1: 0.5}}, None),
    ({"output": "a", "probabilities": [0.5]}, None),
    ({"output": "a"}, None),
])
def test_the_probability_is_the_chosen_answers(result, probability):
    assert predictions.answer_probability(result) == probability


def test_record_stores_each_prediction_whole_in_order(empty_app):
    sent = []

    def listen(sender, **extra):
        sent.append((sender, extra))

    with empty_app.app_context():
        version = register_dummy("toy")
        results = [{"output": "b", "summary": "s" * 400, "probabilities": {"b": 0.5}},
                   {"output": 4}]
        with predictions.stored.connected_to(listen):
            ids = predictions.record("toy", version.id, version.version, [{"x": 1}, {"x": 2}],
                                     results, latency_ms=1.23456, source="api")
        assert len(ids) == 2 and ids == sorted(ids)
        rows = [db.session.get(Prediction, ident) for ident in ids]
        assert [(r.inputs, r.output, r.output_value, r.output_label, r.probability)
                for r in rows] == [({"x": 1}, "b", None, "b", 0.5), ({"x": 2}, 4, 4.0, None, None)]
        assert rows[0].summary == "s" * 300 and rows[1].summary == ""
        assert {(r.usecase, r.model_version_id, r.version, r.latency_ms, r.source)
                for r in rows} == {("toy", version.id, version.version, 1.235, "api")}
        assert sent == [("toy", {"version": version.version, "source": "api", "count": 2})]

        other = register_dummy("other")
        predictions.record("other", other.id, other.version, [{}], [{"output": 1}],
                           latency_ms=0, source="form")
        assert predictions.count() == 3
        assert predictions.count("toy") == 2 and predictions.count("nothing") == 0
        assert [p.usecase for p in predictions.recent()] == ["other", "toy", "toy"]
        assert [p.id for p in predictions.recent("toy")] == ids[::-1]
        assert len(predictions.recent(limit=1)) == 1


def test_the_portable_insert_stores_the_same_rows(empty_app):
    with empty_app.app_context():
        version = register_dummy("toy")
        fixed = ("toy", version.id, version.version, predictions.utcnow(), 2.0, "api")
        ids = predictions.insert(fixed, [({"x": 1}, 1, "one", 1.0, None, None),
                                         ({"x": 2}, "b", "two", None, "b", 0.5)])
        rows = [db.session.get(Prediction, ident) for ident in ids]
        assert [(r.inputs, r.output, r.summary, r.output_value, r.output_label, r.probability)
                for r in rows] == [({"x": 1}, 1, "one", 1.0, None, None),
                                   ({"x": 2}, "b", "two", None, "b", 0.5)]


@pytest.mark.parametrize(("error", "reason"), [
    ("DigestMismatch", "its file does not match the sha256 digest registered for it"),
    ("UnsignedArtifact", "its file is not signed by this installation (files registered before "
                         "signing: an admin runs flask --app portal hub artifacts sign)"),
    ("ForgedArtifact", "its file is not signed by this installation"),
    ("OutsideStore", "its path is outside the artifact directory"),
    ("ArtifactError", "its file is missing or unreadable"),
])
def test_an_unloadable_model_is_explained_without_naming_where_it_lives(error, reason):
    from registry import artifacts, serving
    from registry.artifacts import errors, signing

    kind = next(getattr(m, error) for m in (artifacts, errors, signing) if hasattr(m, error))
    assert serving._reason(kind("s3://bucket/secret/key.joblib")) == reason


def test_a_registered_version_keeps_everything_it_was_given(empty_app):
    from registry import versions
    from registry.models import ReferenceProfile

    with empty_app.app_context():
        row = register_dummy("toy", 2.0, input_schema=[{"kind": "boolean", "name": "b",
                                                        "label": "B"}],
                             training_seconds=1.23456, reference={"columns": {"b": 1}})
        number = row.version
        db.session.expire_all()
        stored = versions.get_version("toy", number)
        assert stored.stage == "candidate"
        assert (stored.params, stored.metrics, stored.leaderboard) == (
            {"constant": 2.0}, {"r2": 2.0},
            [{"name": "dummy", "cv_score": 2.0, "fit_seconds": 0.0}])
        assert stored.input_schema == [{"kind": "boolean", "name": "b", "label": "B"}]
        assert stored.training_seconds == 1.235
        assert stored.dataset_version_id is None
        assert stored.artifact_path.startswith("toy/")
        profile = db.session.scalar(
            sa.select(ReferenceProfile).where(
                ReferenceProfile.model_version_id == stored.id))
        assert profile is not None and profile.profile == {"columns": {"b": 1}}
        plain = register_dummy("toy")
        assert db.session.scalar(
            sa.select(ReferenceProfile).where(
                ReferenceProfile.model_version_id == plain.id)) is None


def test_a_promotion_is_recorded_and_announced_whole(empty_app, monkeypatch):
    from registry import versions, webhooks

    emitted = []
    monkeypatch.setattr(webhooks, "emit", lambda *args: emitted.append(args))
    with empty_app.app_context():
        first, second = register_dummy("toy").version, register_dummy("toy").version
        versions.promote("toy", first, actor="ada")
        record = versions.promote("toy", second, actor="bob", reason="r" * 600,
                                  gate={"verdict": "pass"}, against_policy=True)
        assert (record.action, record.actor, record.reason, record.gate,
                record.against_policy) == ("promote", "bob", "r" * 500, {"verdict": "pass"},
                                           True)
        assert record.created_at is not None
        back = versions.rollback("toy", actor="cy", reason="oops")
        assert back.action == "rollback" and back.against_policy is False
        first_record = versions.promotions("toy")[-1]
        assert (first_record.reason, first_record.against_policy, first_record.gate) == \
            ("", False, None)
    assert emitted == [
        ("toy", "promotion", {"from_version": None, "to_version": first, "actor": "ada",
                              "reason": "", "against_policy": False}),
        ("toy", "promotion", {"from_version": first, "to_version": second, "actor": "bob",
                              "reason": "r" * 500, "against_policy": True}),
        ("toy", "rollback", {"from_version": second, "to_version": first, "actor": "cy",
                             "reason": "oops", "against_policy": False}),
    ]


@pytest.mark.sqlite_only
def test_predictions_take_the_sqlite_fast_path_on_sqlite(empty_app, monkeypatch):
    from registry.sqlite import inserts

    used = []
    original = inserts.insert
    monkeypatch.setattr(inserts, "insert", lambda engine, fixed, rows: used.append(engine)
                        or original(engine, fixed, rows))
    with empty_app.app_context():
        version = register_dummy("toy")
        ids = predictions.record("toy", version.id, version.version, [{}], [{"output": 1}],
                                 latency_ms=0, source="api")
        assert used == [predictions.db.engine] and len(ids) == 1
