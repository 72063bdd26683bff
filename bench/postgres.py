"""Section 6: the same portal on PostgreSQL, measured in the same run as SQLite.

A throwaway cluster (Debian's PostgreSQL, durable settings: fsync and synchronous commit on, as
a deployment runs it) gets the trained instance's registry: the migrations build the schema and
the model versions are copied over, so the portal serves the very models of the SQLite column.
Then: single predictions at 16 connections paired with the bare endpoint, 1,000-row batches,
and the history at the run's largest size, bulk-loaded with COPY.
"""
from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess  # nosec B404: runs the portal's own migration command
import time
from contextlib import closing
from pathlib import Path
from typing import Callable

import psycopg

from bench import history_scale, http_load, server, training
from bench.report import Figure
from devservices import PostgresServer
from portal import create_app

SECTION = "6. PostgreSQL (same run)"
DATABASE = "bench"


def measure(instance: Path, folder: Path, reference: str, body: bytes, batch_inputs: list,
            plan: http_load.Plan, history_size: int, history_runs: int, export_runs: int,
            env_of: Callable[[Path], dict[str, str]], pool) -> tuple[list[Figure],
                                                                    list[http_load.Stored]]:
    figures: list[Figure] = []
    stored: list[http_load.Stored] = []
    postgres = PostgresServer()
    try:
        postgres.start()
        postgres.create_database(DATABASE)
        url = postgres.url(DATABASE)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        copy = folder / "pg-instance"
        shutil.copytree(instance, copy, ignore=shutil.ignore_patterns("modelhub.db*"))
        config = copy / "config.py"  # the instance's own settings, then the database's
        settings = config.read_text() if config.exists() else ""
        # A database server needs its key given. The copied versions' artifacts are signed with
        # the instance's own (generated) key, so it is the one given.
        generated = copy / "secret_key"
        key = generated.read_text().strip() if generated.exists() else secrets.token_hex(32)
        config.write_text(settings + f"\nSQLALCHEMY_DATABASE_URI = {url!r}\n"
                          + ("" if "SECRET_KEY" in settings else f"SECRET_KEY = {key!r}\n"))
        env = env_of(copy)
        subprocess.run(training.UPGRADE, cwd=server.ROOT, env=env, check=True,  # nosec B603
                       capture_output=True)
        copy_versions(instance / "modelhub.db", dsn)
        counter = http_load.postgres_counter(dsn)
        one = http_load.Plan(connections=(16,), runs=plan.runs, seconds=plan.seconds,
                             batch_runs=plan.batch_runs)
        with server.serving(server.BARE_APP, env, folder / "pg-bare.log") as bare, \
                server.serving(server.PORTAL_APP, env, folder / "pg-portal.log") as portal:
            print(f"==> PostgreSQL: single predictions over HTTP: {reference}", flush=True)
            found, checks, _ = http_load.singles(portal, bare, reference, body, one, folder,
                                                 counter)
            figures += found
            stored += checks
            print(f"==> PostgreSQL: batches over HTTP: {reference}", flush=True)
            found, checks = http_load.batches(portal, reference, batch_inputs, (1000,),
                                              plan.batch_runs, counter)
            figures += found
            stored += checks
        print(f"==> PostgreSQL: history at {history_size:,} predictions", flush=True)
        versions = add_versions(dsn)
        began = time.perf_counter()
        rate = load(dsn, history_size, pool, versions)
        print(f"    bulk-loaded at {rate:,.0f} rows/s ({time.perf_counter() - began:.1f} s)")
        app = create_app({"INSTANCE_PATH": str(copy)})
        figures += history_scale.measure(app, history_size, reference, runs=history_runs,
                                         export_runs=export_runs)
        with app.app_context():
            from registry.database import db

            db.session.remove()
            db.engine.dispose()
    finally:
        postgres.close()
    for figure in figures:
        figure.section = SECTION
        figure.name = "PostgreSQL: " + figure.name
        figure.key = "pg:" + figure.key if figure.key else ""
    return figures, [http_load.Stored("PostgreSQL " + s.usecase, s.connections, s.answered,
                                      s.stored, s.slack) for s in stored]


COPIED = ("dataset_versions", "model_versions")  # in the order their foreign keys need


def copy_versions(sqlite_file: Path, dsn: str) -> None:
    """The trained instance's dataset and model versions, row for row, into the empty
    PostgreSQL registry (as SQLite keeps them: JSON and times as text, which COPY reads as
    PostgreSQL would)."""
    with psycopg.connect(dsn) as connection, closing(sqlite3.connect(sqlite_file)) as source:
        for table in COPIED:
            cursor = source.execute(f"SELECT * FROM {table}")  # nosec B608: constant names
            columns = [d[0] for d in cursor.description]
            with connection.cursor().copy(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in cursor:
                    copy.write_row(row)
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")


def add_versions(dsn: str) -> dict[str, list[tuple[int, int]]]:
    """Two older copies of each production version, as history_scale.prepare makes on SQLite."""
    with psycopg.connect(dsn) as connection:
        names = [r[0] for r in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'model_versions' ORDER BY ordinal_position")]
        return history_scale.add_versions(connection, names)


def load(dsn: str, count: int, pool, versions, seed: int = 0) -> float:
    """Replace the stored predictions with `count` made-up ones through COPY; rows per second."""
    began = time.perf_counter()
    with psycopg.connect(dsn) as connection:
        connection.execute("TRUNCATE challenger_predictions, outcomes, predictions")
        with connection.cursor().copy(
                f"COPY predictions ({', '.join(history_scale.COLUMNS)}) FROM STDIN") as copy:
            for row in history_scale.rows(count, pool, versions, seed):
                copy.write_row(row)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE predictions")
    return count / (time.perf_counter() - began)
