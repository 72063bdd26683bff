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


@pytest.mark.parametrize("settings, env, workers", [
    ("", {}, 3),  # SQLite: one sync worker per core
    ("SQLALCHEMY_DATABASE_URI = 'postgresql+psycopg://hub@db/hub'\n", {}, 6),  # two per core
    ("", {"MODELHUB_SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://hub@db/hub"}, 6),
    ("SQLALCHEMY_DATABASE_URI = 'postgresql+psycopg://hub@db/hub'\n",
     {"WEB_CONCURRENCY": "5"}, 5),  # the operator's number wins
])
def test_gunicorn_workers_follow_the_database(tmp_path, monkeypatch, settings, env, workers):
    """gunicorn.conf.py reads the same layered settings as the app to size its workers."""
    import runpy
    from pathlib import Path

    (tmp_path / "config.py").write_text(settings)
    for name in ("WEB_CONCURRENCY", "MODELHUB_SQLALCHEMY_DATABASE_URI",
                 "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.setenv(name, "")  # recorded, so the file's setdefault is undone afterwards
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MODELHUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    assert conf["workers"] == workers
    assert conf["worker_class"] == "sync"
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "prometheus")


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


# Settings that let several hosts serve one installation: each must share the secret key.
SEVERAL_HOSTS = [
    {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://hub@127.0.0.1:9/hub"},
    {"ARTIFACT_DIR": "s3://models-bucket/hub"},
    {"JOB_QUEUE_URL": "redis://127.0.0.1:9/0"},
]


@pytest.mark.parametrize("settings", SEVERAL_HOSTS, ids=lambda s: next(iter(s)))
def test_several_hosts_refuse_to_start_without_a_secret_key(tmp_path, settings):
    """Each host would generate a key of its own, and sessions would break between hosts.
    (Refused before any connection: nothing listens on port 9.)"""
    with pytest.raises(RuntimeError, match=r"SECRET_KEY must be set .*MODELHUB_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "USECASES": []} | settings)
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("settings", SEVERAL_HOSTS, ids=lambda s: next(iter(s)))
@pytest.mark.parametrize("given_by", ["mapping", "environment", "config.py"])
def test_several_hosts_start_with_the_secret_key_given(tmp_path, monkeypatch, settings,
                                                       given_by):
    key = "the same key on every host"
    config = {"INSTANCE_PATH": str(tmp_path), "USECASES": []} | settings
    if given_by == "mapping":
        config["SECRET_KEY"] = key
    elif given_by == "environment":
        monkeypatch.setenv("MODELHUB_SECRET_KEY", key)
    else:
        (tmp_path / "config.py").write_text(f"SECRET_KEY = {key!r}\n")
    assert create_app(config).secret_key == key
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_busy_timeout(empty_app):
    from registry.database import db

    with empty_app.app_context():
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(db.text("PRAGMA busy_timeout")).scalar() >= 1000
