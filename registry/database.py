"""The SQLAlchemy handle and the SQLite settings every connection gets."""
from __future__ import annotations

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


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo: SQLite keeps no zone, so none is stored anywhere."""
    return datetime.now(UTC).replace(tzinfo=None)
