"""SQLite only: every connection's settings, and each thread's own connection for writers."""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import weakref

from sqlalchemy.engine import Engine

from registry.sqlite import checkpoints

# How long a connection waits for another writer before SQLite reports "database is locked".
BUSY_TIMEOUT_MS = 15_000
# How much of the database file each connection maps into memory (address space, not RAM).
MMAP_BYTES = 256 * 1024 * 1024
# Pages the WAL file may hold before a commit copies them back (4 KiB pages: about 16 MiB).
CHECKPOINT_PAGES = 4000
# The same for connections that store predictions, whose checkpoints a thread of their own makes
# (registry.sqlite.checkpoints); only if that thread fell far behind would a commit make one.
BACKSTOP_CHECKPOINT_PAGES = 40_000


def configure(connection: sqlite3.Connection) -> None:
    """WAL lets readers and one writer work side by side; the busy timeout makes writers queue."""
    cursor = connection.cursor()
    # The timeout first: switching a new database to WAL needs a lock of its own.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a crash loses no commit
    # Pages of the database file read through a memory map, not a read() and a copy each
    # (the history's readers; OwnConnection, the writer, turns it off).
    cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    # A checkpoint (copying the WAL's pages back and two fsyncs, ~1 ms each here) falls on
    # whichever commit passes this size; at SQLite's default of 1,000 pages that was every
    # ~125 stored predictions, or every ~5 batches of 1,000 rows.
    cursor.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
    cursor.close()


def connect(path: str) -> sqlite3.Connection:
    """A driver connection to the SQLite file at `path`, with every connection's settings."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    configure(connection)
    return connection


_own = threading.local()


class OwnConnection:
    """A thread's own driver connection to the app's SQLite file, and its turn among writers.

    For the one statement on every request's path, storing a prediction: checking a connection
    out of SQLAlchemy's pool and back cost a third of the write. Kept per process and thread
    (sqlite3 connections are neither fork- nor thread-safe), with the pool's settings.

    Writers queue on a lock file next to the database before they write. When SQLite finds its
    write lock taken it sleeps (1 ms, then 2, 5, 10 ...) and tries again; under load two
    workers kept meeting there and spent about 5% of their time asleep with work waiting. A
    lock the kernel hands over wakes the next writer the moment the last one lets go. Writers
    that do not queue here (the SQLAlchemy session) still meet SQLite's own lock, as before.

    Its commits leave WAL checkpoints to the process's checkpointer of the database.
    """

    def __init__(self, path: str) -> None:
        self.connection = connect(path)
        self.connection.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
        # Every commit of the other worker empties this connection's page cache, so each
        # insert reads its pages again. Through the memory map that took longer: two processes
        # taking turns, 98 us per INSERT with it, 71 us without (one process alone: 40 either
        # way).
        self.connection.execute("PRAGMA mmap_size=0")
        self.checkpoints = checkpoints.for_database(path, connect)
        self._queue = checkpoints.writers_queue(path)
        # A thread that ends never closes its own connection (the development server answers
        # each request in a new thread): both are released as its thread-local data goes.
        self.close = weakref.finalize(self, _release, self.connection, self._queue, os.getpid())

    def __enter__(self) -> sqlite3.Connection:
        """`with own as connection:` writes with every other queued writer held off."""
        fcntl.flock(self._queue, fcntl.LOCK_EX)
        return self.connection

    def __exit__(self, *_exc: object) -> None:
        fcntl.flock(self._queue, fcntl.LOCK_UN)
        self.checkpoints.wrote()


def _release(connection: sqlite3.Connection, queue: int, owner: int) -> None:
    if os.getpid() == owner:  # a forked child leaves its parent's connection be
        connection.close()
        os.close(queue)


def own_connection(engine: Engine) -> OwnConnection:
    """This thread's own connection to the SQLite file of `engine`."""
    path = engine.url.database
    connections = _own.__dict__.setdefault("connections", {})
    pid = os.getpid()
    key = (pid, path)
    own = connections.get(key)
    if own is None:
        # One database per thread at a time (a server has one; a test run makes many): close
        # this process's connection to any other. A parent's, inherited by a fork, is left be.
        for other in [k for k in connections if k[0] == pid]:
            connections.pop(other).close()
        own = connections[key] = OwnConnection(path)
    return own
