"""Fixtures in the Flask style: apps on temporary instance folders, a client, a CLI runner.

Training the four use cases is the slow part, so it happens once per test session into a template
instance folder; each test that needs trained models gets its own copy of that folder (and of its
database, with `--database postgresql`: see tests/databases.py).
"""
from __future__ import annotations

import itertools
import os

# One OpenMP thread per test process (and the trainers and servers they start): the suite runs
# in as many processes as there are cores, and OpenMP threads of two processes waiting on each
# other spun for minutes (a histogram gradient boosting's cross-validation froze for 180 s).
# Set before scikit-learn loads its OpenMP runtime, which reads it once.
os.environ["OMP_NUM_THREADS"] = "1"

from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest
from flask_migrate import upgrade
from sklearn.dummy import DummyRegressor

from devservices import S3Server
from devservices.s3 import CREDENTIALS as S3_CREDENTIALS
from portal import create_app
from registry import versions
from tests.databases import CURRENT as databases, KINDS

# A developer's own settings must not leak into the tests.
for _key in [k for k in os.environ if k.startswith("MODELHUB_")]:
    del os.environ[_key]


def pytest_addoption(parser) -> None:
    parser.addoption("--database", choices=KINDS, default="sqlite",
                     help="the registry database of the tests' apps (default: sqlite)")


def pytest_configure(config) -> None:
    databases.kind = config.getoption("--database")
    config.addinivalue_line("markers", "sqlite_only: tests of SQLite's own speed-ups")


def pytest_collection_modifyitems(config, items) -> None:
    if databases.kind != "sqlite":
        skip = pytest.mark.skip(reason="tests a speed-up used on SQLite only")
        for item in items:
            if item.get_closest_marker("sqlite_only"):
                item.add_marker(skip)


def pytest_unconfigure(config) -> None:
    databases.close()


@pytest.fixture(autouse=True)
def _drop_test_databases():
    """Close the connections of the apps a test made and drop the PostgreSQL databases it made,
    once it is done (hundreds of copies would fill the disk and the server's connections)."""
    apps, made = len(databases.apps), len(databases.made)
    yield
    databases.release_since(apps, made)


def copy_instance(template: Path, folder: Path) -> Path:
    """A private copy of an instance folder (database, artifacts, secret key)."""
    return databases.copy_instance(Path(template), Path(folder))


# The scrape token of every test app (/metrics answers nobody else but admins).
METRICS_TOKEN = "scrape-" + "0" * 32
# Anonymous quotas off: the suite sends thousands of anonymous predictions and batches from one
# address. tests/security/test_quotas.py holds the defaults to account, on their own apps.
NO_QUOTAS = {"PREDICTION_RATE_LIMIT": None, "ANONYMOUS_MAX_BATCH": None}
NO_QUOTAS_ENV = {f"MODELHUB_{key}": "null" for key in NO_QUOTAS}


def make_app(instance: Path, **config):
    """An app whose database, artifacts and secret key all live in `instance`."""
    # WEBHOOKS_SEND off: hundreds of apps would each poll their registry every second.
    settings = {"TESTING": True, "INSTANCE_PATH": str(instance), "MODEL_CACHE_SECONDS": 0,
                "WTF_CSRF_ENABLED": False, "FREEZE_HEAP_ON_MODEL_LOAD": False,
                "WEBHOOKS_SEND": False, "METRICS_TOKEN": METRICS_TOKEN} | NO_QUOTAS | config
    app = create_app(settings)
    databases.apps.append(app)
    return app


def migrated_app(instance: Path, kind: str | None = None, **config):
    """An app on a new instance folder whose new, empty registry the migrations built (on the
    run's kind of database, unless `kind` names one)."""
    app = make_app(databases.new_instance(Path(instance), kind), **config)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def trained_instance(tmp_path_factory) -> Path:
    """An instance folder in which `hub bootstrap` trained and promoted every use case."""
    folder = tmp_path_factory.mktemp("trained-instance")
    app = migrated_app(folder)
    result = app.test_cli_runner().invoke(args=["hub", "bootstrap"])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def app(trained_instance, tmp_path):
    """An app with all use cases trained, on its own copy of the trained instance folder."""
    app = make_app(copy_instance(trained_instance, tmp_path / "instance"))
    # The copied database names artifacts relative to the artifact dir, so they resolve here.
    yield app


@pytest.fixture
def empty_app(tmp_path):
    """An app with a migrated, empty registry (no model trained)."""
    return migrated_app(tmp_path / "instance")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on a loopback port for the whole session (it takes seconds to start):
    no S3 server installs on these machines, and moto's answers the same API."""
    server = S3Server().start()
    yield server
    server.close()


