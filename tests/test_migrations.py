"""The schema is built only by the migrations."""
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade

from registry import MIGRATIONS
from registry.database import db


def test_migrations_have_a_single_head():
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    assert len(heads) == 1, heads


def test_upgrade_builds_every_table_from_nothing(empty_app):
    with empty_app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {"model_versions", "promotions", "predictions", "training_jobs", "users",
            "login_failures", "alembic_version"} <= tables


def test_migrations_match_the_models(empty_app):
    """Autogenerate finds nothing to do: the models and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with empty_app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_downgrade_removes_the_schema(empty_app):
    with empty_app.app_context():
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names())
    assert tables <= {"alembic_version"}


def test_sqlite_json_columns_keep_their_text_after_the_upgrade(tmp_path):
    """0006: documents stored under numeric affinity survive the rebuild as valid JSON, and
    new ones keep their text (7.0 stays 7.0)."""
    from flask_migrate import upgrade

    from tests.conftest import make_app
    from tests.databases import CURRENT as databases

    app = make_app(databases.new_instance(tmp_path / "instance", "sqlite"))
    insert = sa.text("INSERT INTO predictions (usecase, model_version_id, version, created_at, "
                     "inputs, output, summary, latency_ms, source) VALUES ('toy', :v, 1, "
                     "'2026-01-01 00:00:00.000000', '{}', :output, '', 1.0, 'api')")
    typeof = sa.text("SELECT typeof(output) FROM predictions ORDER BY id")
    with app.app_context():
        upgrade(revision="0005")
        # The table as it was at 0005 (the model has columns added since): plain SQL.
        version = db.session.execute(sa.text(
            "INSERT INTO model_versions (usecase, version, stage, created_at, trained_by, "
            "params, metrics, leaderboard, data_fingerprint, train_rows, test_rows, "
            "library_versions, training_seconds, artifact_path, artifact_size, artifact_sha256)"
            " VALUES ('toy', 1, 'candidate', '2026-01-01 00:00:00.000000', 't', '{}', '{}', "
            "'[]', '', 1, 1, '{}', 0.0, 'toy/x.joblib', 1, '') RETURNING id")).scalar_one()
        db.session.execute(insert, {"v": version, "output": "7.0"})
        db.session.commit()
        assert db.session.scalars(typeof).all() == ["integer"]  # what numeric affinity did
        upgrade()
        db.session.execute(insert, {"v": version, "output": "7.0"})
        db.session.commit()
        assert db.session.scalars(typeof).all() == ["text", "text"]
        outputs = db.session.scalars(sa.text("SELECT output FROM predictions ORDER BY id")).all()
        indexes = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("predictions")}
    assert outputs == ["7", "7.0"]
    assert "ix_predictions_usecase_value" in indexes
