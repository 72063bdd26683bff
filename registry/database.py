"""The SQLAlchemy handle, engine settings by database, and telling a busy database from a bug.

Every service speaks portable SQLAlchemy and runs on SQLite and PostgreSQL alike. SQLite's
speed-ups live in `registry.sqlite`, switched on by the engine's dialect (see `sqlite_fast_paths`).
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles

# Named constraints, so Alembic's batch mode can alter them on SQLite.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))

# SQLite result codes (the low byte of the extended code) that mean "another writer holds it".
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
# SQLSTATE classes and codes of a database that is down, restarting, overloaded or in the way of
# this transaction: the request may succeed if tried again.
_TRANSIENT_CLASSES = ("08", "53", "57")  # connection exception, resources, operator intervention
_TRANSIENT_STATES = ("40001", "40P01", "55P03")  # serialization, deadlock, lock not available


def json_text(value: Any) -> str:
    """JSON as every column stores it: compact, UTF-8 kept; orjson is ten times json's speed."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # e.g. a whole number beyond 64 bits
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class JSONDocument(sa.JSON):
    """A JSON column that may hold any document, a bare number too: `json` on PostgreSQL; on
    SQLite, text declared TEXT. (Columns that only hold objects and lists can stay sa.JSON.)

    SQLite gives a column declared JSON numeric affinity, which rewrites a document that looks
    like a number as it stores it: 7.0 comes back as 7, -0.0 as 0 and a 20-digit whole number as
    an approximate real. TEXT affinity keeps the text as written, and SQLite's JSON functions read
    it all the same.
    """

    cache_ok = True


@compiles(JSONDocument, "sqlite")
def _sqlite_json_document(type_, compiler, **kw) -> str:
    return "TEXT"


def engine_options(uri: str) -> dict[str, Any]:
    """SQLAlchemy engine settings for the database at `uri`."""
    options: dict[str, Any] = {"json_serializer": json_text}
    if sa.engine.make_url(uri).get_backend_name() != "sqlite":
        # A server may restart: test each pooled connection before use, so that the first
        # request after a restart does not get a dead one.
        options["pool_pre_ping"] = True
    return options


@event.listens_for(Engine, "connect")
def _connection_settings(dbapi_connection, _record) -> None:
    """Per-connection settings: SQLite's (WAL, busy timeout...) live with its fast paths."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        from registry.sqlite import connections

        connections.configure(dbapi_connection)


def close_session(_error: BaseException | None = None) -> None:
    """End the request's session at teardown, even on a connection the server has just closed.

    Flask-SQLAlchemy's own teardown ends it with a ROLLBACK; on a connection PostgreSQL
    terminated (a restart), that ROLLBACK raises after the answer was made, and the request
    becomes a 500. Registered after Flask-SQLAlchemy's, this runs first (teardowns run in
    reverse): a dead connection is only dropped (the pool has already invalidated it).
    """
    try:
        db.session.remove()
    except sa.exc.DBAPIError as error:
        if not unavailable(error):
            raise
        db.session.registry.clear()


def sqlite_fast_paths(engine: Engine | None = None) -> bool:
    """Whether the SQLite-only speed-ups apply: the engine is SQLite on a file, and the
    SQLITE_FAST_PATHS setting (on by default; tests turn it off to check the portable path)."""
    url = (engine or db.engine).url
    return (url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
            and bool(current_app.config.get("SQLITE_FAST_PATHS", True)))


def postgresql_fast_paths(engine: Engine | None = None) -> bool:
    """Whether the PostgreSQL-only speed-ups apply: the engine is PostgreSQL through psycopg, and
    the POSTGRESQL_FAST_PATHS setting (on by default; tests turn it off to check the portable
    path)."""
    url = (engine or db.engine).url
    return (url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg"
            and bool(current_app.config.get("POSTGRESQL_FAST_PATHS", True)))


def unavailable(error: BaseException) -> bool:
    """Whether a database error means "busy or unreachable, try again" rather than a bug.

    Told by the driver's error code and class: SQLite's BUSY and LOCKED, PostgreSQL's SQLSTATE
    for lost connections, shutdowns, lack of resources, deadlocks and serialization failures, a
    connection psycopg could not make (it has no SQLSTATE), and a full connection pool.
    """
    if isinstance(error, sa.exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    state = getattr(orig, "sqlstate", None)
    if state:
        return state[:2] in _TRANSIENT_CLASSES or state in _TRANSIENT_STATES
    return isinstance(orig, _psycopg_operational())


def _psycopg_operational() -> type[BaseException]:
    try:
        import psycopg
    except ImportError:  # psycopg is only needed for PostgreSQL
        return ()  # type: ignore[return-value]
    return psycopg.OperationalError


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo: SQLite keeps no zone, so none is stored anywhere."""
    return datetime.now(UTC).replace(tzinfo=None)
