"""Model Hub's web portal: the application factory."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

import sqlalchemy as sa
from flask import Flask

from portal.application import Portal
from portal.config import layered

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Settings: defaults, instance/config.py, MODELHUB_* variables, `config`."""
    config = dict(config or {})
    app = Portal(__name__, instance_path=str(instance_folder(config.pop("INSTANCE_PATH", None))),
                instance_relative_config=True)
    layered(app.config)
    app.config.from_mapping(config)
    _fill_instance_defaults(app)

    from portal import (admin, api, auth, errors, extensions, history, inference, jsonio, main,
                        security)
    from portal import figures, quotas, sessions, streams, usecase_pages, visible
    import registry
    import usecases
    from registry import table_usecases

    streams.init_app(app)
    jsonio.init_app(app)
    visible.init_app(app)
    figures.init_app(app)
    sessions.init_app(app)
    extensions.init_app(app)
    security.init_app(app)
    quotas.init_app(app)
    registry.init_app(app)
    usecases.init_app(app)
    table_usecases.init_app(app)
    errors.init_app(app)
    main.init_app(app)
    usecase_pages.init_app(app)
    auth.init_app(app)
    admin.init_app(app)
    history.init_app(app)
    api.init_app(app)
    inference.init_app(app)
    security.trust_proxies(app)
    return app


def instance_folder(given: str | None = None) -> Path:
    """The instance folder: `given`, else MODELHUB_INSTANCE_PATH, else instance/ here."""
    return Path(given or os.environ.get("MODELHUB_INSTANCE_PATH")
                or PROJECT_ROOT / "instance").resolve()


def _fill_instance_defaults(app: Flask) -> None:
    """Put the database, the artifacts and the secret key in the instance folder unless set."""
    folder = Path(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{folder / 'modelhub.db'}"
    if not app.config["ARTIFACT_DIR"]:
        app.config["ARTIFACT_DIR"] = str(folder / "models")
    if not app.config["SECRET_KEY"]:
        shared = shared_across_hosts(app.config)
        if shared:
            raise RuntimeError(
                "SECRET_KEY must be set (in instance/config.py or as MODELHUB_SECRET_KEY) "
                f"because {shared}: every host must sign sessions with the same key, and a "
                "generated one would be this host's alone.")
        app.config["SECRET_KEY"] = _installation_secret(folder / "secret_key")


def shared_across_hosts(config: Mapping[str, Any]) -> str | None:
    """What makes this installation one that several hosts may serve (None: one host only).

    A generated secret key lives in one host's instance folder: hosts sharing a registry would
    each make their own, and a session signed by one would be refused by the next. So once any
    of the installation's state lives off this host (a database server rather than a SQLite
    file, artifacts in S3, a training queue), the key must be given, the same on every host.
    """
    database = sa.engine.make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if database != "sqlite":
        return f"the registry is a {database} database"
    if str(config.get("ARTIFACT_DIR") or "").startswith("s3://"):
        return "ARTIFACT_DIR is in S3"
    if config.get("JOB_QUEUE_URL"):
        return "JOB_QUEUE_URL is set"
    return None


def _installation_secret(path: Path) -> str:
    """A secret made once per installation, readable only by its owner; never in git."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process (e.g. a sibling gunicorn worker) made it first: use theirs.
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()
