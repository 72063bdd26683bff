"""The SQLAlchemy handle and the SQLite settings every connection gets."""
from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Named constraints, so Alembic's batch mode can alter them on SQLite.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))

# How long a connection waits for another writer before SQLite reports "database is locked".
BUSY_TIMEOUT_MS = 15_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers and one writer work side by side; the busy timeout makes writers queue."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        # The timeout first: switching a new database to WAL needs a lock of its own.
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a crash loses no commit
        cursor.close()


_own = threading.local()


def own_sqlite_connection() -> sqlite3.Connection | None:
    """This thread's own driver connection to the app's SQLite file (None for other databases).

    For the one statement on every request's path, storing a prediction: checking a connection
    out of SQLAlchemy's pool and back cost a third of the write. Kept per process and thread
    (sqlite3 connections are neither fork- nor thread-safe), with the pool's settings.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    connections = _own.__dict__.setdefault("connections", {})
    key = (os.getpid(), url.database)
    connection = connections.get(key)
    if connection is None:
        connection = sqlite3.connect(url.database, timeout=BUSY_TIMEOUT_MS / 1000)
        _sqlite_pragmas(connection, None)
        connections[key] = connection
    return connection


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo: SQLite keeps no zone, so none is stored anywhere."""
    return datetime.now(UTC).replace(tzinfo=None)
