"""The registry: model versions, predictions, training jobs and users, behind service functions."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate

from registry.database import close_session, db, engine_options

migrate = Migrate()
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def init_app(app: Flask) -> None:
    """Bind the database, migrations, model cache and CLI commands to an app."""
    from registry import cli, jobs, models, webhooks  # noqa: F401  (models: tables for Alembic)
    from registry.monitoring.challenger import Shadow
    from registry.serving import ModelCache

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = (
        engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
        | app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    db.init_app(app)
    app.teardown_appcontext(close_session)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    app.extensions["modelhub.models"] = ModelCache(app)
    app.extensions["modelhub.shadow"] = Shadow(app)
    jobs.init_app(app)
    webhooks.init_app(app)
    cli.init_app(app)
