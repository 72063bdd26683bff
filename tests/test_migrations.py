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
            "alembic_version"} <= tables


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
