"""PostgreSQL only: a single prediction stored through the thread's own driver connection.

On the request path, SQLAlchemy's pool and session cost more than the write: a checkout with
its pre-ping, BEGIN, the INSERT and COMMIT are four round trips to the server. One INSERT ...
RETURNING in autocommit is one, and all or nothing by itself. Batches keep the portable path
(one transaction, ids in the order of the rows).
"""
from __future__ import annotations

import os
import threading
import weakref
from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from registry.database import json_text

# Constant column names and placeholders only: values are always bound, never formatted in.
INSERT = ("INSERT INTO predictions (usecase, model_version_id, version, created_at, inputs, "
          "output, summary, latency_ms, source, output_value, output_label, probability) "
          "VALUES (%s, %s, %s, %s, %s::json, %s::json, %s, %s, %s, %s, %s, %s) RETURNING id")

_own = threading.local()


def insert(engine: Engine, fixed: tuple[str, int, int, datetime, float, str],
           row: tuple[Any, Any, str, float | None, str | None, float | None]
           ) -> list[int]:
    """Store one prediction; its id. A driver error comes back as SQLAlchemy's, so the error
    pages tell a server that is down from a bug exactly as for the portable path."""
    usecase, version_id, version, now, latency_ms, source = fixed
    inputs, output, summary, value, label, probability = row
    params = (usecase, version_id, version, now, json_text(inputs), json_text(output), summary,
              latency_ms, source, value, label, probability)
    try:
        connection = own_connection(engine)
        return [connection.execute(INSERT, params).fetchone()[0]]
    except psycopg.Error as error:
        # A connection the server ended (a restart) is dropped: the next write connects anew.
        own = _own.__dict__.get("connections", {}).get(_key(engine))
        if own is not None and (own.broken or own.closed):
            _forget(engine)
        raise sa.exc.DBAPIError.instance(INSERT, params, error, psycopg.Error) from error


def _key(engine: Engine) -> tuple[int, str]:
    return os.getpid(), str(engine.url)


def own_connection(engine: Engine) -> psycopg.Connection:
    """This thread's own autocommit connection to the database of `engine`."""
    key = _key(engine)
    connections = _own.__dict__.setdefault("connections", {})
    connection = connections.get(key)
    if connection is None:
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = connections[key] = psycopg.connect(url, autocommit=True)
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
