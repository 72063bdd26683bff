"""PostgreSQL only: a single prediction stored through the thread's own driver connection.

On the request path, SQLAlchemy's pool and session cost more than the write: a checkout with
its pre-ping, BEGIN, the INSERT and COMMIT are four round trips to the server. One INSERT ...
RETURNING in autocommit is one, and all or nothing by itself. It goes through psycopg's libpq
layer (`psycopg.pq`, its documented low-level interface) as a statement prepared once per
connection, with the values sent as text: the cursor's adapting, preparing and row building
took more of the web worker's CPU than the server took to store the row. Batches keep the
portable path (one transaction, ids in the order of the rows).
"""
from __future__ import annotations

import os
import threading
import weakref
from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import errors, pq
from sqlalchemy.engine import Engine

from registry.database import json_text

STATEMENT = b"modelhub_insert_prediction"
# Constant column names and placeholders only: values are always bound, never formatted in.
INSERT = ("INSERT INTO predictions (usecase, model_version_id, version, created_at, inputs, "
          "output, summary, latency_ms, source, output_value, output_label, probability) "
          "VALUES ($1, $2, $3, $4, $5::json, $6::json, $7, $8, $9, $10, $11, $12) RETURNING id")

_own = threading.local()
_urls: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def insert(engine: Engine, fixed: tuple[str, int, int, datetime, float, str],
           row: tuple[Any, Any, str, float | None, str | None, float | None]
           ) -> list[int]:
    """Store one prediction; its id. A driver error comes back as SQLAlchemy's, so the error
    pages tell a server that is down from a bug exactly as for the portable path."""
    usecase, version_id, version, now, latency_ms, source = fixed
    inputs, output, summary, value, label, probability = row
    inputs_json, output_json = json_text(inputs), json_text(output)
    try:
        if any("\0" in text for text in (usecase, summary, source, label or "")):
            # libpq would cut the text there: refused as psycopg's adapter refuses it.
            raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        connection = own_connection(engine)
        encoding = connection.info.encoding
        result = connection.pgconn.exec_prepared(STATEMENT, [
            usecase.encode(encoding), b"%d" % version_id, b"%d" % version,
            now.isoformat().encode(), inputs_json.encode(encoding), output_json.encode(encoding),
            summary.encode(encoding), _number(latency_ms), source.encode(encoding),
            _number(value), None if label is None else label.encode(encoding),
            _number(probability)])
        if result.status != pq.ExecStatus.TUPLES_OK:
            raise _error(connection, result)
        return [int(result.get_value(0, 0))]
    except (psycopg.Error, ValueError) as error:  # ValueError: text the encoding cannot hold
        # A connection the server ended (a restart) is dropped: the next write connects anew.
        own = _own.__dict__.get("connections", {}).get(_key(engine))
        if own is not None and (own.broken or own.closed
                                or own.pgconn.status != pq.ConnStatus.OK):
            _forget(engine)
        if not isinstance(error, psycopg.Error):  # as psycopg's adapter would report it
            error = psycopg.DataError(str(error))
        params = (usecase, version_id, version, now, inputs_json, output_json, summary,
                  latency_ms, source, value, label, probability)
        raise sa.exc.DBAPIError.instance(INSERT, params, error, psycopg.Error) from error


def _number(value: float | None) -> bytes | None:
    """A float as PostgreSQL reads it back exactly (repr is the shortest exact text; NaN and
    the infinities are spelt as float8 accepts them)."""
    return None if value is None else repr(float(value)).encode()


def _error(connection: psycopg.Connection, result: pq.abc.PGresult) -> psycopg.Error:
    """The psycopg error for a failed statement: its class by SQLSTATE, as psycopg raises it;
    a connection lost without a word from the server is an OperationalError."""
    message = (result.error_message or connection.pgconn.error_message).decode(
        "utf-8", "replace").strip() or "the statement failed"
    state = result.error_field(pq.DiagnosticField.SQLSTATE)
    if state is None:
        return psycopg.OperationalError(message)
    try:
        return errors.lookup(state.decode())(message)
    except KeyError:  # a code this psycopg does not know
        return psycopg.DatabaseError(message)


def _key(engine: Engine) -> tuple[int, str]:
    url = _urls.get(engine)
    if url is None:
        url = _urls[engine] = str(engine.url)
    return os.getpid(), url


def own_connection(engine: Engine) -> psycopg.Connection:
    """This thread's own autocommit connection to the database of `engine`, with the insert
    prepared on it."""
    key = _key(engine)
    connections = _own.__dict__.setdefault("connections", {})
    connection = connections.get(key)
    if connection is None:
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = psycopg.connect(url, autocommit=True)
        prepared = connection.pgconn.prepare(STATEMENT, INSERT.encode())
        if prepared.status != pq.ExecStatus.COMMAND_OK:
            error = _error(connection, prepared)
            connection.close()
            raise error
        connections[key] = connection
        # A thread that ends never closes it (the development server answers each request in
        # a new thread): closed when the thread's data goes, by the process that opened it.
        weakref.finalize(threading.current_thread(), _close, connection, os.getpid())
    return connection


def _forget(engine: Engine) -> None:
    connection = _own.__dict__.get("connections", {}).pop(_key(engine), None)
    if connection is not None:
        connection.close()


def _close(connection: psycopg.Connection, owner: int) -> None:
    if os.getpid() == owner:  # a forked child leaves its parent's connection be
        connection.close()
