"""WAL checkpoints made by a thread of their own, not by the commits that store predictions."""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time

import pytest

from registry.sqlite import checkpoints
from registry.sqlite.connections import OwnConnection, connect

ROW = "x" * 3000  # most of a page: each commit adds at least one page to the WAL
PAGE = 4096


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "store.db")
    with connect(path) as setup:
        setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)")
    setup.close()
    return path


@pytest.fixture
def own(database):
    own = OwnConnection(database)
    yield own
    own.checkpoints.stop()
    own.close()


def store(own: OwnConnection, count: int) -> None:
    """`count` commits, each in the writer's turn, as predictions are stored."""
    for _ in range(count):
        with own as connection:
            connection.execute("INSERT INTO t (x) VALUES (?)", (ROW,))
            connection.commit()


def file_size(path: str) -> int:
    return os.path.getsize(path) if os.path.exists(path) else 0


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_commits_no_longer_checkpoint_themselves(own, database):
    """SQLite's own autocheckpoint (4,000 pages) would have copied these back inside a commit."""
    own.checkpoints.stop()  # no thread: only the commits themselves could checkpoint
    store(own, 5000)  # ~20 MB
    assert file_size(database) < 100 * PAGE  # still the empty table: nothing copied back
    assert file_size(f"{database}-wal") > 5000 * PAGE


def test_the_thread_copies_the_pages_back_soon_after_commits(own, database):
    store(own, 50)
    wait_for(lambda: own.checkpoints.checkpoints >= 1)
    assert file_size(database) > 50 * len(ROW)
    with connect(database) as reader:
        assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 50
        assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reader.close()


def test_under_steady_writes_the_wal_starts_over_instead_of_growing(own, database, monkeypatch):
    """A checkpoint copies what the WAL held when it began, and the WAL starts over only once
    everything is copied: with commits arriving all the time, the round's second step (in the
    writers' turn) is what lets it start over; without it the file would grow with every row."""
    monkeypatch.setattr(checkpoints, "GATHER_SECONDS", 0.05)
    monkeypatch.setattr(checkpoints, "RESTART_PAGES", 50)
    commits = 0
    began = time.monotonic()
    while time.monotonic() - began < 2.0 or own.checkpoints.checkpoints < 5:
        store(own, 1)
        commits += 1
        time.sleep(0.0005)  # about the pace of a busy portal
    assert file_size(f"{database}-wal") < commits * PAGE / 4  # each commit wrote a page or more
    with connect(database) as reader:
        assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == commits
    reader.close()


def test_a_small_wal_is_checkpointed_without_holding_writers_off(own, database, monkeypatch):
    """Only a WAL worth starting over (RESTART_PAGES) makes a round wait for the writers' turn."""
    monkeypatch.setattr(checkpoints, "GATHER_SECONDS", 0.01)
    store(own, 10)
    turn = os.open(f"{database}-writers", os.O_RDWR)
    try:
        fcntl.flock(turn, fcntl.LOCK_EX)  # a writer in its turn, for as long as this takes
        wait_for(lambda: own.checkpoints.checkpoints >= 1)
        assert file_size(database) > 10 * len(ROW)  # copied back all the same
    finally:
        os.close(turn)


def test_readers_see_every_commit_while_checkpoints_run(own, database, monkeypatch):
    monkeypatch.setattr(checkpoints, "GATHER_SECONDS", 0.01)
    seen: list[int] = []
    stop = threading.Event()

    def read() -> None:
        reader = connect(database)
        while not stop.is_set():
            seen.append(reader.execute("SELECT count(*) FROM t").fetchone()[0])
        reader.close()

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for done in range(1, 301):
            store(own, 1)
            with connect(database) as fresh:
                assert fresh.execute("SELECT count(*) FROM t").fetchone()[0] == done
            fresh.close()
    finally:
        stop.set()
        thread.join()
    assert seen == sorted(seen)  # never a row lost and found again
    assert own.checkpoints.checkpoints >= 1


def test_an_idle_thread_ends_and_the_next_commit_starts_another(own, monkeypatch):
    monkeypatch.setattr(checkpoints, "GATHER_SECONDS", 0.01)
    monkeypatch.setattr(checkpoints, "IDLE_SECONDS", 0.2)
    store(own, 1)
    wait_for(lambda: own.checkpoints.checkpoints == 1)
    wait_for(lambda: not _threads_of(own))
    store(own, 1)
    wait_for(lambda: own.checkpoints.checkpoints == 2)


def test_a_failed_round_is_logged_and_the_next_commit_is_checkpointed(own, monkeypatch, caplog):
    monkeypatch.setattr(checkpoints, "GATHER_SECONDS", 0.01)
    real = checkpoints._passive
    failures = iter([sqlite3.OperationalError("database is locked")])

    def passive(connection):
        for failure in failures:
            raise failure
        return real(connection)

    monkeypatch.setattr(checkpoints, "_passive", passive)
    store(own, 1)
    wait_for(lambda: "skipped: database is locked" in caplog.text)
    store(own, 1)
    wait_for(lambda: own.checkpoints.checkpoints == 1)


def test_one_checkpointer_per_process_and_database(database, tmp_path):
    first, second = OwnConnection(database), OwnConnection(database)
    other = OwnConnection(str(tmp_path / "other.db"))
    try:
        assert first.checkpoints is second.checkpoints
        assert other.checkpoints is not first.checkpoints
    finally:
        for own in (first, second, other):
            own.checkpoints.stop()
            own.close()


def _threads_of(own: OwnConnection) -> list[threading.Thread]:
    name = f"checkpoints {os.path.basename(own.checkpoints.path)}"
    return [t for t in threading.enumerate() if t.name == name]
