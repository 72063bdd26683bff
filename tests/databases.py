"""Where each test's registry lives: a SQLite file in its instance folder (the default), or a
database of its own on a throwaway PostgreSQL cluster (`pytest --database postgresql`).

A test instance folder is an installation: on PostgreSQL its `config.py` names its database, so
every app, CLI runner, gunicorn or training process opened on the folder finds the same
registry, just as the SQLite file in the folder is found. Copying an instance copies its
database too (`CREATE DATABASE ... TEMPLATE`), and the databases a test made are dropped after it.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Iterator

import psycopg
from flask import Flask

from devservices import PostgresServer
from devservices.postgres import FAST
from registry import versions
from registry.database import db

KINDS = ("sqlite", "postgresql")
CONFIG = "config.py"
TEST_SECRET_KEY = "secret key of the test installations on PostgreSQL"


class Databases:
    """The kind of database tests run on, and the PostgreSQL cluster when they need one."""

    def __init__(self) -> None:
        self.kind = "sqlite"
        self._server: PostgresServer | None = None
        self._names = (f"t{os.getpid()}_{n}" for n in itertools.count())
        self.made: list[str] = []  # PostgreSQL databases made so far, oldest first
        self.apps: list[Flask] = []  # apps made so far, whose engines to dispose of

    @property
    def postgres(self) -> PostgresServer:
        """The session's PostgreSQL cluster, started on first use."""
        if self._server is None:
            self._server = PostgresServer(FAST)
            self._server.start()
        return self._server

    def close(self) -> None:
        self.release_since(0)
        if self._server is not None:
            self._server.close()
            self._server = None

    def new_instance(self, folder: Path, kind: str | None = None) -> Path:
        """An empty instance folder whose registry is a new, empty database (of the run's kind,
        unless `kind` names one)."""
        folder.mkdir(parents=True, exist_ok=True)
        if (kind or self.kind) == "postgresql":
            self._point(folder, self._create())
        return folder

    def copy_instance(self, template: Path, folder: Path) -> Path:
        """A copy of an instance folder: its files, and its database when it has one apart."""
        shutil.copytree(template, folder)
        source = database_of(template)
        if source is not None:
            self._point(folder, self._create(template=source))
        return folder

    def release_since(self, apps: int, databases: int = 0) -> None:
        """Close the connections of the apps made after the first `apps`, and drop the
        PostgreSQL databases made after the first `databases`."""
        while len(self.apps) > apps:
            app = self.apps.pop()
            app.extensions["modelhub.webhooks"].stop()  # its thread reads the registry
            with app.app_context():
                close_connections()
        while len(self.made) > databases:
            self.postgres.drop_database(self.made.pop())

    def _create(self, template: str | None = None) -> str:
        name = next(self._names)
        if template is not None:
            # A template must have no other session: end those of apps still open on it
            # (their pools test each connection before use and open another).
            self.postgres.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{template}' AND pid <> pg_backend_pid()")  # nosec B608
        self.postgres.create_database(name, template=template)
        self.made.append(name)
        return name

    def _point(self, folder: Path, name: str) -> None:
        # A registry on a server may be shared by several hosts, so the portal wants the
        # secret key given rather than generated.
        (folder / CONFIG).write_text(
            f"SQLALCHEMY_DATABASE_URI = {self.postgres.url(name)!r}\n"
            f"SECRET_KEY = {TEST_SECRET_KEY!r}\n")


def database_of(folder: Path) -> str | None:
    """The PostgreSQL database an instance folder's config names (None: its SQLite file)."""
    config = Path(folder) / CONFIG
    if not config.exists():
        return None
    found = re.search(r"^SQLALCHEMY_DATABASE_URI = '.*/(\w+)'$", config.read_text(), re.M)
    return found.group(1) if found else None


CURRENT = Databases()


def close_connections() -> None:
    """Close every connection the current app holds: its session's, then its pools', then its
    artifact stores'. (An engine disposed of while a session still holds a connection leaves
    that connection to the garbage collector.)"""
    versions.close_artifact_stores()
    db.session.remove()
    for engine in db.engines.values():
        engine.dispose()


@contextlib.contextmanager
def write_lock_held(uri: str) -> Iterator[None]:
    """Another session holds the registry's write lock until the block ends: SQLite's
    database-wide one, or on PostgreSQL exclusive locks on the tables that requests write."""
    if uri.startswith("sqlite"):
        other = sqlite3.connect(uri.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE model_versions SET trained_by = trained_by || ''")
        try:
            yield
        finally:
            other.execute("COMMIT")
            other.close()
        return
    with psycopg.connect(uri.replace("postgresql+psycopg://", "postgresql://")) as other:
        other.execute("LOCK TABLE model_versions, promotions, predictions, training_jobs "
                      "IN EXCLUSIVE MODE")
        yield
