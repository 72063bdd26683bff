"""SQLite only: storing predictions through each thread's own connection (the serving path)."""
from __future__ import annotations

import os
import sqlite3
import threading

import pytest

from registry import predictions, versions
from registry.database import db
from registry.sqlite.connections import own_connection
from registry.sqlite.inserts import insert_own
from registry.models import Prediction
from tests.conftest import migrated_app

LIMIT = sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER


def rows(count: int) -> tuple[list[dict], list[dict]]:
    inputs = [{"n": i, "text": f"input {i}"} for i in range(count)]
    results = [{"output": i * 1.5, "summary": f"row {i}"} for i in range(count)]
    return inputs, results


@pytest.mark.parametrize("count", [1, 2, 3, 7, 10])
def test_rows_are_stored_whole_in_order_in_statements_the_driver_allows(app, count):
    """A batch goes in as multi-row INSERTs of as many rows as SQLite's limit on bound values
    allows (3 here), and comes back in order under the ids record() returned."""
    name = sorted(app.extensions["modelhub.usecases"])[0]
    inputs, results = rows(count)
    with app.app_context():
        version = versions.production_version(name)
        db.session.remove()  # no session in a transaction: the own connection writes
        own = own_connection(db.engine)
        before = own.connection.getlimit(LIMIT)
        own.connection.setlimit(LIMIT, 3 * 11 + 5)  # room for 3 rows of 11 values
        try:
            ids = predictions.record(name, version.id, version.version, inputs, results,
                                     latency_ms=2.5, source="batch")
        finally:
            own.connection.setlimit(LIMIT, before)
        assert ids == list(range(ids[0], ids[0] + count))
        stored = db.session.scalars(db.select(Prediction).where(Prediction.id.in_(ids))
                                    .order_by(Prediction.id)).all()
        assert [(p.inputs, p.output, p.summary, p.output_value, p.source, p.version)
                for p in stored] == [(i, r["output"], r["summary"], r["output"], "batch",
                                      version.version) for i, r in zip(inputs, results)]
        assert predictions.count() == count


def test_a_failed_statement_stores_none_of_the_batch(app):
    """A row the database refuses rolls back the whole batch, rows written by the statements
    before it included."""
    name = sorted(app.extensions["modelhub.usecases"])[0]
    with app.app_context():
        version = versions.production_version(name)
        good = (name, version.id, version.version, "2026-11-23 10:00:00.000000", "{}", "1.0",
                "a row", 1.0, "batch", 1.0, None, None)
        bad = (None,) + good[1:]  # usecase may not be null
        db.session.remove()
        own = own_connection(db.engine)
        before = own.connection.getlimit(LIMIT)
        own.connection.setlimit(LIMIT, 3 * len(good))
        try:
            with pytest.raises(sqlite3.IntegrityError):
                insert_own(own, [good] * 6 + [bad])  # the third statement fails
            assert insert_own(own, [good] * 7) > 0  # and the connection still works
        finally:
            own.connection.setlimit(LIMIT, before)
        assert predictions.count() == 7


def test_a_thread_keeps_one_own_connection_at_a_time(app, tmp_path):
    """Storing into another database closes this thread's connection to the last one (a test
    run opens hundreds of databases; their files must not stay open)."""
    with app.app_context():
        first = own_connection(db.engine)
        assert own_connection(db.engine) is first  # kept while the database stays the same
    with migrated_app(tmp_path / "other").app_context():
        second = own_connection(db.engine)
    assert second is not first
    with pytest.raises(sqlite3.ProgrammingError):  # closed
        first.connection.execute("SELECT 1")


def open_files(suffix: str) -> int:
    """How many of this process's open files end with `suffix`."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            found += os.readlink(f"/proc/self/fd/{fd}").endswith(suffix)
        except OSError:  # the listing's own descriptor, closed by now
            pass
    return found


def test_threads_that_end_leave_no_file_open(app):
    """The development server answers each request in a new thread, which never closes its own
    connection: what the connection opened must close with the thread."""
    name = sorted(app.extensions["modelhub.usecases"])[0]
    inputs, results = rows(1)

    def store() -> None:
        with app.app_context():
            version = versions.production_version(name)
            db.session.remove()
            predictions.record(name, version.id, version.version, inputs, results,
                               latency_ms=1.0, source="api")

    store()
    before = open_files(".db-writers")
    for _ in range(30):
        thread = threading.Thread(target=store)
        thread.start()
        thread.join()
    assert open_files(".db-writers") <= before + 1
    with app.app_context():
        assert predictions.count() == 31
