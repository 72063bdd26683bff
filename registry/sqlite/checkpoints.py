"""SQLite only: WAL checkpoints in a thread of their own, off the path of the request that
stores a prediction.

In WAL mode a commit appends pages to the `-wal` file; a checkpoint copies them back into the
database file and syncs both. SQLite runs one inside whichever commit passes
`wal_autocheckpoint` pages: here every ~480 stored predictions, and it took that one request
8 ms (the sync of 16 MiB of WAL; 0.6 ms on a RAM disk), while up to eight others queued behind
it on the same worker. That was the long tail of single predictions under load.

Connections that store predictions therefore leave checkpoints to a `Checkpointer`, one per
process and database, woken by their commits. It checkpoints in two steps:

1. a passive checkpoint with no lock taken: the long part (copying pages, syncing), while
   writers go on appending;
2. once the WAL holds RESTART_PAGES or more, a second passive checkpoint inside the writers'
   turn (the lock file they queue on), which has only the pages of the commits made meanwhile
   to copy. SQLite starts the WAL over from its beginning only when every page in it has been
   copied back: under steady writes, step 1 alone never gets there, and the file would grow
   without end. (With no writer in the way, the next commit starts it over after step 1.)

A writer's own SQLite autocheckpoint stays on at a far larger size, in case this thread is ever
kept from its work.
"""
from __future__ import annotations

import atexit
import fcntl
import logging
import os
import sqlite3
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)

# After a commit wakes it, the thread waits this long, so a burst of commits costs one checkpoint
# (at ~2,300 stored predictions a second: one per ~3,700 WAL pages, about what SQLite's own
# autocheckpoint of 4,000 pages gave).
GATHER_SECONDS = 0.2
# A thread with no commit to follow for this long ends; the next commit starts another.
IDLE_SECONDS = 10.0
# WAL pages (4 KiB) from which a round holds writers off to let the WAL start over: about 16 MiB,
# every ~0.2 s under full load from both workers together, rather than every round of each.
RESTART_PAGES = 4000


class Checkpointer:
    """Checkpoints one SQLite database's WAL whenever commits say there is something to copy."""

    def __init__(self, path: str, connect: Callable[[str], sqlite3.Connection]) -> None:
        self.path = path
        self._connect = connect
        self._due = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.checkpoints = 0  # completed rounds, for tests and curiosity

    def wrote(self) -> None:
        """A commit added pages to the WAL: have them checkpointed soon (cheap when already due)."""
        if self._due.is_set():
            return
        with self._lock:
            self._due.set()
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                 name=f"checkpoints {os.path.basename(self.path)}")
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread after the round it is in (if any); for a clean exit."""
        with self._lock:
            self._stopping = True
            thread = self._thread
            self._due.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        connection = queue = None
        try:
            connection = self._connect(self.path)
            connection.execute("PRAGMA wal_autocheckpoint=0")  # this connection only reads
            queue = writers_queue(self.path)
            while self._next_round():
                self._round(connection, queue)
        except Exception:  # the next commit starts another thread; never let one die silently
            log.exception("WAL checkpoints of %s stopped", self.path)
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
            if connection is not None:
                connection.close()
            if queue is not None:
                os.close(queue)

    def _next_round(self) -> bool:
        """Wait for a commit, then a little longer for the ones that follow; False to end."""
        if not self._due.wait(IDLE_SECONDS):
            with self._lock:  # a commit may have come in just now: then it is not idle
                if not self._due.is_set():
                    self._thread = None  # from now on, a commit starts another thread
                    return False
        if self._stopping:
            return False
        time.sleep(GATHER_SECONDS)
        self._due.clear()
        return not self._stopping

    def _round(self, connection: sqlite3.Connection, queue: int) -> None:
        try:
            busy, frames, _ = _passive(connection)
            if busy or frames <= 0:
                return  # another process is checkpointing this database, or nothing to do
            if frames >= RESTART_PAGES:
                # The pages it reports copied are those in the WAL when it began; commits made
                # since are copied here, with writers held off, so that the WAL can start over.
                fcntl.flock(queue, fcntl.LOCK_EX)
                try:
                    _passive(connection)
                finally:
                    fcntl.flock(queue, fcntl.LOCK_UN)
            self.checkpoints += 1
        except sqlite3.OperationalError as exc:  # e.g. locked for longer than the busy timeout
            log.warning("WAL checkpoint of %s skipped: %s", self.path, exc)


def writers_queue(path: str) -> int:
    """The lock file beside the database that writers take turns on, as an open file
    description of the caller's own: flock() then queues threads as well as processes."""
    return os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _passive(connection: sqlite3.Connection) -> tuple[int, int, int]:
    """(busy, pages in the WAL, pages copied back) after a passive checkpoint."""
    return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


_checkpointers: dict[tuple[int, str], Checkpointer] = {}
_registry_lock = threading.Lock()


def for_database(path: str, connect: Callable[[str], sqlite3.Connection]) -> Checkpointer:
    """This process's checkpointer of the SQLite file at `path` (its thread starts on a commit)."""
    key = (os.getpid(), path)  # a forked child gets its own: threads do not survive a fork
    checkpointer = _checkpointers.get(key)
    if checkpointer is None:
        with _registry_lock:
            checkpointer = _checkpointers.setdefault(key, Checkpointer(path, connect))
    return checkpointer


@atexit.register
def _stop_all() -> None:
    for (pid, _), checkpointer in list(_checkpointers.items()):
        if pid == os.getpid():
            checkpointer.stop()
