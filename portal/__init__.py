"""Model Hub's web portal: the application factory."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from portal.application import Portal
from portal.config import DEFAULTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Settings: defaults, instance/config.py, MODELHUB_* variables, `config`."""
    config = dict(config or {})
    instance = (config.pop("INSTANCE_PATH", None) or os.environ.get("MODELHUB_INSTANCE_PATH")
                or str(PROJECT_ROOT / "instance"))
    app = Portal(__name__, instance_path=str(Path(instance).resolve()),
                instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("MODELHUB")
    app.config.from_mapping(config)
    _fill_instance_defaults(app)

    from portal import admin, api, auth, errors, extensions, history, jsonio, main, security
    from portal import sessions, usecase_pages
    import registry
    import usecases

    jsonio.init_app(app)
    sessions.init_app(app)
    extensions.init_app(app)
    security.init_app(app)
    registry.init_app(app)
    usecases.init_app(app)
    errors.init_app(app)
    main.init_app(app)
    usecase_pages.init_app(app)
    auth.init_app(app)
    admin.init_app(app)
    history.init_app(app)
    api.init_app(app)
    return app


def _fill_instance_defaults(app: Flask) -> None:
    """Put the database, the artifacts and the secret key in the instance folder unless set."""
    folder = Path(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{folder / 'modelhub.db'}"
    if not app.config["ARTIFACT_DIR"]:
        app.config["ARTIFACT_DIR"] = str(folder / "models")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _installation_secret(folder / "secret_key")


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
