"""Default settings. Each can be overridden by instance/config.py, by an environment variable
MODELHUB_<NAME> (JSON values are parsed), and last by the mapping given to create_app."""
from __future__ import annotations

import os

from flask import Config

DEFAULTS = {
    # None means: a SQLite file in the instance folder / instance/models (set in create_app).
    "SQLALCHEMY_DATABASE_URI": None,
    "ARTIFACT_DIR": None,  # a folder, or s3://bucket/prefix for an S3 bucket
    "S3_ENDPOINT_URL": None,  # an S3 API other than AWS's (MinIO, Ceph): its URL
    # SECRET_KEY is left to Flask's default, None, which means: generated once into
    # instance/secret_key (a key written here would be the same for every installation). An
    # installation that several hosts may serve must be given one (see portal.create_app).
    # The key model artifacts are signed with (registry/artifacts/signing.py); None derives one
    # from SECRET_KEY (and verifies with SECRET_KEY_FALLBACKS' too, while keys rotate).
    "ARTIFACT_KEY": None,
    "USECASES": None,  # names of the use cases to enable; None enables every installed one
    "MODEL_CACHE_SECONDS": 2.0,  # how stale a process's idea of "production" may be
    # After a model loads, keep everything alive out of the garbage collector's scans (see
    # registry/serving.py). Off only where one process builds many apps, as the tests do.
    "FREEZE_HEAP_ON_MODEL_LOAD": True,
    # Where training jobs run: None, a process of their own on the web host; a redis:// URL,
    # a queue that `flask --app portal hub worker` empties on any host (registry/jobs).
    "JOB_QUEUE_URL": None,
    "JOB_HEARTBEAT_SECONDS": 2.0,
    "JOB_STALE_SECONDS": 30.0,  # a running job silent this long is marked failed
    "TRAINING_SAMPLE": None,  # train on at most this many rows (quick tests); None: all data
    "MAX_BATCH": 1000,
    # Clients without an API token or a session (portal/quotas.py): inputs scored per address
    # (a `limits` rate such as "300 per minute"; None: no limit), summed over every protocol,
    # and the largest batch they may send. RATELIMIT_STORAGE_URI keeps the counts (a
    # redis:// URL shares them between hosts; None: JOB_QUEUE_URL's Redis, else memory).
    "PREDICTION_RATE_LIMIT": "300 per minute",
    "ANONYMOUS_MAX_BATCH": 10,
    "RATELIMIT_STORAGE_URI": None,
    # All the text one request's inputs may hold, in characters (reviews of a batch summed).
    "MAX_REQUEST_TEXT": 500_000,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "DATASET_MAX_BYTES": 20 * 1024 * 1024,  # an upload of labelled rows (its own limit)
    # A table a new use case is made from: its size, rows and columns.
    "TABLE_MAX_BYTES": 20 * 1024 * 1024,
    "TABLE_MAX_ROWS": 200_000,
    "TABLE_MAX_COLUMNS": 200,
    # The host names this site answers to (Flask's TRUSTED_HOSTS; e.g. ["hub.example.org"]):
    # a request naming another Host is refused, so no link is built from a forged one. None:
    # any, for a development machine; set it for a deployment.
    "TRUSTED_HOSTS": None,
    # The bearer token Prometheus scrapes /metrics with (else only an admin's API token may).
    "METRICS_TOKEN": None,  # nosec B105: no token set; the setting is read, never a secret here
    # /metrics's input drift gauges: measured on each use case's latest predictions at most
    # this often per process (a scrape reads them from memory in between).
    "DRIFT_METRICS_SECONDS": 300.0,
    # Send webhook deliveries that fall due (retries, other hosts' events) from every serving
    # process; off, only the process that stored an event sends it at once.
    "WEBHOOKS_SEND": True,
    # A sign-in lasts this many seconds at most (Flask's default is 31 days).
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    # How many reverse proxies stand in front of the portal (each adds X-Forwarded-For and
    # -Proto): the client's address and scheme are then read from their headers. 0: none, the
    # headers are ignored (anyone could write them).
    "PROXY_COUNT": 0,
    # Session cookies: never readable by scripts, not sent on cross-site requests.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Failed sign-ins allowed in LOGIN_WINDOW_SECONDS: per username and address before that
    # name is locked out there (429); per address whatever the usernames before each further
    # attempt waits a pause, from the first to the longest, doubling with each failure.
    "LOGIN_FAILURES_PER_NAME": 5,
    "LOGIN_FAILURES_PER_ADDRESS": 20,
    "LOGIN_WINDOW_SECONDS": 900,
    "LOGIN_FIRST_PAUSE_SECONDS": 1,
    "LOGIN_LONGEST_PAUSE_SECONDS": 60,
}


def layered(config: Config) -> Config:
    """Fill `config` as every process reads its settings: the defaults, then the instance
    folder's config.py, then MODELHUB_* variables. (create_app adds its own mapping last.)"""
    config.from_mapping(DEFAULTS)
    config.from_pyfile("config.py", silent=True)
    config.from_prefixed_env("MODELHUB")
    return config


def web_workers(config: Config, cores: int | None = None) -> int:
    """How many sync workers a web host starts by default.

    One per core on SQLite: a prediction is CPU-bound Python and its write a local file. On a
    database server each prediction also waits about a third of its time for its commit to
    come back (0.35 ms of 1.05 ms, measured on PostgreSQL with durable commits); a second
    worker per core computes while the first waits.
    """
    cores = cores or os.cpu_count() or 2
    url = config.get("SQLALCHEMY_DATABASE_URI") or "sqlite:"
    return cores if url.startswith("sqlite") else 2 * cores
