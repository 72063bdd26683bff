"""The per-process cache of production models."""
import gc
import weakref

import pytest

from registry import serving, versions
from registry.database import db
from registry.models import ModelVersion
from tests.conftest import make_app, migrated_app, register_dummy


def served_value(usecase="toy"):
    version, model = serving.production_model(usecase)
    return version, float(model.predict([[0]])[0])


def test_cache_follows_a_promotion_made_by_another_app(empty_app):
    other = make_app(empty_app.instance_path)  # a second app instance on the same database
    with empty_app.app_context():
        register_dummy(value=1.0), register_dummy(value=2.0)
        versions.promote("toy", 1, actor="t")
        assert served_value() == (1, 1.0)
    with other.app_context():
        versions.promote("toy", 2, actor="someone else")
    with empty_app.app_context():
        assert served_value() == (2, 2.0)


def test_cache_reuses_the_loaded_model(empty_app):
    with empty_app.app_context():
        register_dummy()
        versions.promote("toy", 1, actor="t")
        first = serving.cache().production("toy")
        assert serving.cache().production("toy") is first


def test_loaded_models_are_frozen_out_of_gc_scans_yet_freed_when_dropped(tmp_path):
    app = migrated_app(tmp_path / "instance", FREEZE_HEAP_ON_MODEL_LOAD=True)
    with app.app_context():
        register_dummy(value=1.0), register_dummy(value=2.0)
        versions.promote("toy", 1, actor="t")
        gc.unfreeze()
        try:
            first = weakref.ref(serving.cache().production("toy").model)
            assert gc.get_freeze_count() > 0  # the app and the model: no longer scanned
            versions.promote("toy", 2, actor="t")
            assert served_value() == (2, 2.0)
            assert first() is None  # version 1 was dropped and freed, frozen or not
        finally:
            gc.unfreeze()


def test_no_production_model_is_unavailable(empty_app):
    with empty_app.app_context():
        register_dummy()
        with pytest.raises(serving.ModelUnavailable, match="no production model"):
            serving.production_model("toy")


def test_tampered_production_artifact_is_unavailable(empty_app):
    with empty_app.app_context():
        row = register_dummy()
        versions.promote("toy", 1, actor="t")
        path = versions.artifact_store().resolve(row.artifact_path)
        path.write_bytes(path.read_bytes() + b"!")
        with pytest.raises(serving.ModelUnavailable, match="sha256"):
            serving.production_model("toy")


def test_a_database_path_outside_the_store_is_refused(empty_app, tmp_path):
    with empty_app.app_context():
        row = register_dummy()
        versions.promote("toy", 1, actor="t")
        row.artifact_path = str(tmp_path / "elsewhere.joblib")
        db.session.commit()
        with pytest.raises(serving.ModelUnavailable, match="outside the artifact directory"):
            serving.production_model("toy")
        assert db.session.get(ModelVersion, row.id).stage == "production"
