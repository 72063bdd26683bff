"""A throwaway PostgreSQL cluster (Debian's `postgresql`) on a loopback port.

PostgreSQL refuses to run as root, so when this process is root the cluster's folder is handed to
an unprivileged user (`postgres` where Debian's package made one, else `nobody`) and the server
runs as that user. Connections use trust authentication on 127.0.0.1 only: the cluster lives as
long as a test session or a benchmark and holds nothing of value.
"""
from __future__ import annotations

import os
import pwd
import signal
import subprocess  # nosec B404: runs initdb with a fixed argv
from typing import Any

import psycopg

from devservices.base import Server, ServiceError, program

BINARIES = ("/usr/lib/postgresql/*/bin",)
USER = "modelhub"

# For tests: durability traded for speed (the cluster is thrown away anyway).
FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresServer(Server):
    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: SIGTERM would wait for every client to leave

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        super().__init__()
        self.settings = {"max_connections": "400", "shared_buffers": "128MB"} | (settings or {})
        self.data = self.folder / "data"
        self._owner = _unprivileged_user() if os.geteuid() == 0 else None

    def prepare(self) -> None:
        initdb = program("initdb", *BINARIES)
        if self._owner is not None:
            os.chown(self.folder, self._owner.pw_uid, self._owner.pw_gid)
        result = subprocess.run(  # nosec B603: fixed argv
            [initdb, "-D", str(self.data), "-U", USER, "--auth=trust", "--encoding=UTF8",
             "--no-locale", "--no-sync"],
            cwd=self.folder, capture_output=True, text=True, **self.popen_options())
        if result.returncode:
            raise ServiceError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def command(self) -> list[str]:
        options = {"listen_addresses": "127.0.0.1", "port": str(self.port),
                   "unix_socket_directories": str(self.folder)} | self.settings
        argv = [program("postgres", *BINARIES), "-D", str(self.data)]
        for key, value in options.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def popen_options(self) -> dict[str, Any]:
        if self._owner is None:
            return {}
        return {"user": self._owner.pw_uid, "group": self._owner.pw_gid,
                "env": dict(os.environ, HOME=str(self.folder))}

    def ready(self) -> bool:
        try:
            with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={USER} dbname={database}"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database of this cluster (psycopg 3)."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str) -> None:
        """Run one statement outside a transaction (CREATE DATABASE cannot run in one)."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(statement)

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database, empty or a copy of `template`; its URL."""
        clause = f" TEMPLATE {_identifier(template)}" if template else ""
        self.execute(f"CREATE DATABASE {_identifier(name)}{clause}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending whatever sessions are still connected to it."""
        self.execute(f"DROP DATABASE IF EXISTS {_identifier(name)} WITH (FORCE)")


def _unprivileged_user() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ServiceError("no unprivileged user (postgres or nobody) to run PostgreSQL as")


def _identifier(name: str) -> str:
    """A database name as a quoted identifier; only plain names are ever made here."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {name!r}")
    return f'"{name}"'
