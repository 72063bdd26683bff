"""The application factory and its settings."""
import os
import stat

import pytest

from portal import create_app
from tests.conftest import make_app


def test_config_layers(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("MAX_BATCH = 7\nJOB_STALE_SECONDS = 99\n")
    monkeypatch.setenv("MODELHUB_JOB_STALE_SECONDS", "55")
    monkeypatch.setenv("MODELHUB_USECASES", "[]")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True})
    assert app.config["MAX_BATCH"] == 7  # instance/config.py over the defaults
    assert app.config["JOB_STALE_SECONDS"] == 55  # environment over instance/config.py
    app = create_app({"INSTANCE_PATH": str(tmp_path), "JOB_STALE_SECONDS": 5})
    assert app.config["JOB_STALE_SECONDS"] == 5  # the mapping over everything


def test_defaults_live_in_the_instance_folder(tmp_path):
    app = make_app(tmp_path, USECASES=[])
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'modelhub.db'}"
    assert app.config["ARTIFACT_DIR"] == str(tmp_path / "models")


def test_secret_key_generated_once_and_private(tmp_path):
    first = make_app(tmp_path, USECASES=[]).config["SECRET_KEY"]
    second = make_app(tmp_path, USECASES=[]).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    other = make_app(tmp_path / "other", USECASES=[]).config["SECRET_KEY"]
    assert other != first


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_busy_timeout(empty_app):
    from registry.database import db

    with empty_app.app_context():
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(db.text("PRAGMA busy_timeout")).scalar() >= 1000
