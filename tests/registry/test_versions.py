"""Registering, promoting and rolling back model versions."""
import pytest
import sqlalchemy as sa

from registry import versions
from registry.database import db
from registry.models import ModelVersion, Promotion
from tests.conftest import register_dummy
from tests.registry.conftest import stored_keys


def production_count(usecase):
    return db.session.scalar(sa.select(sa.func.count()).select_from(ModelVersion).where(
        ModelVersion.usecase == usecase, ModelVersion.stage == "production"))


def test_versions_are_numbered_per_usecase(empty_app):
    with empty_app.app_context():
        assert [register_dummy("a").version for _ in range(3)] == [1, 2, 3]
        assert register_dummy("b").version == 1
        row = versions.get_version("a", 2)
        assert row.stage == "candidate" and row.artifact_size > 0
        assert len(row.artifact_sha256) == 64 and "scikit-learn" in row.library_versions
        assert [v.version for v in versions.list_versions("a")] == [3, 2, 1]


def test_promotion_keeps_one_production_and_audits(empty_app):
    with empty_app.app_context():
        for _ in range(3):
            register_dummy("a")
        versions.promote("a", 1, actor="alice", reason="first")
        versions.promote("a", 3, actor="bob", reason="better")
        assert production_count("a") == 1
        assert versions.production_version("a").version == 3
        assert versions.get_version("a", 1).stage == "archived"
        trail = versions.promotions("a")
        assert [(p.from_version and p.from_version.version, p.to_version.version, p.actor, p.reason)
                for p in trail] == [(1, 3, "bob", "better"), (None, 1, "alice", "first")]


def test_database_refuses_a_second_production_version(empty_app):
    with empty_app.app_context():
        register_dummy("a"), register_dummy("a")
        versions.promote("a", 1, actor="t")
        versions.get_version("a", 2).stage = "production"
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert production_count("a") == 1


def test_rollback_walks_back_through_promotions(empty_app):
    with empty_app.app_context():
        for _ in range(3):
            register_dummy("a")
        for n in (1, 2, 3):
            versions.promote("a", n, actor="t")
        assert versions.rollback("a", actor="t", reason="bad").to_version.version == 2
        assert versions.rollback("a", actor="t").to_version.version == 1
        with pytest.raises(versions.RegistryError, match="no earlier"):
            versions.rollback("a", actor="t")
        assert versions.production_version("a").version == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Promotion).where(
            Promotion.action == "rollback")) == 2


@pytest.mark.parametrize("call, message", [
    (lambda: versions.promote("a", 9, actor="t"), "no version 9"),
    (lambda: versions.promote("a", 1, actor="t"), "already in production"),
    (lambda: versions.rollback("nothing", actor="t"), "no production version"),
])
def test_registry_refusals(empty_app, call, message):
    with empty_app.app_context():
        register_dummy("a")
        versions.promote("a", 1, actor="t")
        with pytest.raises(versions.RegistryError, match=message):
            call()


# -- a trainer that loses the race for a version number ------------------------------------------

def lose_every_race(monkeypatch) -> None:
    """As if another trainer always took the number first: every attempt picks version 1,
    which exists, so the unique constraint refuses each insert."""
    monkeypatch.setattr(versions, "next_version_number", lambda usecase: 1)


def test_a_lost_race_keeps_a_key_another_version_shares(backend_app, monkeypatch):
    with backend_app.app_context():
        first = register_dummy(value=1.0)
        lose_every_race(monkeypatch)
        with pytest.raises(versions.RegistryError, match="too many concurrent"):
            register_dummy(value=1.0)  # the same model: the same content-addressed key
        assert stored_keys(versions.artifact_store()) == [first.artifact_path]
        model = versions.artifact_store().load(first.artifact_path, first.artifact_sha256,
                                                       first.artifact_signature)
        assert model.predict([[0]])[0] == 1.0


def test_a_lost_race_removes_a_key_no_version_refers_to(backend_app, monkeypatch):
    with backend_app.app_context():
        first = register_dummy(value=1.0)
        lose_every_race(monkeypatch)
        with pytest.raises(versions.RegistryError, match="too many concurrent"):
            register_dummy(value=2.0)
        assert stored_keys(versions.artifact_store()) == [first.artifact_path]


def test_a_trainer_that_loses_once_takes_the_next_number(backend_app, monkeypatch):
    with backend_app.app_context():
        register_dummy(value=1.0)
        numbers = iter([1, 2])  # another trainer took 1 just before us
        monkeypatch.setattr(versions, "next_version_number", lambda usecase: next(numbers))
        row = register_dummy(value=2.0)
        assert row.version == 2 and len(stored_keys(versions.artifact_store())) == 2
        model = versions.artifact_store().load(row.artifact_path, row.artifact_sha256,
                                                       row.artifact_signature)
        assert model.predict([[0]])[0] == 2.0