@dataclass(frozen=True)
class S3Bucket:
    name: str
    endpoint: str

    def url(self, prefix: str = "models") -> str:
        return f"s3://{self.name}/{prefix}"


_bucket_numbers = itertools.count()


@pytest.fixture
def s3_bucket(s3_server, monkeypatch) -> S3Bucket:
    """A new, empty bucket on the session's S3 server, with the credentials boto3 signs its
    requests with set for this test only (from the environment, as in production)."""
    for name, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)  # a developer's profile must not leak in
    name = f"modelhub-test-{next(_bucket_numbers)}"
    s3_server.create_bucket(name)
    return S3Bucket(name, s3_server.endpoint)


def register_dummy(usecase: str = "toy", value: float = 1.0, **overrides):
    """Register a tiny real model as a new version of `usecase` (needs an app context)."""
    model = DummyRegressor(strategy="constant", constant=value).fit([[0]], [value])
    fields = dict(trained_by="test", params={"constant": value}, metrics={"r2": value},
                  leaderboard=[{"name": "dummy", "cv_score": value, "fit_seconds": 0.0}],
                  data_fingerprint="0" * 64, train_rows=1, test_rows=1,
                  training_seconds=0.0) | overrides
    return versions.register_version(usecase, model, **fields)


@pytest.fixture(scope="session")
def registered(trained_instance):
    """`registered(name)`: the production version `hub bootstrap` registered, as a TrainedModel.

    Quality floors are checked on these: the model and metrics the registry actually holds.
    """
    from registry import serving
    from usecases.base import TrainedModel

    app = make_app(trained_instance)
    loaded: dict[str, TrainedModel] = {}

    def get(name: str) -> TrainedModel:
        if name not in loaded:
            with app.app_context():
                row = versions.production_version(name)
                model = serving.cache().version(row).model
                loaded[name] = TrainedModel(model, row.params, row.metrics, row.leaderboard)
        return loaded[name]

    return get


def logged_progress(job_log: str) -> list[int]:
    """The percentages a training job reported, in order, as its log recorded them
    (registry/jobs/training.report writes "HH:MM:SS  40% message")."""
    import re

    return [int(found) for found in re.findall(r"^\d\d:\d\d:\d\d +(\d+)% ", job_log, re.M)]


def assert_progress_was_reported(job_log: str) -> None:
    """The job reported its progress as it went: at least two steps, never going back. Read
    from what the job recorded, not from polls, which a fast training can finish between."""
    steps = logged_progress(job_log)
    assert len(set(steps)) >= 2, f"the job reported no progress along the way:\n{job_log}"
    assert steps == sorted(steps), f"the job's progress went back:\n{job_log}"


def assert_stored_with_version(app, ids, usecase: str, number: int,
                               source: str | None = None) -> None:
    """Every prediction in `ids` is stored, for `usecase`, scored by version `number`: its
    number and its link to that version's registry row (a prediction linked to production's
    row while still showing the chosen number would pass a check of the number alone)."""
    import sqlalchemy as sa

    from registry.database import db
    from registry.models import Prediction

    ids = set(ids)
    with app.app_context():
        version_id = versions.get_version(usecase, number).id
        rows = db.session.scalars(sa.select(Prediction).where(Prediction.id.in_(ids))).all()
        found = {row.id: (row.usecase, row.version, row.model_version_id, row.source)
                 for row in rows}
    assert set(found) == ids, f"predictions {sorted(ids - set(found))} were not stored"
    for ident, (name, stored_number, stored_id, stored_source) in found.items():
        assert (name, stored_number, stored_id) == (usecase, number, version_id), (
            f"prediction {ident} is stored as {name} version {stored_number} linked to version "
            f"row {stored_id}; it was scored by {usecase} version {number} (row {version_id})")
        assert source is None or stored_source == source, (ident, stored_source, source)


def add_copy_of_production(name: str) -> int:
    """Register the production model again as a new candidate version (needs an app context);
    return its number. It predicts exactly like production, so it can really serve."""
    from registry import serving

    row = versions.production_version(name)
    _, model = serving.production_model(name)
    copy = versions.register_version(
        name, model, trained_by="test", params=row.params, metrics=row.metrics,
        leaderboard=row.leaderboard, data_fingerprint=row.data_fingerprint,
        train_rows=row.train_rows, test_rows=row.test_rows, training_seconds=0.0,
        dataset_version_id=row.dataset_version_id, input_schema=row.input_schema)
    return copy.version
